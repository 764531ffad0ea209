// Real GitHub payloads from @octokit/webhooks-examples, picked by event and action.

import { createRequire } from 'node:module';

export type Payload = Record<string, any>;
type Definition = { name: string; examples: Payload[] };

const definitions = createRequire(import.meta.url)('@octokit/webhooks-examples') as Definition[];

/** Every event name the package has examples for, with its examples. */
export const ALL_GITHUB_EXAMPLES: ReadonlyArray<[string, readonly Payload[]]> = definitions.map(
  (definition) => [definition.name, definition.examples],
);

/**
 * A deep copy (safe to mutate) of the first example of `event` matching `pick`
 * (an action name or a predicate).
 */
export function githubExample(
  event: string,
  pick: string | ((payload: Payload) => boolean) = () => true,
): Payload {
  const examples = definitions.find((definition) => definition.name === event)?.examples ?? [];
  const matches = typeof pick === 'string' ? (p: Payload) => p.action === pick : pick;
  const found = examples.find(matches);
  if (!found) throw new Error(`no ${event} example matches ${String(pick)}`);
  return structuredClone(found);
}
