// The GitLab webhook payloads in test/fixtures/gitlab (see SOURCE.md there), one per hook kind.

import { readFileSync } from 'node:fs';

export type Payload = Record<string, any>;

export const GITLAB_FIXTURES = {
  push: 'Push Hook',
  tag_push: 'Tag Push Hook',
  merge_request: 'Merge Request Hook',
  pipeline: 'Pipeline Hook',
  job: 'Job Hook',
  deployment: 'Deployment Hook',
  release: 'Release Hook',
  note_commit: 'Note Hook',
  note_merge_request: 'Note Hook',
  note_issue: 'Note Hook',
  note_snippet: 'Note Hook',
} as const;

export type GitlabFixtureName = keyof typeof GITLAB_FIXTURES;

/** A fresh (safe to mutate) copy of test/fixtures/gitlab/<name>.json. */
export function gitlabFixture(name: GitlabFixtureName): Payload {
  const url = new URL(`../../fixtures/gitlab/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as Payload;
}
