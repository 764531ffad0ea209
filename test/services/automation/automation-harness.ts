// The automation services wired on a real store, with a clock that ticks and predictable ids.

import type { Config } from '../../../src/config/config.js';
import { loadConfig } from '../../../src/config/load-config.js';
import type { AuditContext } from '../../../src/domain/audit/audit-context.js';
import type { Clock } from '../../../src/domain/clock.js';
import type { NormalizedEvent } from '../../../src/domain/events/normalized-event.js';
import type { IdGenerator } from '../../../src/domain/ids.js';
import { AutomationEngine } from '../../../src/services/automation/automation-engine.js';
import { AutomationSettings } from '../../../src/services/automation/automation-settings.js';
import { OperationService } from '../../../src/services/automation/operation-service.js';
import { StoryService } from '../../../src/services/story-service.js';
import type { OperationRecord } from '../../../src/storage/operation-repository.js';
import type { Store } from '../../../src/storage/store.js';

export const REPO = 'acme/shop';

export const PERSON: AuditContext = {
  actor: { type: 'token', id: 'tok_person', name: 'person' },
  requestId: 'req-test',
};

export interface Harness {
  store: Store;
  stories: StoryService;
  engine: AutomationEngine;
  operations: OperationService;
  /** Applies one event as a CI delivery would (no delivery id), in its own transaction. */
  apply(
    event: Partial<NormalizedEvent> & Pick<NormalizedEvent, 'kind'>,
  ): Promise<OperationRecord | undefined>;
  /** A story's fields as JSON. */
  story(id: string): Promise<Record<string, unknown>>;
  /** Imports story documents: `{id, title, status, …}` rendered as frontmatter. */
  seed(...stories: Record<string, unknown>[]): Promise<void>;
}

export function tickingClock(start = Date.parse('2025-09-01T10:00:00.000Z')): Clock {
  let now = start;
  return {
    now: () => {
      now += 1000;
      return new Date(now);
    },
  };
}

export function countingIds(): IdGenerator {
  let count = 0;
  return {
    next: (prefix) => `${prefix}_${String(++count).padStart(6, '0')}`,
    secret: () => 'secret',
  };
}

export function harness(
  store: Store,
  config: Partial<Config['automation']> = {},
  /** Top-level settings besides automation (`people`). */
  extra: Partial<Omit<Config, 'automation'>> = {},
): Harness {
  const base = loadConfig({ env: {}, cwd: '/nonexistent' });
  const full: Config = { ...base, ...extra, automation: { ...base.automation, ...config } };
  const clock = tickingClock();
  const ids = countingIds();
  const stories = new StoryService(store, full.workflow, clock);
  const engine = new AutomationEngine(stories, new AutomationSettings(full), clock, ids);
  const operations = new OperationService(store, stories, engine, clock, ids);
  return {
    store,
    stories,
    engine,
    operations,
    apply: (event) =>
      store.transaction((tx) =>
        engine.apply(
          tx,
          { provider: 'ci', repository: REPO, ...event },
          { deliveryId: null, eventIndex: null, actor: PERSON.actor, requestId: null },
        ),
      ),
    story: async (id) => stories.toJson(await stories.get(id)) as Record<string, unknown>,
    seed: async (...records) => {
      await stories.importDocuments(records.map(storyDocument), PERSON);
    },
  };
}

export function storyDocument(fields: Record<string, unknown>): string {
  const lines = Object.entries(fields).map(([key, value]) => `${key}: ${JSON.stringify(value)}`);
  return `---\n${lines.join('\n')}\n---\n\n# ${String(fields.title)}\n`;
}
