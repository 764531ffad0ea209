import { describe, expect, it } from 'vitest';
import {
  findBranchReferences,
  findChangeReferences,
  findTextReferences,
  type ReferenceSource,
  type StoryReference,
} from '../../../src/domain/references/find-story-references.js';
import {
  DEFAULT_CLOSING_WORDS,
  DEFAULT_REFERENCE_CONFIG,
  type ReferenceConfig,
} from '../../../src/domain/references/reference-patterns.js';

type TextSource = Exclude<ReferenceSource, 'branch'>;
type Input =
  | string
  | { branch: string; config?: Partial<ReferenceConfig> }
  | { text: string; source?: TextSource; config?: Partial<ReferenceConfig> };
/** `'closes INT-003'` or `'mentions INT-003'`, in the order found. */
type Expected = string[];

function run(input: Input): StoryReference[] {
  if (typeof input === 'string')
    return findTextReferences(input, 'commit', DEFAULT_REFERENCE_CONFIG);
  const config = { ...DEFAULT_REFERENCE_CONFIG, ...input.config };
  if ('branch' in input) return findBranchReferences(input.branch, config);
  return findTextReferences(input.text, input.source ?? 'commit', config);
}

const summarise = (references: StoryReference[]): Expected =>
  references.map((reference) => `${reference.relation} ${reference.id}`);

const cases: [description: string, input: Input, expected: Expected][] = [
  // branch names
  [
    'a GitLab-style branch starting with the id names it',
    { branch: 'int-003-cicd-integration-endpoints' },
    ['mentions INT-003'],
  ],
  ['a feature/ branch names its id', { branch: 'feature/INT-003-x' }, ['mentions INT-003']],
  ['a branch that is only the id names it', { branch: 'INT-003' }, ['mentions INT-003']],
  [
    'a monorepo branch with several folders names its id',
    { branch: 'team/svc/INT-003-x' },
    ['mentions INT-003'],
  ],
  [
    'a lower-case branch id is upper-cased, digits kept as written',
    { branch: 'bugfix/int-3' },
    ['mentions INT-3'],
  ],
  ['a personal branch names its id', { branch: 'users/bob/int-3-fix' }, ['mentions INT-3']],
  [
    'an id followed by `_` counts in a branch',
    { branch: 'feature/int-003_webhooks' },
    ['mentions INT-003'],
  ],
  [
    'an id followed by `.` and a word counts in a branch',
    { branch: 'feature/INT-003.webhooks' },
    ['mentions INT-003'],
  ],
  [
    'an id followed by `/` counts in a branch',
    { branch: 'INT-003/webhooks' },
    ['mentions INT-003'],
  ],
  [
    'a fork label `owner:branch` names the id of its branch',
    { branch: 'octocat:feature/INT-003-x' },
    ['mentions INT-003'],
  ],
  [
    'a full ref `refs/heads/…` names its id',
    { branch: 'refs/heads/feature/INT-003-x' },
    ['mentions INT-003'],
  ],
  [
    'a branch may name two stories',
    { branch: 'int-003-and-api-001' },
    ['mentions INT-003', 'mentions API-001'],
  ],
  [
    'an id named twice in a branch is reported once',
    { branch: 'int-003/int-003-again' },
    ['mentions INT-003'],
  ],
  [
    'a GitLab issue number before the id does not hide it',
    { branch: '123-int-003-title' },
    ['mentions INT-003'],
  ],
  ['a dependabot branch names no story', { branch: 'dependabot/npm_and_yarn/foo-1.2.3' }, []],
  [
    'a dependabot branch without a version dot names no story',
    { branch: 'dependabot/github_actions/actions/checkout-4' },
    [],
  ],
  ['a renovate branch names no story', { branch: 'renovate/actions-checkout-4.x' }, []],
  ['a package version in a branch is not an id', { branch: 'chore/bump-foo-1.2.3' }, []],
  ['a release branch is not a story', { branch: 'release-2024' }, []],
  ['a hotfix number is not a story', { branch: 'hotfix-12' }, []],
  ['a version tag names no story', { branch: 'v1.2.3' }, []],
  ['main names no story', { branch: 'main' }, []],
  ['an id glued to letters after it is not an id in a branch', { branch: 'feature/int-003x' }, []],
  ['`int-0x3` is not an id in a branch', { branch: 'feature/int-0x3' }, []],
  [
    'letters glued before the prefix make another prefix',
    { branch: 'feature/xint-003', config: { prefixes: ['INT'] } },
    [],
  ],
  [
    'a branch with an unconfigured prefix names no story',
    { branch: 'feature/api-001-x', config: { prefixes: ['INT'] } },
    [],
  ],

  // commit subjects and plain mentions
  [
    'an id before a colon in a commit subject is a mention',
    'INT-003: add webhooks',
    ['mentions INT-003'],
  ],
  ['an id in brackets is a mention', '[INT-003] add webhooks', ['mentions INT-003']],
  ['an id in parentheses is a mention', 'Add webhooks (INT-003)', ['mentions INT-003']],
  [
    'an id as a conventional-commit scope is a mention',
    'feat(INT-003): add webhooks',
    ['mentions INT-003'],
  ],
  ['an id after `#` is a mention', 'Add webhooks #INT-003', ['mentions INT-003']],
  [
    'an id at the end of a sentence is a mention',
    'Finished the endpoints of INT-003.',
    ['mentions INT-003'],
  ],
  ['a possessive id is a mention', "INT-003's criteria are met", ['mentions INT-003']],
  [
    'ids are reported in order of first appearance',
    'INT-004 depends on API-001 and INT-004',
    ['mentions INT-004', 'mentions API-001'],
  ],
  [
    'an id in markdown italics is a mention',
    'See _INT-003_ and __INT-004__',
    ['mentions INT-003', 'mentions INT-004'],
  ],
  ['an id glued to a word by `_` is not a mention', 'load_INT-003 and INT-004_data', []],
  ['a ten-character prefix is an id', 'ABCDEFGHIJ-1 is long', ['mentions ABCDEFGHIJ-1']],
  ['an eleven-character prefix is not an id', 'ABCDEFGHIJK-1 is too long', []],
  ['a dashed word starting with an id is not a mention in text', 'the INT-003-webhooks work', []],

  // closing words
  ['`Closes` closes', 'Closes INT-003', ['closes INT-003']],
  ['lower-case `closes` closes', 'Add webhooks, closes INT-003', ['closes INT-003']],
  ['`Fixes` closes', 'Fixes INT-003', ['closes INT-003']],
  ['upper-case `RESOLVED` closes', 'RESOLVED INT-003', ['closes INT-003']],
  ['`completes` closes', 'This completes INT-003', ['closes INT-003']],
  ['`implemented` closes', 'implemented INT-003', ['closes INT-003']],
  ['a closing word with a colon closes', 'fixes: INT-003', ['closes INT-003']],
  ['a closing word closes an id with few digits', 'Resolved INT-3', ['closes INT-3']],
  ['a closing word closes an id after `#`', 'Fixes #INT-003', ['closes INT-003']],
  ['a closing word closes an id in brackets', 'Closes [INT-003]', ['closes INT-003']],
  ['a closing word in bold closes', '**Closes** INT-003', ['closes INT-003']],
  [
    '`story` may sit between the closing word and the id',
    'Closes story INT-003',
    ['closes INT-003'],
  ],
  [
    '`and` joins two closed ids',
    'Closes INT-003 and INT-004',
    ['closes INT-003', 'closes INT-004'],
  ],
  ['a comma joins two closed ids', 'fixes INT-003, API-001', ['closes INT-003', 'closes API-001']],
  [
    'commas and `and` join a list of closed ids',
    'Closes INT-003, INT-004 and API-001',
    ['closes INT-003', 'closes INT-004', 'closes API-001'],
  ],
  ['issue numbers in a closing list are skipped', 'Closes #42 and INT-003', ['closes INT-003']],
  [
    'emphasised ids in a closing list are closed',
    'Fixes *INT-003*, _INT-004_',
    ['closes INT-003', 'closes INT-004'],
  ],
  ['`&` joins two closed ids', 'Closes INT-003 & INT-004', ['closes INT-003', 'closes INT-004']],
  [
    'a closing word only closes the list right after it',
    'Fixes INT-003 and adds tests for API-001',
    ['closes INT-003', 'mentions API-001'],
  ],
  [
    'words between the closing word and the id make a mention',
    'Fixes the crash in INT-003',
    ['mentions INT-003'],
  ],
  [
    'a closing list does not continue on the next line',
    'Closes INT-003\nINT-004 is next',
    ['closes INT-003', 'mentions INT-004'],
  ],
  ['a closing word inside a longer word does not close', 'unfixed INT-003', ['mentions INT-003']],
  [
    'each closing word closes its own list',
    'Fixes INT-003, closes INT-004',
    ['closes INT-003', 'closes INT-004'],
  ],
  ['a closing word before a lookalike closes nothing', 'Fixes UTF-8 handling', []],

  // trailers
  ['a `Closes:` trailer closes', 'Add webhooks\n\nCloses: INT-003', ['closes INT-003']],
  [
    'a `Fixes:` trailer closes a list',
    'Add webhooks\n\nFixes: INT-003, INT-004',
    ['closes INT-003', 'closes INT-004'],
  ],
  ['a `Story:` trailer mentions', 'Add webhooks\n\nStory: INT-003', ['mentions INT-003']],
  [
    'a `Refs:` trailer mentions a list',
    'Add webhooks\n\nRefs: INT-003, INT-004',
    ['mentions INT-003', 'mentions INT-004'],
  ],
  [
    'a `Stories:` trailer mentions space-separated ids',
    'Stories: INT-003 INT-004',
    ['mentions INT-003', 'mentions INT-004'],
  ],
  ['trailer keys are case-insensitive', 'story: INT-003', ['mentions INT-003']],

  // squash merges and PRs
  [
    'a squash-merge commit keeps the PR body’s closing words',
    'Webhook endpoints (#42)\n\nCloses INT-003',
    ['closes INT-003'],
  ],
  ['a PR number is not a story', { text: 'Webhook endpoints (#42)', source: 'pr-title' }, []],
  [
    'a PR body closes like a commit',
    { text: '## Summary\n\nAdds webhooks.\n\nCloses INT-003', source: 'pr-body' },
    ['closes INT-003'],
  ],

  // lookalikes
  ['`UTF-8` is not a story', 'Read files as UTF-8', []],
  ['`SHA-256` is not a story', 'Hash with SHA-256', []],
  ['`ISO-8601` is not a story', 'Dates are ISO-8601', []],
  ['`RFC-2119` is not a story', 'Keywords as in RFC-2119', []],
  ['`CVE-2024-1234` is not a story', 'Patch CVE-2024-1234', []],
  [
    'a dashed number after an id is never a story, whatever the prefix',
    { text: 'see CVE-2024-1234', config: { ignoredPrefixes: [] } },
    [],
  ],
  [
    '`ES-2015`, `PEP-8` and `TLS-1.3` are not stories',
    'ES-2015 syntax, PEP-8 style, TLS-1.3 only',
    [],
  ],
  ['`ISO-8859-1` is not a story', 'Latin ISO-8859-1 text', []],
  ['a single-letter prefix is not a story', 'X-1 and A-12', []],
  ['lower-case ids in text are prose, not stories', 'Support utf-8 and int-003', []],
  ['a mixed-case id in text is not a story', 'Int-003 is not an id', []],
  ['letters before the id hide it', 'abcINT-003', []],
  ['letters after the id hide it', 'INT-003abc', []],
  ['`INT-0x3` is not an id', 'INT-0x3', []],
  ['an id in a file path is not a mention', 'Edited docs/stories/INT-003.md', []],
  ['an id in an e-mail address is not a mention', 'Mail INT-003@example.com', []],

  // configured prefixes
  [
    'only configured prefixes count',
    { text: 'INT-003 and API-001', config: { prefixes: ['INT'] } },
    ['mentions INT-003'],
  ],
  [
    'configured prefixes are case-insensitive',
    { text: 'INT-003', config: { prefixes: ['int'] } },
    ['mentions INT-003'],
  ],
  [
    'a configured prefix wins over an ignored one',
    { text: 'Closes RFC-12', config: { prefixes: ['RFC'] } },
    ['closes RFC-12'],
  ],
  [
    'configured ignored prefixes are not stories',
    { text: 'OPS-1 and INT-003', config: { ignoredPrefixes: ['ops'] } },
    ['mentions INT-003'],
  ],

  // code, comments and URLs
  ['ids in a fenced code block are ignored', 'See:\n\n```\nCloses INT-009\n```\n', []],
  [
    'ids in a tilde fence are ignored',
    '~~~sh\ngit checkout -b INT-009-x\n~~~\nCloses INT-003',
    ['closes INT-003'],
  ],
  [
    'an unclosed fence hides the rest of the text',
    'Closes INT-003\n```\nINT-004',
    ['closes INT-003'],
  ],
  ['ids in inline code are ignored', 'Run `storyflow show INT-003`', []],
  [
    'a closing word before inline code does not reach past it',
    'Fixes `parse()` INT-003',
    ['mentions INT-003'],
  ],
  ['a lone backtick is literal text', "don't` INT-003", ['mentions INT-003']],
  [
    'ids in HTML comments (PR template hints) are ignored',
    '<!-- e.g. Closes ABC-123 -->\nCloses INT-003',
    ['closes INT-003'],
  ],
  [
    'an id that is a URL path segment is a mention',
    'https://jira.example.com/browse/INT-003',
    ['mentions INT-003'],
  ],
  [
    'a closing word before a URL only mentions it',
    'Closes https://tracker.example.com/INT-003',
    ['mentions INT-003'],
  ],
  [
    'an id that is part of a URL path segment is not a mention',
    'https://x.example.com/docs/INT-003.md',
    [],
  ],
  ['an id in a URL query is not a mention', 'https://x.example.com/?story=INT-003', []],
  [
    'a markdown link to the story gives one mention',
    '[INT-003](https://x.example.com/stories/INT-003)',
    ['mentions INT-003'],
  ],

  // deduplication
  [
    'a closing reference after a mention wins',
    'INT-003: add webhooks\n\nCloses INT-003',
    ['closes INT-003'],
  ],
  [
    'a mention after a closing reference does not undo it',
    'Closes INT-003\n\nSee INT-003 for details',
    ['closes INT-003'],
  ],
];

describe('findBranchReferences and findTextReferences', () => {
  it('has at least 60 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(60);
  });

  it.each(cases)('%s', (_description, input, expected) => {
    expect(summarise(run(input))).toEqual(expected);
  });

  it.each(DEFAULT_CLOSING_WORDS.map((word) => [word]))('the closing word `%s` closes', (word) => {
    const capitalised = `${word[0]?.toUpperCase()}${word.slice(1)}`;
    for (const form of [word, capitalised, word.toUpperCase()]) {
      expect(
        summarise(findTextReferences(`${form} INT-003`, 'pr-body', DEFAULT_REFERENCE_CONFIG)),
      ).toEqual(['closes INT-003']);
    }
  });
});

describe('evidence', () => {
  const config = DEFAULT_REFERENCE_CONFIG;

  it('a closing reference carries the whole closing phrase', () => {
    expect(
      findTextReferences('Add webhooks. Closes INT-003, INT-004 and API-001.', 'commit', config),
    ).toEqual([
      {
        id: 'INT-003',
        source: 'commit',
        relation: 'closes',
        evidence: 'Closes INT-003, INT-004 and API-001',
      },
      {
        id: 'INT-004',
        source: 'commit',
        relation: 'closes',
        evidence: 'Closes INT-003, INT-004 and API-001',
      },
      {
        id: 'API-001',
        source: 'commit',
        relation: 'closes',
        evidence: 'Closes INT-003, INT-004 and API-001',
      },
    ]);
  });

  it('a closing reference that wins over a mention takes the closing evidence', () => {
    expect(findTextReferences('INT-003: add webhooks\n\nFixes: INT-003', 'commit', config)).toEqual(
      [{ id: 'INT-003', source: 'commit', relation: 'closes', evidence: 'Fixes: INT-003' }],
    );
  });

  it('markdown emphasis is left out of the evidence', () => {
    expect(findTextReferences('**Closes** INT-003', 'pr-body', config)[0]?.evidence).toBe(
      'Closes INT-003',
    );
  });

  it('a trailer mention carries the trailer line', () => {
    expect(findTextReferences('Body\n\nRefs: INT-003, INT-004\r\n', 'commit', config)).toEqual([
      { id: 'INT-003', source: 'commit', relation: 'mentions', evidence: 'Refs: INT-003, INT-004' },
      { id: 'INT-004', source: 'commit', relation: 'mentions', evidence: 'Refs: INT-003, INT-004' },
    ]);
  });

  it('a plain mention carries the id and the source it was given', () => {
    expect(findTextReferences('[INT-003] Add webhooks', 'pr-title', config)).toEqual([
      { id: 'INT-003', source: 'pr-title', relation: 'mentions', evidence: 'INT-003' },
    ]);
  });

  it('a URL mention carries the URL', () => {
    expect(
      findTextReferences('See <https://tracker.example.com/browse/INT-003>.', 'pr-body', config),
    ).toEqual([
      {
        id: 'INT-003',
        source: 'pr-body',
        relation: 'mentions',
        evidence: 'https://tracker.example.com/browse/INT-003',
      },
    ]);
  });

  it('a branch reference carries the branch name', () => {
    expect(findBranchReferences('octocat:feature/int-003-x', config)).toEqual([
      {
        id: 'INT-003',
        source: 'branch',
        relation: 'mentions',
        evidence: 'octocat:feature/int-003-x',
      },
    ]);
  });
});

describe('findChangeReferences', () => {
  const config = DEFAULT_REFERENCE_CONFIG;

  it('reads the branch, every commit, the PR title and the PR body, in that order', () => {
    const references = findChangeReferences(
      {
        branch: 'feature/int-003-webhooks',
        commits: [{ message: 'INT-003: add endpoint' }, { message: 'Fixes INT-003' }],
        pr: { title: '[INT-003] Webhook endpoints', body: 'Closes INT-003 and INT-004' },
      },
      config,
    );
    expect(
      references.map((reference) => `${reference.source} ${reference.relation} ${reference.id}`),
    ).toEqual([
      'branch mentions INT-003',
      'commit closes INT-003',
      'pr-title mentions INT-003',
      'pr-body closes INT-003',
      'pr-body closes INT-004',
    ]);
  });

  it('a squash merge only has the PR title and body', () => {
    const references = findChangeReferences(
      { pr: { title: 'Webhook endpoints (#42)', body: 'Closes INT-003' } },
      config,
    );
    expect(references).toEqual([
      { id: 'INT-003', source: 'pr-body', relation: 'closes', evidence: 'Closes INT-003' },
    ]);
  });

  it('an empty change names no story', () => {
    expect(findChangeReferences({}, config)).toEqual([]);
    expect(
      findChangeReferences({ branch: '', commits: [], pr: { title: '', body: '' } }, config),
    ).toEqual([]);
  });
});

describe('configs in turn (their word lists and prefixes are compiled once per distinct list)', () => {
  it('each config gets its own closing words, trailers and prefixes, whatever was scanned before', () => {
    const message = 'Wraps INT-003\n\nTicket: API-7';
    const plain = DEFAULT_REFERENCE_CONFIG;
    const custom = {
      ...DEFAULT_REFERENCE_CONFIG,
      closingWords: ['wraps'],
      trailers: ['Ticket'],
      prefixes: ['INT'],
    };
    const scan = (config: ReferenceConfig) =>
      summarise(findTextReferences(message, 'commit', { ...config }));
    const plainResult = scan(plain);
    const customResult = scan(custom);
    expect(plainResult).toEqual(['mentions INT-003', 'mentions API-7']);
    expect(customResult).toEqual(['closes INT-003']);
    expect(scan(plain)).toEqual(plainResult);
    expect(scan(custom)).toEqual(customResult);
  });
});
