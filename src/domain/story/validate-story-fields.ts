import type { JsonValue } from './json-value.js';
import type { StoryIssue } from './story-document-error.js';

/**
 * A story id: a short upper-case prefix, a dash and a number of 1 to 9 digits, e.g. `API-001`
 * (at most STORY_ID_MAX_LENGTH characters). The one definition: the request schemas, the
 * document checks and the reference finders all use it.
 */
export const STORY_ID_SOURCE = '[A-Z][A-Z0-9]{1,9}-\\d{1,9}';
export const STORY_ID_MAX_LENGTH = 20;
export const STORY_ID_PATTERN = new RegExp(`^${STORY_ID_SOURCE}$`);

/** The fields storyflow knows about, in the order a new story lists them. */
export const KNOWN_STORY_FIELDS = [
  'id',
  'title',
  'branch_name',
  'epic',
  'status',
  'priority',
  'estimate',
  'dependencies',
  'labels',
  'created',
  'author',
  'owner',
  'last_updated',
] as const;

type Check = (value: JsonValue) => string | undefined;

const stringOrNull: Check = (value) =>
  value === null || typeof value === 'string' ? undefined : 'must be a string or null';

const STRING_OR_NULL_FIELDS = [
  'priority',
  'epic',
  'branch_name',
  'owner',
  'author',
  'created',
  'last_updated',
] as const;

function describeValue(value: JsonValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return JSON.stringify(value);
}

/**
 * Checks the story fields storyflow relies on. Unknown fields are allowed.
 * `lines` maps a field name to the 1-based document line of its key, for the issues.
 */
export function validateStoryFields(
  fields: Readonly<Record<string, JsonValue>>,
  lines?: Readonly<Record<string, number>>,
): StoryIssue[] {
  const issues: StoryIssue[] = [];
  const has = (field: string): boolean => Object.hasOwn(fields, field);
  const report = (field: string, message: string): void => {
    const line = lines !== undefined && Object.hasOwn(lines, field) ? lines[field] : undefined;
    issues.push(line === undefined ? { field, message } : { field, line, message });
  };
  const check = (field: string, rule: Check): void => {
    if (!has(field)) return;
    const problem = rule(fields[field] as JsonValue);
    if (problem !== undefined) report(field, `${field} ${problem}`);
  };

  if (!has('id')) report('id', 'id is required');
  check('id', (id) => {
    if (typeof id !== 'string') return `must be a string, got ${describeValue(id)}`;
    return STORY_ID_PATTERN.test(id)
      ? undefined
      : `"${id}" is not a story id like ABC-123 (a prefix of 2-10 letters and digits, a dash, 1-9 digits)`;
  });
  if (!has('title')) report('title', 'title is required');
  check('title', (title) => {
    if (typeof title !== 'string') return `must be a string, got ${describeValue(title)}`;
    return title.trim() === '' ? 'must not be empty' : undefined;
  });
  check('status', (status) => {
    if (typeof status !== 'string') return `must be a string, got ${describeValue(status)}`;
    return status.trim() === '' ? 'must not be empty' : undefined;
  });
  check('labels', (labels) => listProblem(labels, () => undefined));
  check('dependencies', (dependencies) =>
    listProblem(dependencies, (dependency) =>
      STORY_ID_PATTERN.test(dependency) ? undefined : `"${dependency}" is not a story id`,
    ),
  );
  for (const field of STRING_OR_NULL_FIELDS) check(field, stringOrNull);
  check('estimate', (estimate) =>
    estimate === null || typeof estimate === 'string' || typeof estimate === 'number'
      ? undefined
      : 'must be a string, a number or null',
  );
  return issues;
}

function listProblem(
  value: JsonValue,
  itemProblem: (item: string) => string | undefined,
): string | undefined {
  if (!Array.isArray(value)) return `must be a list of strings, got ${describeValue(value)}`;
  for (const [index, item] of value.entries()) {
    if (typeof item !== 'string') {
      return `must be a list of strings, item ${index + 1} is ${describeValue(item)}`;
    }
    const problem = itemProblem(item);
    if (problem !== undefined) return `item ${index + 1}: ${problem}`;
  }
  return undefined;
}
