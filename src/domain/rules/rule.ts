// Rules map an event kind and conditions to actions on the stories the event names.
import type { NormalizedEventKind } from '../events/normalized-event.js';
import type { JsonValue } from '../story/json-value.js';

export interface RuleConditions {
  /** Repository glob: `acme/shop`, `acme/*`, `group/**`. */
  repository?: string;
  /** Glob on the event's branch (for PRs: the source branch). */
  branch?: string;
  /** Glob on a PR's target branch. */
  targetBranch?: string;
  /** The PR targets (or the push/deployment is on) the repository's default branch. */
  defaultBranch?: boolean;
  /** Glob on the deployment environment: `production`, `prod*`. */
  environment?: string;
  draft?: boolean;
  /** The story has every one of these labels. */
  labels?: string[];
  /** The story is in one of these statuses. */
  status?: string[];
  /**
   * How the story must be named: `closes` (a closing word, e.g. "Closes INT-003"),
   * `branch` (the branch is the story's), `closes-or-branch`, or `any` (default).
   */
  reference?: 'closes' | 'branch' | 'closes-or-branch' | 'any';
}

export type RuleAction =
  | {
      /** Move to this status: forward along the workflow order only, unless `force`. */
      transition: string;
      force?: boolean;
    }
  | { set: Record<string, JsonValue> }
  | { addLabel: string }
  | { removeLabel: string }
  | { comment: string };

export interface Rule {
  name: string;
  on: NormalizedEventKind[];
  if?: RuleConditions;
  then: RuleAction[];
}
