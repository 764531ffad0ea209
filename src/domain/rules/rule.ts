// Rules map an event kind and conditions to actions on the stories the event names.
import type { NormalizedEvent, NormalizedEventKind } from '../events/normalized-event.js';
import type { JsonValue } from '../story/json-value.js';
import type { Workflow } from '../story/workflow.js';

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
  /**
   * For a story linked to several pull requests (in one repository or several): `last` holds
   * only when none of its other linked PRs is still open (or a draft), so the last merge moves
   * it; `first` always holds, so the first merge does. Absent: not checked (as `first`).
   */
  pullRequests?: 'last' | 'first';
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

// What the rules are evaluated over. Here, not in plan-event.ts, so that match-conditions.ts needs
// nothing from the planner that calls it.

export interface StorySnapshot {
  id: string;
  fields: Record<string, JsonValue>;
  status: string;
}

/** How an event names a story: by its branch, a commit, the PR, a link, or explicitly. */
export interface EventReference {
  source: 'branch' | 'commit' | 'pr-title' | 'pr-body' | 'link' | 'event' | 'created';
  relation: 'closes' | 'mentions';
  evidence: string;
}

/** A pull request linked to a story, by repository and number (the link's key). */
export interface LinkedPullRequest {
  repository: string;
  number: string;
}

/** A story an event names, and how. */
export interface ReferencedStory {
  story: StorySnapshot;
  references: EventReference[];
  /**
   * The story's linked PRs still open or draft, as stored before this event (the event's own PR
   * may be among them). Only read by the `pullRequests: last` condition; absent means none.
   */
  openPullRequests?: readonly LinkedPullRequest[];
}

export interface PlanInput {
  event: NormalizedEvent;
  stories: ReferencedStory[];
  rules: readonly Rule[];
  workflow: Workflow;
  /** Branch names taken as the default branch when the event does not say. */
  defaultBranches: readonly string[];
}
