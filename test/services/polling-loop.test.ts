// The loop the outbox sender and the repository sync runner share: back to back while a round
// finds work, the idle pace otherwise, on after a round that throws, and stop() waits for the
// round in flight.
import { expect, it } from 'vitest';
import { PollingLoop } from '../../src/services/polling-loop.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('runs rounds back to back while they find work, then at the idle pace', async () => {
  const found = [3, 2, 1, 0, 0];
  const at: number[] = [];
  const start = Date.now();
  const loop = new PollingLoop(
    async () => {
      at.push(Date.now() - start);
      return found.shift() ?? 0;
    },
    300,
    () => {},
  );
  loop.start();
  await sleep(700);
  await loop.stop();
  // Four rounds at once (three found work, the fourth found none), then one 300 ms later.
  expect(at.length).toBeGreaterThanOrEqual(5);
  expect(at[3]).toBeLessThan(200);
  expect(at[4]! - at[3]!).toBeGreaterThanOrEqual(290);
});

it('reports a round that throws and carries on; wake() runs a round now', async () => {
  const errors: unknown[] = [];
  let rounds = 0;
  const loop = new PollingLoop(
    async () => {
      rounds += 1;
      if (rounds === 1) throw new Error('database away');
      return 0;
    },
    60_000,
    (error) => errors.push(error),
  );
  loop.start();
  await sleep(50);
  expect(errors).toEqual([new Error('database away')]);
  expect(rounds).toBe(1);
  loop.wake();
  await sleep(50);
  expect(rounds).toBe(2);
  await loop.stop();
});

it('stop() waits for the round in flight and starts no other', async () => {
  let finished = false;
  let rounds = 0;
  const loop = new PollingLoop(
    async () => {
      rounds += 1;
      await sleep(100);
      finished = true;
      return 1;
    },
    10,
    () => {},
  );
  loop.start();
  await sleep(20);
  await loop.stop();
  expect(finished).toBe(true);
  await sleep(50);
  expect(rounds).toBe(1);
});

it('wake() during a round runs another right after it, not a poll later', async () => {
  let rounds = 0;
  let loop: PollingLoop | undefined;
  loop = new PollingLoop(
    async () => {
      rounds += 1;
      if (rounds === 1) {
        await sleep(10);
        loop?.wake(); // e.g. a forge's calls were answered while this round was claiming
        await sleep(40);
      }
      return 0;
    },
    60_000,
    () => {},
  );
  loop.start();
  await sleep(200);
  expect(rounds).toBe(2);
  await loop.stop();
});
