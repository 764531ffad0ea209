// The outbox of calls to forges as people and the rest of storyflow see it: queue a call in the
// caller's transaction (`enqueueIn`), list what is pending, sent or dead (GET /api/v1/outbox,
// `storyflow outbox list`), and retry a row now (POST /api/v1/outbox/{id}/retry).
import type { Config, ForgeConfig } from '../../config/config.js';
import type { Clock } from '../../domain/clock.js';
import type { IdGenerator } from '../../domain/ids.js';
import { ProblemError } from '../../errors/problem-error.js';
import type { OutboxItem, OutboxStatus } from '../../storage/outbox-repository.js';
import type { Repositories, Store } from '../../storage/store.js';

export {
  OUTBOX_STATUSES,
  type OutboxItem,
  type OutboxStatus,
} from '../../storage/outbox-repository.js';

/** A row as the API shows it: never its payload's secrets (it has none) nor the forge's token. */
export interface OutboxView {
  id: string;
  forge: string;
  kind: string;
  target: string;
  status: OutboxStatus;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string;
  updatedAt: string;
  sentAt: string | null;
}

export interface OutboxCall {
  /** The repository the call is about: it picks the forge entry (repository first, then owner). */
  repository: string;
  /** The provider of the event that decided it: an entry of another forge is never picked. */
  provider?: string;
  kind: 'comment' | 'status' | 'check' | 'pull-request';
  target: string;
  payload: unknown;
}

export class OutboxService {
  constructor(
    private readonly store: Store,
    private readonly config: Pick<Config, 'forges'>,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    /** Called after a retry commits, so the sender looks at the outbox now. */
    private readonly onQueued: () => void = () => {},
  ) {}

  /** Whether any forge is configured (without one, nothing is ever queued). */
  hasForges(): boolean {
    return this.config.forges.length > 0;
  }

  /**
   * The `forges:` entry that covers `repository`, if any: the one naming it, else the owner whose
   * path it is under, the longest first (a GitLab subgroup before its group).
   */
  forgeFor(repository: string, provider?: string): ForgeConfig | undefined {
    const forges =
      provider === undefined
        ? this.config.forges
        : this.config.forges.filter((forge) => forge.provider === provider);
    return (
      forges.find((forge) => forge.repository === repository) ??
      forges
        .filter((forge) => forge.owner !== null && repository.startsWith(`${forge.owner}/`))
        .sort((a, b) => (b.owner?.length ?? 0) - (a.owner?.length ?? 0))[0]
    );
  }

  /**
   * Queues `call` in `tx` (the transaction that decided it), replacing the earlier call about
   * the same target; answers the row id, or undefined when no forge covers the repository.
   */
  async enqueueIn(tx: Repositories, call: OutboxCall): Promise<string | undefined> {
    const forge = this.forgeFor(call.repository, call.provider);
    if (forge === undefined) return undefined;
    return tx.outbox.enqueue({
      id: this.ids.next('out'),
      forge: forge.id,
      kind: call.kind,
      target: call.target,
      payload: call.payload,
      at: this.clock.now().toISOString(),
    });
  }

  /** Tells the sender a call was queued by `enqueueIn` (once its transaction committed). */
  queued(): void {
    this.onQueued();
  }

  async list(query: { status?: OutboxStatus; limit: number }): Promise<OutboxView[]> {
    return (await this.store.outbox.list(query)).map(viewOf);
  }

  async retry(id: string): Promise<OutboxView> {
    const at = this.clock.now().toISOString();
    const found = await this.store.transaction(async (tx) =>
      (await tx.outbox.retry(id, at)) ? tx.outbox.get(id) : undefined,
    );
    if (found === undefined) throw new ProblemError('not-found', `No outbox item ${id}`);
    this.onQueued();
    return viewOf(found);
  }
}

function viewOf(item: OutboxItem): OutboxView {
  return {
    id: item.id,
    forge: item.forge,
    kind: item.kind,
    target: item.target,
    status: item.status,
    attempts: item.attempts,
    lastError: item.lastError,
    nextAttemptAt: item.nextAttemptAt,
    updatedAt: item.updatedAt,
    sentAt: item.sentAt,
  };
}
