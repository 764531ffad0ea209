// Whether the outbox sender may call a forge now, pure (times in epoch ms): a circuit breaker
// that opens after `failures` failed calls in a row (network errors, timeouts, 5xx) and stays
// open for `coolDownMs`, then lets one probe through (half-open: its success closes the breaker,
// its failure opens it for another cool-down); and a pause while the forge's rate limit is spent
// (429, GitHub's primary or secondary limit), which stops every call to it until the limit is
// over, so a forge in trouble gets no stream of calls it would refuse.

export interface CircuitPolicy {
  /** Failed calls in a row that open the breaker. */
  failures: number;
  /** How long it stays open before one probe. */
  coolDownMs: number;
}

export type CircuitState = 'closed' | 'open' | 'half-open';

export class ForgeCircuit {
  private failuresInARow = 0;
  private openUntil: number | null = null;
  private pausedUntil = 0;
  private limitedInARow = 0;

  constructor(private readonly policy: CircuitPolicy) {}

  state(now: number): CircuitState {
    if (this.openUntil === null) return 'closed';
    return now < this.openUntil ? 'open' : 'half-open';
  }

  /** Until when no call may go (the breaker is open or the rate limit spent); null: now. */
  blockedUntil(now: number): number | null {
    const until = Math.max(
      this.state(now) === 'open' ? (this.openUntil ?? 0) : 0,
      this.pausedUntil,
    );
    return until > now ? until : null;
  }

  /** The forge answered (sent, or refused as a client error): it is up. */
  answered(): void {
    this.failuresInARow = 0;
    this.limitedInARow = 0;
    this.openUntil = null;
  }

  /** A call failed as an outage would (network, timeout, 5xx). */
  failed(now: number): void {
    this.failuresInARow += 1;
    const state = this.state(now);
    if (
      state === 'half-open' ||
      (state === 'closed' && this.failuresInARow >= this.policy.failures)
    )
      this.openUntil = now + this.policy.coolDownMs;
  }

  /**
   * A rate-limited answer: no call until `now + wait(n)`, n the limited answers in a row
   * (counting this one). Answers that time.
   */
  limited(now: number, wait: (inARow: number) => number): number {
    // It answered, so it is up: the breaker closes, the pause takes over.
    this.failuresInARow = 0;
    this.openUntil = null;
    this.limitedInARow += 1;
    this.pausedUntil = Math.max(this.pausedUntil, now + wait(this.limitedInARow));
    return this.pausedUntil;
  }
}
