import { describe, expect, it } from 'vitest';
import {
  findSmartCommands,
  type SmartCommand,
} from '../../../src/domain/references/find-smart-commands.js';
import {
  DEFAULT_REFERENCE_CONFIG,
  type ReferenceConfig,
} from '../../../src/domain/references/reference-patterns.js';

const cases: [description: string, message: string, expected: SmartCommand[]][] = [
  [
    'an id followed by `#status` is a transition',
    'INT-003 #in_review',
    [{ id: 'INT-003', command: 'transition', status: 'in_review', evidence: 'INT-003 #in_review' }],
  ],
  [
    'an id followed by `#comment` takes the rest of the line as the comment',
    'INT-003 #comment Ready for review, see `parse()`\nnext line',
    [
      {
        id: 'INT-003',
        command: 'comment',
        text: 'Ready for review, see `parse()`',
        evidence: 'INT-003 #comment Ready for review, see `parse()`',
      },
    ],
  ],
  [
    'a transition and a comment may follow one id',
    'INT-003 #in_review #comment Ready',
    [
      {
        id: 'INT-003',
        command: 'transition',
        status: 'in_review',
        evidence: 'INT-003 #in_review #comment Ready',
      },
      {
        id: 'INT-003',
        command: 'comment',
        text: 'Ready',
        evidence: 'INT-003 #in_review #comment Ready',
      },
    ],
  ],
  [
    'several ids before a command all take it',
    'INT-003 INT-004 #done',
    [
      { id: 'INT-003', command: 'transition', status: 'done', evidence: 'INT-003 INT-004 #done' },
      { id: 'INT-004', command: 'transition', status: 'done', evidence: 'INT-003 INT-004 #done' },
    ],
  ],
  [
    'ids in a comma list before a command all take it',
    'INT-003, INT-004 #done',
    [
      { id: 'INT-003', command: 'transition', status: 'done', evidence: 'INT-003, INT-004 #done' },
      { id: 'INT-004', command: 'transition', status: 'done', evidence: 'INT-003, INT-004 #done' },
    ],
  ],
  [
    'commands on several lines are all found',
    'Add webhooks\n\nINT-003 #in_review\nAPI-001 #comment Needs a new endpoint',
    [
      { id: 'INT-003', command: 'transition', status: 'in_review', evidence: 'INT-003 #in_review' },
      {
        id: 'API-001',
        command: 'comment',
        text: 'Needs a new endpoint',
        evidence: 'API-001 #comment Needs a new endpoint',
      },
    ],
  ],
  [
    'two groups on one line are both found',
    'INT-003 #done API-001 #in_progress',
    [
      { id: 'INT-003', command: 'transition', status: 'done', evidence: 'INT-003 #done' },
      {
        id: 'API-001',
        command: 'transition',
        status: 'in_progress',
        evidence: 'API-001 #in_progress',
      },
    ],
  ],
  [
    'only the first transition per id on a line counts',
    'INT-003 #in_review #done',
    [
      {
        id: 'INT-003',
        command: 'transition',
        status: 'in_review',
        evidence: 'INT-003 #in_review #done',
      },
    ],
  ],
  [
    'the same command on another line counts again',
    'INT-003 #comment first\nINT-003 #comment second',
    [
      { id: 'INT-003', command: 'comment', text: 'first', evidence: 'INT-003 #comment first' },
      { id: 'INT-003', command: 'comment', text: 'second', evidence: 'INT-003 #comment second' },
    ],
  ],
  [
    'ids and commands inside a comment are comment text',
    'INT-003 #comment blocked by API-001 #done',
    [
      {
        id: 'INT-003',
        command: 'comment',
        text: 'blocked by API-001 #done',
        evidence: 'INT-003 #comment blocked by API-001 #done',
      },
    ],
  ],
  ['an empty comment is ignored', 'INT-003 #comment   \n', []],
  [
    'an id in brackets may take a command',
    '[INT-003] #in_review',
    [
      {
        id: 'INT-003',
        command: 'transition',
        status: 'in_review',
        evidence: '[INT-003] #in_review',
      },
    ],
  ],
  [
    'a status at the end of a sentence is a transition',
    'Moves INT-003 #done.',
    [{ id: 'INT-003', command: 'transition', status: 'done', evidence: 'INT-003 #done' }],
  ],
  ['an id without a command gives no command', 'INT-003: add webhooks', []],
  ['a `#` right after the id is not a command', 'INT-003#done', []],
  ['a status with upper-case letters is not a command', 'INT-003 #Done', []],
  ['a status with a dash is not a command', 'INT-003 #in-review', []],
  ['a PR number is not a command', 'INT-003 #42', []],
  ['another story after `#` is not a command', 'INT-003 #INT-004', []],
  ['a command in inline code is ignored', '`INT-003 #done`', []],
  ['a command in a fenced block is ignored', '```\nINT-003 #done\n```', []],
  ['a command in an HTML comment is ignored', '<!-- INT-003 #done -->', []],
  ['a lookalike takes no command', 'UTF-8 #done', []],
  ['a lower-case id takes no command', 'int-003 #done', []],
];

describe('findSmartCommands', () => {
  it.each(cases)('%s', (_description, message, expected) => {
    expect(findSmartCommands(message, DEFAULT_REFERENCE_CONFIG)).toEqual(expected);
  });

  it('only configured prefixes take commands', () => {
    const config: ReferenceConfig = { ...DEFAULT_REFERENCE_CONFIG, prefixes: ['INT'] };
    expect(findSmartCommands('API-001 #done\nINT-003 #done', config)).toEqual([
      { id: 'INT-003', command: 'transition', status: 'done', evidence: 'INT-003 #done' },
    ]);
  });

  it('CRLF line endings are not part of a comment', () => {
    expect(findSmartCommands('INT-003 #comment Ready\r\nmore', DEFAULT_REFERENCE_CONFIG)).toEqual([
      { id: 'INT-003', command: 'comment', text: 'Ready', evidence: 'INT-003 #comment Ready' },
    ]);
  });
});
