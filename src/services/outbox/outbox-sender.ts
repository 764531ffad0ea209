// Sends what the outbox holds: claims due rows under a lease, calls the forge outside any
// transaction, and records the result (sent, due again after a backoff with jitter, or dead). A
// rate-limited answer (429, GitHub's primary or secondary limit) is waited out as GitHub asks
// without using up an attempt, and pauses every call to that forge until then; each forge has
// a circuit breaker (after `circuitBreaker.failures` failed calls in a row it is not called for
// `coolDownSeconds`, then one probe decides) and at most `concurrency` calls in flight. A forge
// that is down, limited or slow only delays its own rows (each forge's claimed rows are sent on
// their own, and its next rows are claimed once they are answered): webhook intake, story
// updates and the other forges never wait for it. Each row is one target, updated in place, so a row is never sent twice for one
// decision (docs/forge-feedback.md, "The outbox").
import type { Config, ForgeConfig } from '../../config/config.js';
import type { Clock } from '../../domain/clock.js';
import { ForgeCircuit } from '../../domain/outbox/forge-circuit.js';
import { nextSendDelay, rateLimitWait } from '../../domain/outbox/next-send-delay.js';
import type { OutboxItem } from '../../storage/outbox-repository.js';
import type { Store } from '../../storage/store.js';
import { PollingLoop } from '../polling-loop.js';
import { CALL_TIMEOUT_MS, type FetchLike, type SendResult } from './forge-client.js';
import { forgeClients } from './forge-clients.js';

export type OutboxOutcome = 'sent' | 'retried' | 'dead';

export interface OutboxSenderOptions {
  /**
   * How long a claim lasts before another sender may take the row over (default 60 s); a call
   * starts only while at least its 30 s timeout is left of it.
   */
  leaseMs?: number;
  /** Rows claimed at once (default 20). */
  batchSize?: number;
  /** How often an idle sender looks for due rows (default 1 s). */
  pollMs?: number;
  fetch?: FetchLike;
  /** In [0, 1), for the jitter (default Math.random). */
  random?: () => number;
  /** Counts for metrics, once per call made (a row given back unsent is not counted). */
  onOutcome?: (outcome: OutboxOutcome, forge: string, kind: string) => void;
  onError?: (error: unknown) => void;
  /** A forge's breaker opened (until then) or closed again: for the log. */
  onCircuit?: (forge: string, state: 'open' | 'closed', until: string | null) => void;
}

export class OutboxSender {
  private readonly circuits = new Map<string, ForgeCircuit>();
  /** Each forge whose claimed rows are being sent, until all of them are answered. */
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly loop: PollingLoop;

  constructor(
    private readonly store: Store,
    private readonly config: Pick<Config, 'forges'>,
    private readonly clock: Clock,
    private readonly options: OutboxSenderOptions = {},
  ) {
    this.loop = new PollingLoop(
      async () => (await this.claimAndStart()).claimed,
      this.options.pollMs ?? 1000,
      (error) => this.options.onError?.(error),
    );
  }

  /**
   * Claims and sends the rows due now, waiting until every call it started is answered; answers
   * how many it claimed. The polling loop (`start`) does not wait: see `claimAndStart`.
   */
  async runOnce(): Promise<number> {
    const { claimed, sending } = await this.claimAndStart();
    await sending;
    return claimed;
  }

  /**
   * Claims the due rows of each forge not busy with an earlier claim, and starts sending them
   * without waiting: a forge whose calls hang (until their timeout) holds up only its own rows,
   * while the next rounds go on claiming and sending the other forges'. When a forge's calls are
   * all answered, the loop is woken to claim its next rows.
   */
  private async claimAndStart(): Promise<{ claimed: number; sending: Promise<void> }> {
    const now = this.clock.now();
    const leaseUntil = new Date(now.getTime() + (this.options.leaseMs ?? 60_000)).toISOString();
    // Forges not to be called now (breaker open, rate limit spent, calls still in flight): their
    // rows stay unclaimed.
    const blocked = new Set(this.inFlight.keys());
    for (const [forge, circuit] of this.circuits)
      if (circuit.blockedUntil(now.getTime()) !== null) blocked.add(forge);
    const claimed = await this.store.transaction((tx) =>
      tx.outbox.claimDue(now.toISOString(), leaseUntil, this.options.batchSize ?? 20, [...blocked]),
    );
    const byForge = new Map<string, OutboxItem[]>();
    for (const item of claimed) byForge.set(item.forge, [...(byForge.get(item.forge) ?? []), item]);
    // Forges in parallel, each within its own concurrency.
    const started = [...byForge].map(([forgeId, items]) => {
      const sending = this.sendToForge(
        this.config.forges.find((candidate) => candidate.id === forgeId),
        forgeId,
        items,
      )
        .catch((error: unknown) => this.options.onError?.(error))
        .finally(() => {
          this.inFlight.delete(forgeId);
          this.loop.wake();
        });
      this.inFlight.set(forgeId, sending);
      return sending;
    });
    return { claimed: claimed.length, sending: Promise.all(started).then(() => undefined) };
  }

  /** The breaker of each forge that has one, for tests and operators. */
  circuitState(forge: string): 'closed' | 'open' | 'half-open' {
    return this.circuits.get(forge)?.state(this.clock.now().getTime()) ?? 'closed';
  }

  private circuitOf(forge: ForgeConfig): ForgeCircuit {
    let circuit = this.circuits.get(forge.id);
    if (circuit === undefined) {
      circuit = new ForgeCircuit(forge.circuitBreaker);
      this.circuits.set(forge.id, circuit);
    }
    return circuit;
  }

  private async sendToForge(
    forge: ForgeConfig | undefined,
    forgeId: string,
    items: OutboxItem[],
  ): Promise<void> {
    if (forge === undefined) {
      for (const item of items)
        await this.record(item, {
          kind: 'refused',
          error: `no forge ${forgeId} in the config any more`,
        });
      return;
    }
    const circuit = this.circuitOf(forge);
    const queue = [...items];
    // Half-open after a cool-down: one probe alone decides whether the rest go.
    const probe =
      circuit.state(this.clock.now().getTime()) === 'half-open' ? queue.shift() : undefined;
    if (probe !== undefined) await this.send(forge, circuit, probe);
    // Rows whose lease would run out during a call go back, due now: another sender could take
    // a row over once its lease has run out, and must not find it still being sent.
    const unsent: OutboxItem[] = [];
    const worker = async () => {
      while (queue.length > 0 && circuit.blockedUntil(this.clock.now().getTime()) === null) {
        const item = queue.shift() as OutboxItem;
        const leaseLeft = Date.parse(item.leaseUntil ?? '') - this.clock.now().getTime();
        if (!(leaseLeft >= CALL_TIMEOUT_MS)) unsent.push(item);
        else await this.send(forge, circuit, item);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, forge.concurrency) }, worker));
    // The breaker opened or the limit was hit meanwhile: the rest wait, with their attempts.
    const now = this.clock.now().getTime();
    const at = new Date(now).toISOString();
    const until = new Date(circuit.blockedUntil(now) ?? now).toISOString();
    for (const item of queue)
      await this.store.outbox.postpone(item.id, item.version, until, null, at);
    for (const item of unsent)
      await this.store.outbox.postpone(item.id, item.version, at, null, at);
  }

  /** Polls until stopped; `wake()` makes it look now. */
  start(): void {
    this.loop.start();
  }

  wake(): void {
    this.loop.wake();
  }

  /** Stops polling and waits for the calls in flight. */
  async stop(): Promise<void> {
    await this.loop.stop();
    await Promise.all(this.inFlight.values());
  }

  private async send(forge: ForgeConfig, circuit: ForgeCircuit, item: OutboxItem): Promise<void> {
    const client = forgeClients[forge.provider];
    // A comment about to be created: until its id is recorded, its outcome is in doubt (a crash
    // or a lost answer after the forge created it), so a later send looks for it first.
    const marks = item.kind === 'comment' && item.remoteId === null && !item.createInDoubt;
    if (marks && client !== undefined) await this.store.outbox.setCreateInDoubt(item.id, true);
    const sending: Promise<SendResult> =
      client === undefined
        ? Promise.resolve({ kind: 'refused', error: `no client for ${forge.provider}` })
        : client.send(forge, item.kind, item.payload, item.remoteId, this.options.fetch ?? fetch, {
            createInDoubt: item.createInDoubt,
          });
    const result: SendResult = await sending.catch((error: unknown) => ({
      kind: 'retry' as const,
      error: (error as Error).message,
      hints: { retryAfter: null, rateLimitRemaining: null, rateLimitReset: null },
    }));
    // A rate limit or a refusal of the create itself says nothing was created: no doubt left. (A
    // row already in doubt stays so: that answer may have been to the look for the comment.)
    if (marks && (result.kind === 'limited' || result.kind === 'refused'))
      await this.store.outbox.setCreateInDoubt(item.id, false);
    const now = this.clock.now().getTime();
    const before = circuit.state(now);
    if (result.kind === 'retry') circuit.failed(now);
    else if (result.kind !== 'limited') circuit.answered();
    const after = circuit.state(now);
    if (after === 'open' && before !== 'open')
      this.options.onCircuit?.(
        forge.id,
        'open',
        new Date(circuit.blockedUntil(now) ?? now).toISOString(),
      );
    if (after === 'closed' && before !== 'closed')
      this.options.onCircuit?.(forge.id, 'closed', null);
    await this.record(item, result, circuit);
  }

  private async record(
    item: OutboxItem,
    result: SendResult,
    circuit?: ForgeCircuit,
  ): Promise<void> {
    const now = this.clock.now();
    const at = now.toISOString();
    if (result.kind === 'sent') {
      await this.store.outbox.markSent(
        item.id,
        item.version,
        result.remoteId,
        at,
        result.remoteUrl ?? null,
      );
      this.options.onOutcome?.('sent', item.forge, item.kind);
      return;
    }
    if (result.kind === 'limited') {
      const until =
        circuit?.limited(now.getTime(), (inARow) => rateLimitWait(result.hints, now, inARow)) ??
        now.getTime() + rateLimitWait(result.hints, now, 1);
      await this.store.outbox.postpone(
        item.id,
        item.version,
        new Date(until).toISOString(),
        result.error,
        at,
      );
      this.options.onOutcome?.('retried', item.forge, item.kind);
      return;
    }
    const delay =
      result.kind === 'retry'
        ? nextSendDelay(
            item.attempts + 1,
            result.hints,
            now,
            (this.options.random ?? Math.random)(),
          )
        : undefined;
    await this.store.outbox.markFailed(
      item.id,
      item.version,
      result.error,
      delay === undefined
        ? 'dead'
        : { nextAttemptAt: new Date(now.getTime() + delay).toISOString() },
      at,
    );
    this.options.onOutcome?.(delay === undefined ? 'dead' : 'retried', item.forge, item.kind);
  }
}
