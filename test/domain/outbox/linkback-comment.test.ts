// The linkback comment's text: the default template gives the text storyflow always wrote, a
// configured one fills its placeholders, links go under the public URL, and a template naming
// an unknown placeholder is refused.
import { expect, it } from 'vitest';
import {
  DEFAULT_LINKBACK_TEMPLATE,
  type LinkbackStory,
  linkbackBody,
  linkbackTemplateProblem,
  storyUrl,
} from '../../../src/domain/outbox/linkback-comment.js';

const PR = { repository: 'acme/shop', number: 7 };
const STORIES: LinkbackStory[] = [
  { id: 'INT-003', title: 'Endpoints', status: 'in_review', url: null },
  { id: 'INT-004', title: 'Docs', status: 'done', url: null },
];

it('the default template writes the text of before the template existed', () => {
  expect(linkbackBody(DEFAULT_LINKBACK_TEMPLATE, STORIES.slice(0, 1), PR)).toBe(
    [
      '<!-- storyflow:linkback -->',
      '**storyflow**: this pull request serves one story.',
      '',
      '| Story | Title | Status |',
      '| --- | --- | --- |',
      '| INT-003 | Endpoints | in\\_review |',
    ].join('\n'),
  );
  expect(linkbackBody(DEFAULT_LINKBACK_TEMPLATE, STORIES, PR)).toContain('serves 2 stories.');
});

it('a configured template fills every placeholder; the marker line stays first', () => {
  const body = linkbackBody(
    'PR {{repository}}#{{number}}: {{ count }} ({{ids}}) — {{summary}}\n{{table}}',
    STORIES,
    PR,
  );
  expect(body.split('\n').slice(0, 2)).toEqual([
    '<!-- storyflow:linkback -->',
    'PR acme/shop#7: 2 (INT-003, INT-004) — 2 stories',
  ]);
  expect(body).toContain('| INT-004 | Docs | done |');
});

it('each story links to its console page or its API resource under the public URL', () => {
  expect(storyUrl('https://sf.example.com/x', 'console', 'INT-003')).toBe(
    'https://sf.example.com/x/story/INT-003',
  );
  expect(storyUrl('https://sf.example.com', 'api', 'A(1)')).toBe(
    'https://sf.example.com/api/v1/stories/A%281%29',
  );
  const body = linkbackBody(
    '{{table}}',
    [
      {
        id: 'INT-003',
        title: 'Endpoints',
        status: 'done',
        url: 'https://sf.example.com/story/INT-003',
      },
    ],
    PR,
  );
  expect(body).toContain('| [INT-003](https://sf.example.com/story/INT-003) | Endpoints |');
});

it('a template naming an unknown placeholder is refused, naming it and the known ones', () => {
  expect(linkbackTemplateProblem(DEFAULT_LINKBACK_TEMPLATE)).toBeUndefined();
  expect(linkbackTemplateProblem('{{table}} {{stories}}')).toMatch(
    /^unknown placeholder \{\{stories\}\}; known: \{\{table\}\}, /,
  );
});
