// Runs the write-backs changes to bound stories queued (queue-write-backs.ts): every round, each
// repository with a change due (the write-back delay after it was queued, so changes close
// together go out as one commit) is written back under a lock named for it, so two instances on
// one PostgreSQL database never write one repository at once. A failure (git or the forge is
// down) leaves the changes queued, due again after 5 s, 10 s, 20 s, … at most 10 minutes.
import type { Config } from '../../config/config.js';
import type { Clock } from '../../domain/clock.js';
import type { Store } from '../../storage/store.js';
import { PollingLoop } from '../polling-loop.js';
import type { RepositoryWriteBack, WriteBackOutcome } from './repository-write-back.js';

export interface RepositoryWriteBackRunnerOptions {
  /** How often an idle runner looks for due write-backs (default 1 s). */
  pollMs?: number;
  onError?: (error: unknown, repository: string) => void;
  onWritten?: (repository: string, outcome: WriteBackOutcome) => void;
}

const MAX_DELAY_MS = 600_000;

export class RepositoryWriteBackRunner {
  private readonly loop: PollingLoop;

  constructor(
    private readonly store: Store,
    private readonly writeBack: RepositoryWriteBack,
    private readonly config: Pick<Config, 'repositories'>,
    private readonly clock: Clock,
    private readonly options: RepositoryWriteBackRunnerOptions = {},
  ) {
    this.loop = new PollingLoop(
      () => this.runOnce(),
      this.options.pollMs ?? 1000,
      (error) => this.options.onError?.(error, ''),
    );
  }

  /** Writes back every repository with a change due now; answers how many it wrote. */
  async runOnce(): Promise<number> {
    const names = this.config.repositories.map((entry) => entry.name);
    const due = await this.store.repositoryWriteBacks.dueRepositories(
      names,
      this.clock.now().toISOString(),
    );
    let written = 0;
    for (const name of due) {
      const repository = this.config.repositories.find((entry) => entry.name === name);
      if (repository === undefined) continue;
      try {
        const run = await this.store.runExclusive(`repository-writeback:${name}`, () =>
          this.writeBack.run(repository),
        );
        if (!run.ran) continue;
        written += 1;
        this.options.onWritten?.(name, run.value);
      } catch (error) {
        this.options.onError?.(error, name);
        await this.postpone(name, error);
      }
    }
    return written;
  }

  private async postpone(name: string, error: unknown): Promise<void> {
    const intents = await this.store.repositoryWriteBacks.listIntents(name);
    const attempts = Math.max(0, ...intents.map((intent) => intent.attempts));
    const delay = Math.min(MAX_DELAY_MS, 5000 * 2 ** Math.min(attempts, 10));
    await this.store.repositoryWriteBacks.postpone(
      intents.map((intent) => intent.id),
      (error as Error).message.slice(0, 1000),
      new Date(this.clock.now().getTime() + delay).toISOString(),
      true,
    );
  }

  start(): void {
    this.loop.start();
  }

  /** Looks for due write-backs now. */
  wake(): void {
    this.loop.wake();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }
}
