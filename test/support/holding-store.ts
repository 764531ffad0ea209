// A Store whose next transaction can be held (a request stays in flight until released) or made
// to fail (the request answers 500), for tests of concurrent and failing requests.
import type { Store } from '../../src/storage/store.js';

export interface Hold {
  /** Resolves once a transaction is waiting at the hold. */
  entered: Promise<void>;
  /** Lets the held transaction run. */
  release(): void;
}

export interface HoldingStore {
  store: Store;
  /** Holds the next transaction (only that one) until release(). */
  holdNextTransaction(): Hold;
  /** Makes the next transaction fail with `error` before it starts. */
  failNextTransaction(error?: Error): void;
}

export function holdingStore(inner: Store): HoldingStore {
  let hold: { entered: () => void; released: Promise<void> } | undefined;
  let failure: Error | undefined;
  const transaction: Store['transaction'] = async (fn) => {
    const waiting = hold;
    hold = undefined;
    if (waiting !== undefined) {
      waiting.entered();
      await waiting.released;
    }
    const error = failure;
    failure = undefined;
    if (error !== undefined) throw error;
    return inner.transaction(fn);
  };
  const store = new Proxy(inner, {
    get(target, property) {
      if (property === 'transaction') return transaction;
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return {
    store,
    holdNextTransaction() {
      let entered!: () => void;
      let release!: () => void;
      const enteredPromise = new Promise<void>((resolve) => {
        entered = resolve;
      });
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      hold = { entered, released };
      return { entered: enteredPromise, release };
    },
    failNextTransaction(error = new Error('the database went away (test)')) {
      failure = error;
    },
  };
}
