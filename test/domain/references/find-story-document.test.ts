import { describe, expect, it } from 'vitest';
import {
  findNewStoryTrailers,
  findRevertedCommits,
  findStoryDocument,
} from '../../../src/domain/references/find-story-document.js';

const story = [
  '---',
  'id: INT-003',
  'title: CI/CD integration endpoints',
  'status: draft',
  'labels: [integration, cicd]',
  '---',
  '',
  '# INT-003: CI/CD integration endpoints',
  '',
  '## User Story',
  '**As a** developer or CI/CD system  ',
  '**I want** API endpoints designed for CI/CD integration',
  '',
  '## Acceptance Criteria',
  '- [ ] Webhook endpoints for GitHub/GitLab integration',
  '',
  '```bash',
  'curl -X POST /api/v1/webhooks',
  '```',
  '',
].join('\n');

const sha1 = 'a'.repeat(40);
const sha2 = '0123456789abcdef0123456789abcdef01234567';

const documentCases: [description: string, text: string, expected: string | undefined][] = [
  ['a PR description that is a whole story is that story', story, story],
  [
    'a story after an introduction is found from its `---` line',
    `This PR adds a story.\n\n${story}`,
    story,
  ],
  ['trailing blank lines are trimmed to one newline', `${story}\n\n   \n`, story],
  ['a story without a final newline gets one', story.trimEnd(), story],
  ['a commit message holding a story is that story', `Add story INT-003\n\n${story}`, story],
  [
    'a final paragraph of hyphenated git trailers is not part of the body',
    `Add story\n\n${story}\nCo-authored-by: Bob <bob@example.com>\nSigned-off-by: Ann <ann@example.com>\n`,
    story,
  ],
  [
    'a final paragraph of plain `Key: value` lines stays in the body',
    `${story}\nOwner: Bob\n`,
    `${story}\nOwner: Bob\n`,
  ],
  [
    'a `<!-- end story -->` line ends the body',
    `${story}<!-- end story -->\n\n## Checklist\n- [x] tests\n`,
    story,
  ],
  [
    'an end marker inside the body’s own code block does not end it',
    `---\nid: AB-1\ntitle: T\n---\n\n\`\`\`html\n<!-- end story -->\n\`\`\`\nmore\n`,
    `---\nid: AB-1\ntitle: T\n---\n\n\`\`\`html\n<!-- end story -->\n\`\`\`\nmore\n`,
  ],
  [
    'a story in a ```markdown block ends at the closing fence',
    `Here is the story:\n\n\`\`\`markdown\n${story.replaceAll('```', '~~~')}\`\`\`\n\nThanks!\n`,
    story.replaceAll('```', '~~~'),
  ],
  [
    'a story in a ```md block ends at the closing fence',
    `\`\`\`md\n---\nid: AB-1\ntitle: T\n---\n\nBody\n\`\`\`\nafter\n`,
    '---\nid: AB-1\ntitle: T\n---\n\nBody\n',
  ],
  [
    'a story in a longer fence may hold ``` code blocks',
    `\`\`\`\`markdown\n${story}\`\`\`\`\n`,
    story,
  ],
  [
    'a story in an indented fence loses the fence’s indentation',
    '  ```md\n  ---\n  id: AB-1\n  title: T\n  ---\n  Body\n  ```\n',
    '---\nid: AB-1\ntitle: T\n---\nBody\n',
  ],
  [
    'a story in an unclosed ```md block runs to the end',
    '```md\n---\nid: AB-1\ntitle: T\n---\nBody\n',
    '---\nid: AB-1\ntitle: T\n---\nBody\n',
  ],
  [
    'a story in a ```yaml block is not a story document',
    '```yaml\n---\nid: AB-1\ntitle: T\n---\n```\n',
    undefined,
  ],
  [
    'a story in a plain ``` block is not a story document',
    '```\n---\nid: AB-1\ntitle: T\n---\n```\n',
    undefined,
  ],
  [
    'CRLF line endings become LF',
    '---\r\nid: AB-1\r\ntitle: T\r\n---\r\n\r\nBody\r\n',
    '---\nid: AB-1\ntitle: T\n---\n\nBody\n',
  ],
  [
    'a story without a body is its frontmatter',
    'x\n---\nid: AB-1\ntitle: T\n---',
    '---\nid: AB-1\ntitle: T\n---\n',
  ],
  ['text without a story has none', 'Adds webhooks.\n\nCloses INT-003\n', undefined],
  [
    'a block missing `title:` is not a story',
    '---\nid: AB-1\nstatus: draft\n---\nBody\n',
    undefined,
  ],
  ['a block missing `id:` is not a story', '---\ntitle: T\n---\nBody\n', undefined],
  ['an unclosed frontmatter is not a story', '---\nid: AB-1\ntitle: T\n\nBody\n', undefined],
  ['nested `id:` keys do not count', '---\nmeta:\n  id: AB-1\n  title: T\n---\n', undefined],
  [
    'horizontal rules around prose are skipped until a real story',
    `Intro\n\n---\n\nSome notes\n\n---\n\n${story}`,
    story,
  ],
  [
    'the first story wins',
    `${'```md\n---\nid: AB-1\ntitle: First\n---\n```\n'}${'---\nid: AB-2\ntitle: Second\n---\n'}`,
    '---\nid: AB-1\ntitle: First\n---\n',
  ],
];

describe('findStoryDocument', () => {
  it.each(documentCases)('%s', (_description, text, expected) => {
    expect(findStoryDocument(text)).toBe(expected);
  });
});

const trailerCases: [description: string, text: string, expected: string[]][] = [
  [
    'a New-Story trailer gives its title',
    'Plan work\n\nNew-Story: Export stories as CSV',
    ['Export stories as CSV'],
  ],
  [
    'several New-Story trailers give several titles in order',
    'Plan\n\nNew-Story: First story\nNew-Story: Second story\nSigned-off-by: Ann <a@x>',
    ['First story', 'Second story'],
  ],
  [
    'the key is case-insensitive and spaces are trimmed',
    'new-story:   Lower case key  \r\n',
    ['Lower case key'],
  ],
  ['the same title twice is reported once', 'New-Story: Same\nNew-Story: Same', ['Same']],
  ['an empty title is ignored', 'New-Story:   \n', []],
  ['a trailer mid-line is not a trailer', 'See the New-Story: trailer docs', []],
  ['a trailer in a code block is ignored', '```\nNew-Story: Example\n```', []],
  ['a trailer in an HTML comment is ignored', '<!-- New-Story: Title here -->', []],
  ['text without trailers has none', 'Add webhooks', []],
];

describe('findNewStoryTrailers', () => {
  it.each(trailerCases)('%s', (_description, text, expected) => {
    expect(findNewStoryTrailers(text)).toEqual(expected);
  });
});

const revertCases: [description: string, message: string, expected: string[]][] = [
  [
    'git revert’s message names the reverted commit',
    `Revert "Add webhooks"\n\nThis reverts commit ${sha2}.\n`,
    [sha2],
  ],
  [
    'a reverted merge names the reverted commit',
    `Revert "Merge pull request #42"\n\nThis reverts commit ${sha1}, reversing\nchanges made to ${sha2}.`,
    [sha1],
  ],
  ['an upper-case sha is lower-cased', `This reverts commit ${sha2.toUpperCase()}.`, [sha2]],
  [
    'a squash of several reverts names them all, once each',
    `This reverts commit ${sha1}.\nThis reverts commit ${sha2}.\nThis reverts commit ${sha1}.`,
    [sha1, sha2],
  ],
  ['a SHA-256 object id is accepted', `This reverts commit ${'b'.repeat(64)}.`, ['b'.repeat(64)]],
  ['a short sha is not a reverted commit', 'This reverts commit abc1234.', []],
  ['a sha of the wrong length is not a reverted commit', `This reverts commit ${sha1}ab.`, []],
  ['a message without a revert names none', 'Add webhooks\n\nCloses INT-003', []],
];

describe('findRevertedCommits', () => {
  it.each(revertCases)('%s', (_description, message, expected) => {
    expect(findRevertedCommits(message)).toEqual(expected);
  });
});
