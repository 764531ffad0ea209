// Where a fact stands among the facts about the same deployment, pipeline or pull request, so a
// delivery that arrives late (GitHub delivers out of order during incidents) cannot undo a newer
// one. docs/events.md, "Out-of-order deliveries", describes the rules.
import { createHash } from 'node:crypto';
import type { NormalizedEvent } from './normalized-event.js';

/** Longer repository names and keys are stored as their SHA-256, so an index can hold them. */
const MAX_STORED_LENGTH = 200;

/** The deployment, pipeline or PR/MR an event is a fact about. */
export interface EventSubject {
  type: 'deployment' | 'pipeline' | 'pr';
  repository: string;
  /** Unique within the repository and type: the provider and the provider's id of the object. */
  key: string;
}

/** What orders two facts about one subject: the provider's counter, then its time. */
export interface FactPosition {
  /** ISO 8601 (UTC) time the provider gave the fact. */
  occurredAt: string | null;
  /** The provider's counter of the subject's changes (deployment status id, run attempt). */
  sequence: number | null;
}

/**
 * The subject `event` is a fact about, or undefined when it names none (pushes, branches,
 * releases, and events without a `deployment.id`, `pipeline.id` or `pr.number`).
 * A deployment is keyed by its id and environment: `POST /deployments` uses the commit as id, so
 * one commit deployed to two environments is two deployments.
 */
export function eventSubject(event: NormalizedEvent): EventSubject | undefined {
  const subject = unboundedSubject(event);
  if (subject === undefined) return undefined;
  return { ...subject, repository: bounded(subject.repository), key: bounded(subject.key) };
}

function bounded(text: string): string {
  if (text.length <= MAX_STORED_LENGTH) return text;
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

function unboundedSubject(event: NormalizedEvent): EventSubject | undefined {
  const { provider, repository } = event;
  if (event.kind.startsWith('deployment.') && event.deployment !== undefined) {
    const environment = event.environment ?? '';
    return {
      type: 'deployment',
      repository,
      key: `${provider}:${event.deployment.id}@${environment}`,
    };
  }
  if (event.kind.startsWith('pipeline.') && event.pipeline !== undefined) {
    return { type: 'pipeline', repository, key: `${provider}:${event.pipeline.id}` };
  }
  if (event.kind.startsWith('pr.') && event.pr !== undefined) {
    return { type: 'pr', repository, key: `${provider}:${event.pr.number}` };
  }
  return undefined;
}

/** The event's position: `sequence` and `occurredAt` as the provider (or CI system) gave them. */
export function factPosition(event: NormalizedEvent): FactPosition {
  const millis = event.occurredAt === undefined ? Number.NaN : Date.parse(event.occurredAt);
  return {
    occurredAt: Number.isFinite(millis) ? new Date(millis).toISOString() : null,
    sequence: event.sequence ?? null,
  };
}

/**
 * Whether a fact at `candidate` is strictly older than one at `applied`: by sequence when both
 * have one and they differ, else by time when both have one. Anything else (equal, or nothing to
 * compare) is not older: facts then apply in the order they arrive.
 */
export function isOlderFact(candidate: FactPosition, applied: FactPosition): boolean {
  if (
    candidate.sequence !== null &&
    applied.sequence !== null &&
    candidate.sequence !== applied.sequence
  ) {
    return candidate.sequence < applied.sequence;
  }
  if (candidate.occurredAt !== null && applied.occurredAt !== null) {
    return Date.parse(candidate.occurredAt) < Date.parse(applied.occurredAt);
  }
  return false;
}

/**
 * The position to remember once `candidate` is applied on top of `applied`: its own values, and
 * the earlier ones where it has none (a fact without a time does not make older times newer).
 */
export function mergeFactPosition(
  candidate: FactPosition,
  applied: FactPosition | undefined,
): FactPosition {
  return {
    occurredAt: candidate.occurredAt ?? applied?.occurredAt ?? null,
    sequence: candidate.sequence ?? applied?.sequence ?? null,
  };
}
