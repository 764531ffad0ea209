// Events, stories and plan inputs for the pure rules-engine tests.
import type { NormalizedEvent } from '../../../src/domain/events/normalized-event.js';
import { DEFAULT_RULES } from '../../../src/domain/rules/default-rules.js';
import type { EventReference, PlanInput, Rule } from '../../../src/domain/rules/rule.js';
import type { JsonValue } from '../../../src/domain/story/json-value.js';
import { DEFAULT_WORKFLOW } from '../../../src/domain/story/workflow.js';

export const REPO = 'acme/shop';
export const BRANCH = 'feature/INT-003-ci';

export function event(
  kind: NormalizedEvent['kind'],
  overrides: Partial<NormalizedEvent> = {},
): NormalizedEvent {
  return { kind, provider: 'github', repository: REPO, ...overrides };
}

export function pr(overrides: Partial<NonNullable<NormalizedEvent['pr']>> = {}) {
  return {
    number: 7,
    title: 'CI endpoints',
    body: '',
    source: BRANCH,
    target: 'main',
    url: 'https://github.com/acme/shop/pull/7',
    draft: false,
    ...overrides,
  };
}

export const byBranch: EventReference = {
  source: 'branch',
  relation: 'mentions',
  evidence: BRANCH,
};
export const closes: EventReference = {
  source: 'pr-body',
  relation: 'closes',
  evidence: 'Closes INT-003',
};
export const mentions: EventReference = {
  source: 'commit',
  relation: 'mentions',
  evidence: 'INT-003',
};
export const byLink: EventReference = {
  source: 'link',
  relation: 'mentions',
  evidence: 'linked commit abc',
};

export interface StoryOptions {
  id?: string;
  status?: string;
  fields?: Record<string, JsonValue>;
  references?: EventReference[];
}

/** A plan input naming one story (INT-003 by default) with the default rules. */
export function input(
  evt: NormalizedEvent,
  story: StoryOptions = {},
  rules: readonly Rule[] = DEFAULT_RULES,
  defaultBranches: readonly string[] = ['main', 'master'],
): PlanInput {
  const id = story.id ?? 'INT-003';
  const status = story.status ?? 'draft';
  return {
    event: evt,
    stories: [
      {
        story: {
          id,
          status,
          fields: { id, title: 'CI endpoints', status, ...story.fields },
        },
        references: story.references ?? [byBranch],
      },
    ],
    rules,
    workflow: DEFAULT_WORKFLOW,
    defaultBranches,
  };
}
