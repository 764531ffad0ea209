// The Kysely schema: every query in src/storage derives its types from these tables.
import { type Generated, type Kysely, PostgresAdapter, SqliteAdapter } from 'kysely';

/** One story: its exact document plus the fields we filter on. Timestamps are ISO-8601 text. */
export interface StoriesTable {
  id: string;
  document: string;
  version: number;
  title: string;
  status: string;
  epic: string | null;
  created_at: string;
  updated_at: string;
  branch_name: string | null;
}

/** A story's labels, one row each; `position` keeps the order the story lists them in. */
export interface StoryLabelsTable {
  story_id: string;
  label: string;
  position: number;
}

/** An API token; `scopes` and `repositories` are JSON arrays. */
export interface ApiTokensTable {
  id: string;
  name: string;
  secret_hash: string;
  hint: string;
  scopes: string;
  repositories: string | null;
  rate_limit: string | null;
  expires_at: string | null;
  created_at: string;
  created_by: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
  parent_token_id: string | null;
}

/** One audit log entry; `before_json`/`after_json` hold JSON text, `hash` chains it to `prev_hash`. */
export interface AuditEntriesTable {
  seq: number;
  occurred_at: string;
  actor_type: string;
  actor_id: string | null;
  actor_name: string | null;
  /** The configured person behind a webhook's change (0012); null when unknown. */
  actor_person: string | null;
  /** `<provider>:<login>` of the forge account behind a webhook's change (0012). */
  actor_login: string | null;
  action: string;
  target_type: string;
  target_id: string | null;
  before_json: string | null;
  after_json: string | null;
  request_id: string | null;
  operation_id: string | null;
  delivery_id: string | null;
  batch_id: string | null;
  reason: string | null;
  prev_hash: string;
  hash: string;
}

/** The single row (id = 1) holding the seq and hash of the last audit entry. */
export interface AuditChainHeadTable {
  id: number;
  seq: number;
  hash: string;
}

/**
 * A stored webhook or CI delivery; `headers` and `events` are JSON. Times are ISO-8601 text.
 * Its body is in delivery_payloads, written once, so status changes do not rewrite it.
 */
export interface DeliveriesTable {
  id: string;
  provider: string;
  delivery_id: string;
  event: string;
  headers: string;
  received_at: string;
  source_address: string | null;
  repository: string | null;
  status: string;
  attempts: number;
  next_attempt_at: string;
  lease_owner: string | null;
  lease_until: string | null;
  last_error: string | null;
  events: string | null;
  processed_at: string | null;
}

/** A branch, commit, PR, pipeline or deployment linked to a story, with its latest state. */
export interface StoryLinksTable {
  story_id: string;
  type: string;
  repository: string;
  key: string;
  state: string | null;
  url: string | null;
  title: string | null;
  sha: string | null;
  environment: string | null;
  created_at: string;
  updated_at: string;
}

/** One event's changes (or a rollback); `changes`, `steps` and `comments` are JSON. */
export interface OperationsTable {
  id: string;
  status: string;
  trigger_kind: string;
  delivery_id: string | null;
  event_index: number | null;
  rolls_back: string | null;
  repository: string | null;
  environment: string | null;
  changes: string;
  steps: string;
  comments: string;
  created_at: string;
  rolled_back_at: string | null;
  rolled_back_by: string | null;
}

export interface OperationStoriesTable {
  operation_id: string;
  story_id: string;
}

export interface OperationCommitsTable {
  operation_id: string;
  sha: string;
}

/** The rules managed through PUT /rules: one row, id 1. */
export interface AutomationRulesTable {
  id: number;
  rules: string;
  version: number;
  updated_at: string;
}

/** An Idempotency-Key per principal: the request's hash and, once completed, its response. */
export interface IdempotencyKeysTable {
  principal_id: string;
  idempotency_key: string;
  request_hash: string;
  state: string;
  claim_id: string;
  response_status: number | null;
  response_headers: string | null;
  response_body: string | null;
  created_at: string;
  expires_at: string;
  /** While in flight: when the claim is abandoned unless its request renews it (0009). */
  lease_until: string | null;
}

/** The raw body of a delivery, as received (never changed). */
export interface DeliveryPayloadsTable {
  delivery_id: string;
  body: string;
}

/** The newest fact applied about a deployment, pipeline or PR (migration 0010). */
export interface LatestFactsTable {
  repository: string;
  subject_type: string;
  subject_key: string;
  occurred_at: string | null;
  /** A bigint on PostgreSQL, which the driver reads as a string. */
  sequence: number | string | null;
  kind: string | null;
  delivery_id: string | null;
  event_index: number | null;
  applied_at: string | null;
}

/** A call to a forge, queued in the transaction that decided it (migration 0012). */
export interface OutboxTable {
  id: string;
  forge: string;
  kind: string;
  target: string;
  /** JSON: what to send (the request body and where), as the sender's forge client reads it. */
  payload: string;
  version: number;
  status: string;
  attempts: number;
  next_attempt_at: string;
  lease_until: string | null;
  last_error: string | null;
  /** What the forge created on the first send (a comment id), for editing it in place. */
  remote_id: string | null;
  created_at: string;
  updated_at: string;
  sent_at: string | null;
  /** 1 from just before a comment create until its id is recorded (migration 0017). */
  create_in_doubt: Generated<number>;
  /** The web address of what the forge created (a pull request's), when it gave one (0018). */
  remote_url: Generated<string | null>;
}

/** A story file of a configured repository bound to its story (migration 0014). */
export interface RepositoryBindingsTable {
  repository: string;
  path: string;
  story_id: string;
  blob_sha: string;
  commit_sha: string;
  bound_at: string;
}

/** A change to a bound story waiting to be written back to its file (migration 0015). */
export interface RepositoryWritebacksTable {
  id: string;
  repository: string;
  story_id: string;
  operation_id: string;
  summary: string;
  queued_at: string;
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
}

/** One configured repository's sync state (migration 0014). */
export interface RepositorySyncStateTable {
  repository: string;
  last_synced_sha: string | null;
  last_synced_at: string | null;
  pending_pushes: number;
  failed_attempts: number;
  next_attempt_at: string | null;
  lease_until: string | null;
  last_error: string | null;
}

/** A key changed on both sides of a sync; the repository's value won (migration 0016). */
export interface RepositoryConflictsTable {
  id: string;
  repository: string;
  path: string;
  story_id: string;
  key: string;
  /** JSON of each side's value; null: that side removed the key. */
  storyflow_value: string | null;
  repository_value: string | null;
  commit_sha: string;
  created_at: string;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
}

export interface HandledEventsTable {
  delivery_id: string;
  event_index: number;
  handled_at: string;
}

export interface Database {
  repository_bindings: RepositoryBindingsTable;
  repository_sync_state: RepositorySyncStateTable;
  repository_writebacks: RepositoryWritebacksTable;
  repository_conflicts: RepositoryConflictsTable;
  outbox: OutboxTable;
  delivery_payloads: DeliveryPayloadsTable;
  handled_events: HandledEventsTable;
  latest_facts: LatestFactsTable;
  idempotency_keys: IdempotencyKeysTable;
  story_links: StoryLinksTable;
  operations: OperationsTable;
  operation_stories: OperationStoriesTable;
  operation_commits: OperationCommitsTable;
  automation_rules: AutomationRulesTable;
  deliveries: DeliveriesTable;
  stories: StoriesTable;
  story_labels: StoryLabelsTable;
  api_tokens: ApiTokensTable;
  audit_entries: AuditEntriesTable;
  audit_chain_head: AuditChainHeadTable;
}

export type StorageDialect = 'sqlite' | 'postgres';

/** Which of the two supported dialects a Kysely instance talks to. */
export function storageDialectOf<DB>(db: Kysely<DB>): StorageDialect {
  const adapter = db.getExecutor().adapter;
  if (adapter instanceof PostgresAdapter) return 'postgres';
  if (adapter instanceof SqliteAdapter) return 'sqlite';
  throw new Error(`Unsupported Kysely dialect adapter: ${adapter.constructor.name}`);
}
