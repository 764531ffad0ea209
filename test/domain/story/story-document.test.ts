import { describe, expect, it } from 'vitest';
import {
  editStoryDocument,
  type JsonValue,
  parseStoryDocument,
  renderStoryDocument,
  updateStoryDocument,
} from '../../../src/domain/story/story-document.js';
import { expectOnlyLinesReplaced, fixtureNames, readFixture } from './story-test-helpers.js';

const inf015 = readFixture('INF-015.md');
const int003 = readFixture('INT-003.md');
const ui007 = readFixture('UI-007.md');
const api001 = readFixture('API-001.md');

describe('reading the fixture stories', () => {
  it('finds the six fixture stories and the four byte fixtures', () => {
    expect(fixtureNames).toEqual([
      'API-001.md',
      'INF-015.md',
      'INT-003.md',
      'INT-004.md',
      'SEC-002.md',
      'UI-007.md',
      'UTF-008.md', // multi-byte UTF-8
      'WIN-009.md', // CR LF
      'XBOM-010.md', // byte-order mark
      'ZNL-011.md', // no final newline
    ]);
  });

  it.each(fixtureNames)('%s: an update without changes gives back the exact bytes', (name) => {
    const text = readFixture(name);
    expect(parseStoryDocument(text).text).toBe(text);
    expect(updateStoryDocument(text, {})).toBe(text);
    expect(updateStoryDocument(text, { fields: {} })).toBe(text);
  });

  it.each(fixtureNames)(
    '%s: setting every field and the body to its current value changes no byte',
    (name) => {
      const text = readFixture(name);
      const { fields, body } = parseStoryDocument(text);
      expect(updateStoryDocument(text, { fields, body })).toBe(text);
    },
  );

  it.each(fixtureNames)(
    '%s: fields keep source key order and the body skips the blank separator',
    (name) => {
      const text = readFixture(name);
      const { fields, body } = parseStoryDocument(text);
      const keys = [...text.matchAll(/^([a-z_]+):/gm)].map((match) => match[1]);
      expect(Object.keys(fields)).toEqual(keys);
      expect(fields.id).toBe(name.replace('.md', ''));
      expect(body.startsWith(`# ${name.replace('.md', '')}:`)).toBe(true);
      const eol = text.includes('\r\n') ? '\r\n' : '\n';
      expect(text.endsWith(`---${eol}${eol}${body}`)).toBe(true);
    },
  );

  it('reads INF-015: block list, quoted estimate, nulls, nested mapping, date-like strings', () => {
    const { fields } = parseStoryDocument(inf015);
    expect(fields).toEqual({
      id: 'INF-015',
      title: 'Container image and compose stack for the story API',
      branch_name: 'inf-015-container-image',
      epic: 'infrastructure',
      status: 'in_review',
      priority: 'medium',
      estimate: '3sp',
      dependencies: ['API-001'],
      labels: ['infrastructure', 'docker'],
      created: '2025-08-20',
      author: 'planning-agent',
      owner: 'platform-team',
      market: null,
      layer: null,
      last_updated: '2025-08-27',
      emit_metadata: {
        source_id: null,
        layer: null,
        input_path: null,
        notes: 'image published to the internal registry',
      },
    });
  });

  it('reads `created: 2025-08-12` as the string "2025-08-12" (core schema, no timestamps)', () => {
    const { fields } = parseStoryDocument(api001);
    expect(fields.created).toBe('2025-08-12');
    expect(fields.last_updated).toBe('2025-08-25');
    expect(fields.dependencies).toEqual([]);
    expect(fields.labels).toEqual(['api', 'core']);
  });

  it('reads INT-003, which has no trailing newline, with a body that has none either', () => {
    expect(int003.endsWith('\n')).toBe(false);
    const { body } = parseStoryDocument(int003);
    expect(body.endsWith('- Accepted: [date]')).toBe(true);
  });
});

describe('changing one field', () => {
  it('changing the status rewrites only the status line', () => {
    const updated = updateStoryDocument(int003, { fields: { status: 'in_progress' } });
    expectOnlyLinesReplaced(int003, updated, ['status: draft'], ['status: in_progress']);
    expect(parseStoryDocument(updated).fields.status).toBe('in_progress');
  });

  it('changing a double-quoted title keeps the double quotes and the comment in INF-015', () => {
    const updated = updateStoryDocument(inf015, { fields: { title: 'Compose stack' } });
    expectOnlyLinesReplaced(
      inf015,
      updated,
      ['title: "Container image and compose stack for the story API"'],
      ['title: "Compose stack"'],
    );
    expect(updated).toContain('# reviewers are tracked in the PR, not here\n');
  });

  it('changing a single-quoted title keeps the single quotes in UI-007', () => {
    const updated = updateStoryDocument(ui007, { fields: { title: "Board: it's live" } });
    expectOnlyLinesReplaced(
      ui007,
      updated,
      ["title: 'Board view: stories by status, with CI state on each card'"],
      ["title: 'Board: it''s live'"],
    );
  });

  it('changing a quoted estimate keeps the quotes', () => {
    const updated = updateStoryDocument(ui007, { fields: { estimate: '8sp' } });
    expectOnlyLinesReplaced(ui007, updated, ['estimate: "5sp"'], ['estimate: "8sp"']);
  });

  it('changing a flow label list keeps it a flow list on one line (INT-003)', () => {
    const updated = updateStoryDocument(int003, {
      fields: { labels: ['integration', 'ci: cd', 'true'] },
    });
    expectOnlyLinesReplaced(
      int003,
      updated,
      ['labels: [integration, cicd, automation, webhooks]'],
      ['labels: [integration, "ci: cd", "true"]'],
    );
    expect(parseStoryDocument(updated).fields.labels).toEqual(['integration', 'ci: cd', 'true']);
  });

  it('changing a block label list keeps block style and its indentation (INF-015)', () => {
    const updated = updateStoryDocument(inf015, {
      fields: { labels: ['infrastructure', 'compose', 'docker'] },
    });
    expectOnlyLinesReplaced(
      inf015,
      updated,
      ['labels:', '  - infrastructure', '  - docker'],
      ['labels:', '  - infrastructure', '  - compose', '  - docker'],
    );
  });

  it('a block list written level with its key stays level with it', () => {
    const text = '---\nid: AB-1\ntitle: T\nlabels:\n- a\n- b\nowner: x\n---\n';
    const updated = updateStoryDocument(text, { fields: { labels: ['c'] } });
    expectOnlyLinesReplaced(text, updated, ['labels:', '- a', '- b'], ['labels:', '- c']);
  });

  it('emptying a block list writes `[]` on the key line', () => {
    const updated = updateStoryDocument(inf015, { fields: { labels: [] } });
    expectOnlyLinesReplaced(
      inf015,
      updated,
      ['labels:', '  - infrastructure', '  - docker'],
      ['labels: []'],
    );
  });

  it('changing dependencies rewrites only the dependencies line', () => {
    const updated = updateStoryDocument(int003, { fields: { dependencies: ['API-001'] } });
    expectOnlyLinesReplaced(
      int003,
      updated,
      ['dependencies: [API-001, INF-015]'],
      ['dependencies: [API-001]'],
    );
  });

  it('filling an empty dependency list keeps flow style', () => {
    const updated = updateStoryDocument(api001, { fields: { dependencies: ['INF-015'] } });
    expectOnlyLinesReplaced(api001, updated, ['dependencies: []'], ['dependencies: [INF-015]']);
  });

  it('setting a null owner to a name writes it plain (UI-007)', () => {
    const updated = updateStoryDocument(ui007, { fields: { owner: 'frontend-team' } });
    expectOnlyLinesReplaced(ui007, updated, ['owner: null'], ['owner: frontend-team']);
  });

  it('setting a field back to null writes `null`', () => {
    const updated = updateStoryDocument(inf015, { fields: { owner: null } });
    expectOnlyLinesReplaced(inf015, updated, ['owner: platform-team'], ['owner: null']);
  });

  it('changing a string to a number writes a plain number', () => {
    const updated = updateStoryDocument(inf015, { fields: { estimate: 5 } });
    expectOnlyLinesReplaced(inf015, updated, ['estimate: "3sp"'], ['estimate: 5']);
    expect(parseStoryDocument(updated).fields.estimate).toBe(5);
  });

  it('changing the nested emit_metadata rewrites only its block and keeps the comment above it', () => {
    const emit = { source_id: 'S-1', layer: null, input_path: 'in/x.md', notes: 'moved' };
    const updated = updateStoryDocument(inf015, { fields: { emit_metadata: emit } });
    expectOnlyLinesReplaced(
      inf015,
      updated,
      [
        'emit_metadata:',
        '  source_id: null',
        '  layer: null',
        '  input_path: null',
        '  notes: "image published to the internal registry"',
      ],
      [
        'emit_metadata:',
        '  source_id: S-1',
        '  layer: null',
        '  input_path: in/x.md',
        '  notes: moved',
      ],
    );
    expect(updated).toContain('last_updated: 2025-08-27\n# reviewers are tracked in the PR');
  });

  it('changing the field just above the comment in INF-015 keeps the comment', () => {
    const updated = updateStoryDocument(inf015, { fields: { last_updated: '2025-09-30' } });
    expectOnlyLinesReplaced(
      inf015,
      updated,
      ['last_updated: 2025-08-27', '# reviewers are tracked in the PR, not here'],
      ['last_updated: 2025-09-30', '# reviewers are tracked in the PR, not here'],
    );
  });

  it('a nested mapping set on a scalar field is written in block style', () => {
    const updated = updateStoryDocument(ui007, {
      fields: { market: { region: 'eu', tiers: ['a', 'b'] } },
    });
    expectOnlyLinesReplaced(
      ui007,
      updated,
      ['market: null'],
      ['market:', '  region: eu', '  tiers: [a, b]'],
    );
  });

  it('a trailing comment on the changed line survives', () => {
    const text = '---\nid: AB-1\ntitle: T\nstatus: draft   # set by CI\n---\nbody\n';
    const updated = updateStoryDocument(text, { fields: { status: 'done' } });
    expect(updated).toBe('---\nid: AB-1\ntitle: T\nstatus: done   # set by CI\n---\nbody\n');
    const toBlock = updateStoryDocument(text, { fields: { status: 'done', extra: 1 } });
    expect(parseStoryDocument(toBlock).fields).toEqual({
      id: 'AB-1',
      title: 'T',
      status: 'done',
      extra: 1,
    });
  });

  it('a comment after an empty value survives when the value is set', () => {
    const text = '---\nid: AB-1\ntitle: T\nowner: # nobody yet\n---\n';
    const updated = updateStoryDocument(text, { fields: { owner: 'me' } });
    expect(updated).toBe('---\nid: AB-1\ntitle: T\nowner: me # nobody yet\n---\n');
  });

  it('a comment on the key line of a block list survives when the list changes', () => {
    const text = '---\nid: AB-1\ntitle: T\nlabels: # sorted\n  - a\nowner: x\n---\n';
    const updated = updateStoryDocument(text, { fields: { labels: ['b', 'c'] } });
    expect(updated).toBe(
      '---\nid: AB-1\ntitle: T\nlabels: # sorted\n  - b\n  - c\nowner: x\n---\n',
    );
  });

  it('unknown fields, key order and quoting elsewhere stay as they were', () => {
    const updated = updateStoryDocument(api001, { fields: { status: 'in_progress' } });
    const before = parseStoryDocument(api001).fields;
    const after = parseStoryDocument(updated).fields;
    expect(Object.keys(after)).toEqual(Object.keys(before));
    expect(after).toEqual({ ...before, status: 'in_progress' });
  });

  it('several changes at once touch only their own lines', () => {
    const updated = updateStoryDocument(inf015, {
      fields: { status: 'done', priority: 'high', last_updated: '2025-09-01' },
    });
    const before = inf015.split('\n');
    const after = updated.split('\n');
    const changed = after.flatMap((line, index) => (line === before[index] ? [] : [index]));
    expect(changed.map((index) => after[index])).toEqual([
      'status: done',
      'priority: high',
      'last_updated: 2025-09-01',
    ]);
  });
});

describe('adding and removing fields, replacing the body', () => {
  it('a new field is appended as the last frontmatter line', () => {
    const updated = updateStoryDocument(api001, { fields: { reviewer: 'alice' } });
    expectOnlyLinesReplaced(
      api001,
      updated,
      ['  notes: null', '---'],
      ['  notes: null', 'reviewer: alice', '---'],
    );
    expect(Object.keys(parseStoryDocument(updated).fields).at(-1)).toBe('reviewer');
  });

  it('new list and mapping fields use flow lists and block mappings', () => {
    const updated = updateStoryDocument(int003, {
      fields: { reviewers: ['ann', 'bob'], links: { pr: 'https://example.test/pr/1' } },
    });
    expectOnlyLinesReplaced(
      int003,
      updated,
      ['  notes: null', '---'],
      [
        '  notes: null',
        'reviewers: [ann, bob]',
        'links:',
        '  pr: https://example.test/pr/1',
        '---',
      ],
    );
  });

  it('removing a field removes only its line', () => {
    const updated = updateStoryDocument(int003, { fields: { market: undefined } });
    expectOnlyLinesReplaced(
      int003,
      updated,
      ['owner: implementation-team', 'market: null'],
      ['owner: implementation-team'],
    );
    expect(parseStoryDocument(updated).fields).not.toHaveProperty('market');
  });

  it('removing a block list removes all its lines', () => {
    const updated = updateStoryDocument(inf015, { fields: { labels: undefined } });
    expectOnlyLinesReplaced(
      inf015,
      updated,
      ['dependencies: [API-001]', 'labels:', '  - infrastructure', '  - docker'],
      ['dependencies: [API-001]'],
    );
  });

  it('removing the nested mapping after the comment keeps the comment', () => {
    const updated = updateStoryDocument(inf015, { fields: { emit_metadata: undefined } });
    expect(updated).toContain('# reviewers are tracked in the PR, not here\n---\n\n# INF-015');
    expect(parseStoryDocument(updated).fields).not.toHaveProperty('emit_metadata');
  });

  it('removing a field that is not there changes nothing', () => {
    expect(updateStoryDocument(int003, { fields: { nope: undefined } })).toBe(int003);
  });

  it('replacing the body keeps the blank separator line and the frontmatter bytes', () => {
    const updated = updateStoryDocument(api001, { body: '# API-001\n\nShorter.\n' });
    const head = api001.slice(0, api001.indexOf('\n---\n') + 5);
    expect(updated).toBe(`${head}\n# API-001\n\nShorter.\n`);
    expect(parseStoryDocument(updated).body).toBe('# API-001\n\nShorter.\n');
  });

  it('replacing the body of a story without a separator line adds none', () => {
    const text = '---\nid: AB-1\ntitle: T\n---\n# Old\n';
    expect(updateStoryDocument(text, { body: '# New\n' })).toBe(
      '---\nid: AB-1\ntitle: T\n---\n# New\n',
    );
  });

  it('a body that starts with a blank line reads back the same even without a separator', () => {
    const text = '---\nid: AB-1\ntitle: T\n---\n# Old\n';
    const updated = updateStoryDocument(text, { body: '\nspaced\n' });
    expect(parseStoryDocument(updated).body).toBe('\nspaced\n');
  });

  it('editing INT-003, which has no trailing newline, keeps it without one', () => {
    const updated = updateStoryDocument(int003, {
      fields: { status: 'done', owner: 'ci-team', added: true },
    });
    expect(updated.endsWith('- Accepted: [date]')).toBe(true);
    expect(updated.slice(updated.indexOf('\n---\n'))).toBe(int003.slice(int003.indexOf('\n---\n')));
  });

  it('a CRLF story keeps CRLF line endings on changed, added and removed lines', () => {
    const crlf = inf015.replace(/\n/g, '\r\n');
    const updated = updateStoryDocument(crlf, {
      fields: {
        status: 'done',
        labels: ['x', 'y'],
        emit_metadata: { notes: 'n' },
        market: undefined,
        added: { a: [1, 2] },
      },
    });
    expect(updated.replace(/\r\n/g, '')).not.toContain('\n');
    expect(updated).toContain('\r\nlabels:\r\n  - x\r\n  - y\r\n');
    expect(updated).toContain('\r\nadded:\r\n  a: [1, 2]\r\n---\r\n');
    const parsed = parseStoryDocument(updated);
    expect(parsed.fields.status).toBe('done');
    expect(parsed.body).toBe(parseStoryDocument(crlf).body);
    expect(updateStoryDocument(crlf, {})).toBe(crlf);
  });

  it('a story with a UTF-8 BOM parses and keeps the BOM when edited', () => {
    const bom = `\ufeff${int003}`;
    expect(parseStoryDocument(bom).fields.id).toBe('INT-003');
    const updated = updateStoryDocument(bom, { fields: { status: 'done' } });
    expect(updated).toBe(`\ufeff${updateStoryDocument(int003, { fields: { status: 'done' } })}`);
  });

  it('a flow-style frontmatter mapping is rewritten as a block mapping when edited', () => {
    const text = '---\n{id: AB-1, title: T}\n---\nbody\n';
    const updated = updateStoryDocument(text, { fields: { status: 'done' } });
    expect(updated).toBe('---\nid: AB-1\ntitle: T\nstatus: done\n---\nbody\n');
  });
});

const TRICKY_STRINGS: string[] = [
  'null',
  'Null',
  '~',
  'true',
  'false',
  '123',
  '-1.5e3',
  '0x1F',
  '0o17',
  '.inf',
  '.nan',
  '2025-08-12',
  '2025-08-12T10:00:00Z',
  'key: value',
  '# not a comment',
  'text #hash',
  'ends with colon:',
  "it's",
  'say "hi"',
  `both ' and "`,
  '  leading spaces',
  'trailing spaces  ',
  'ünïcödé ✓ 中文 😀',
  '',
  ' ',
  '- dash',
  '[brackets]',
  '{braces}',
  'a, b',
  '@at',
  '`backtick`',
  '*star',
  '&anchor',
  '!tag',
  '%percent',
  '|pipe',
  '>folded',
  '?question',
  'tab\tinside',
  'back\\slash',
  'line one\nline two',
  'ends with newline\n',
  'two trailing newlines\n\n',
  '\nstarts with newline',
  '  indented\nfirst line',
  'carriage\r\nreturn',
  '---',
  '...',
  '\u0007bell',
];

describe('tricky values read back exactly', () => {
  it.each(TRICKY_STRINGS)(
    'the string %j reads back as the same string in every field style',
    (value) => {
      const updated = updateStoryDocument(inf015, {
        fields: {
          epic: value,
          title: `T ${value}`,
          notes: value,
          labels: [value, 'x'],
          layer: [value],
        },
      });
      const { fields } = parseStoryDocument(updated);
      expect(fields.epic).toBe(value);
      expect(fields.title).toBe(`T ${value}`);
      expect(fields.notes).toBe(value);
      expect(fields.labels).toEqual([value, 'x']);
      expect(fields.layer).toEqual([value]);
      const lines = updated.split('\n');
      expect(lines.slice(0, 2)).toEqual(inf015.split('\n').slice(0, 2));
      expect(updated.slice(updated.indexOf('\n---\n'))).toBe(
        inf015.slice(inf015.indexOf('\n---\n')),
      );
    },
  );

  it.each(TRICKY_STRINGS)('a new story with the string %j renders and parses back', (value) => {
    const fields = {
      id: 'AB-1',
      title: 'T',
      epic: value,
      labels: [value],
      extra: { [value]: value },
    };
    const text = renderStoryDocument(fields, 'body\n');
    expect(parseStoryDocument(text).fields).toEqual(fields);
  });

  it('strings that YAML would read as another type are quoted, others stay plain', () => {
    const set = (value: JsonValue) =>
      updateStoryDocument(int003, { fields: { market: value } }).split('\n')[13];
    expect(set('null')).toBe('market: "null"');
    expect(set('true')).toBe('market: "true"');
    expect(set('123')).toBe('market: "123"');
    expect(set('2025-08-12')).toBe('market: 2025-08-12');
    expect(set('a: b')).toBe('market: "a: b"');
    expect(set('plain words')).toBe('market: plain words');
    expect(set(123)).toBe('market: 123');
    expect(set(true)).toBe('market: true');
  });

  it('multi-line strings become block scalars, or escaped strings where the field was quoted', () => {
    const updated = updateStoryDocument(inf015, {
      fields: { epic: 'first\nsecond', title: 'first\nsecond' },
    });
    expect(updated).toContain('\nepic: |-\n  first\n  second\nstatus:');
    expect(updated).toContain('\ntitle: "first\\nsecond"\n');
  });

  it('numbers, booleans and nested values read back exactly', () => {
    const values: JsonValue[] = [
      0,
      -7,
      3.25,
      1e21,
      5e-324,
      true,
      false,
      null,
      [],
      {},
      [[1], { a: [] }],
    ];
    for (const value of values) {
      const updated = updateStoryDocument(ui007, { fields: { market: value } });
      expect(parseStoryDocument(updated).fields.market).toEqual(value);
    }
  });
});

describe('editStoryDocument', () => {
  const changes: { fields?: Record<string, JsonValue | undefined>; body?: string }[] = [
    { fields: { status: 'in_progress' } },
    { fields: { title: 'A title: with a colon', labels: ['a', 'b'] } },
    { fields: { epic: undefined, branch_name: 'feat/new-branch' } },
    { body: 'A new body\n' },
    { fields: {} },
  ];

  it('answers the text updateStoryDocument writes, parsed as parseStoryDocument parses it', () => {
    for (const name of fixtureNames) {
      const text = readFixture(name);
      for (const change of changes) {
        const { document, previous } = editStoryDocument(text, change);
        const written = updateStoryDocument(text, change);
        expect(document).toEqual(parseStoryDocument(written));
        expect(Object.keys(document.fields)).toEqual(
          Object.keys(parseStoryDocument(written).fields),
        );
        if (written === text) expect(previous).toBeUndefined();
        else expect(previous).toEqual(parseStoryDocument(text));
      }
    }
  });

  it('answers its own copy of the fields', () => {
    const text = int003;
    const { document, previous } = editStoryDocument(text, { fields: { title: 'Another' } });
    expect(previous).toBeDefined();
    (document.fields as Record<string, JsonValue>).title = 'changed by the caller';
    (previous?.fields as Record<string, JsonValue>).title = 'changed by the caller too';
    expect(parseStoryDocument(document.text).fields.title).not.toMatch(/changed by the caller/);
    expect(parseStoryDocument(text).fields.title).not.toMatch(/changed by the caller/);
  });

  it('answers no previous document for a stored document that is no longer a valid story', () => {
    const text = '---\nid: OLD-1\ntitle: 42\nstatus: draft\n---\n\nBody\n';
    expect(() => parseStoryDocument(text)).toThrow();
    const edit = editStoryDocument(text, { fields: { title: 'Fixed' } });
    expect(edit.document.fields.title).toBe('Fixed');
    expect(edit.previous).toBeUndefined();
  });
});

describe('remembered single-field renderings', () => {
  it('tell apart values JSON writes alike (0 and -0)', () => {
    const line = (value: number) =>
      updateStoryDocument(int003, { fields: { score: value } })
        .split('\n')
        .find((text) => text.startsWith('score:'));
    expect([line(0), line(-0), line(0), line(-0)]).toEqual([
      'score: 0',
      'score: -0',
      'score: 0',
      'score: -0',
    ]);
  });
});
