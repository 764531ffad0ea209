// The one place storyflow's services are built over a store. `serve` builds them once on the main
// thread (src/compose.ts) and once in the inbox worker thread, which has its own connection:
// both get the same graph from here, so a service added here is wired everywhere it runs.
import type { Config } from '../config/config.js';
import type { Clock } from '../domain/clock.js';
import type { IdGenerator } from '../domain/ids.js';
import type { Store } from '../storage/store.js';
import { AuditService } from './audit-service.js';
import { AutomationEngine } from './automation/automation-engine.js';
import { AutomationSettings } from './automation/automation-settings.js';
import { OperationService } from './automation/operation-service.js';
import { RuleService } from './automation/rule-service.js';
import { BatchService } from './batch-service.js';
import { DeploymentGateService } from './deployment-gate-service.js';
import type { DeliveryHandler } from './inbox/delivery-handler.js';
import { LinkService } from './link-service.js';
import { ForgeFeedback } from './outbox/forge-feedback.js';
import { OutboxService } from './outbox/outbox-service.js';
import { queueWriteBacks } from './repositories/queue-write-backs.js';
import { recordingRepositoryPushes } from './repositories/recording-repository-pushes.js';
import { StoryService } from './story-service.js';

export interface ComposeServicesOptions {
  clock: Clock;
  ids: IdGenerator;
  /** What deliveries do; default: the automation engine. */
  deliveryHandler?: DeliveryHandler;
  /** A batch operation failed after its answer was sent (logged). */
  onBatchError?: (error: unknown) => void;
  /** A call to a forge was queued (wakes this process's outbox sender, when it runs one). */
  onOutboxQueued?: () => void;
  /** A push to a configured repository was recorded (wakes this process's sync runner). */
  onRepositoryPush?: () => void;
  /** A write-back to a repository was queued (wakes this process's write-back runner). */
  onWriteBackQueued?: () => void;
}

export interface StoryServices {
  stories: StoryService;
  links: LinkService;
  audit: AuditService;
  batches: BatchService;
  engine: AutomationEngine;
  /** What a delivery does: the engine, unless the caller plugged in its own. */
  handler: DeliveryHandler;
  operations: OperationService;
  rules: RuleService;
  /** Calls to forges, queued in the transaction that decided them (docs/forge-feedback.md). */
  outbox: OutboxService;
  gates: DeploymentGateService;
}

export function composeServices(
  store: Store,
  config: Config,
  options: ComposeServicesOptions,
): StoryServices {
  const { clock, ids } = options;
  const outbox = new OutboxService(store, config, clock, ids, options.onOutboxQueued);
  const feedback = new ForgeFeedback(outbox, config.publicUrl);
  // A story that changes status, however, refreshes the linkback comments of its open PRs.
  // A change to a story bound to a file queues its write-back (docs/git-sync.md).
  const stories = new StoryService(
    store,
    config.workflow,
    clock,
    (tx, changed) => feedback.afterStatusChangeIn(tx, changed),
    queueWriteBacks(config, clock, ids, options.onWriteBackQueued),
    config.storyBookkeeping,
  );
  const links = new LinkService(store, clock);
  const settings = new AutomationSettings(config);
  // Every applied event may queue a linkback comment and a commit status (forges: in config).
  const engine = new AutomationEngine(stories, settings, clock, ids, feedback);
  return {
    stories,
    links,
    audit: new AuditService(store),
    batches: new BatchService(
      store,
      stories,
      config.workflow,
      clock,
      ids,
      options.onBatchError ?? (() => {}),
      links,
    ),
    engine,
    // Pushes to `repositories:` are recorded for the sync runner in the delivery's transaction.
    handler: recordingRepositoryPushes(
      options.deliveryHandler ?? engine,
      config.repositories,
      clock,
      options.onRepositoryPush,
    ),
    operations: new OperationService(store, stories, engine, clock, ids),
    rules: new RuleService(store, settings, config.workflow, clock),
    outbox,
    gates: new DeploymentGateService(store, config),
  };
}
