import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type JsonValue,
  parseStoryDocument,
  renderStoryDocument,
  updateStoryDocument,
} from '../../../src/domain/story/story-document.js';
import {
  KNOWN_STORY_FIELDS,
  STORY_ID_PATTERN,
} from '../../../src/domain/story/validate-story-fields.js';
import { fixtureNames, keyLineRange, readFixture } from './story-test-helpers.js';

const NUM_RUNS = Number(process.env.STORY_PROPERTY_RUNS ?? 200);

/** Characters that matter to YAML, plus some non-ASCII. */
const trickyChar = fc.constantFrom(
  ...[' ', ' ', ':', '#', '-', '"', "'", '\n', '\t', '\r', '[', ']', '{', '}', ','],
  ...['&', '*', '!', '|', '>', '%', '@', '`', '?', '\\', '~', 'é', '✓', '中', '😀', '\u0085'],
);
const asciiChar = fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 });
const text = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: fc.oneof(asciiChar, trickyChar), maxLength: 24 }) },
  fc.constantFrom('null', 'True', '~', '123', '-1.5e3', '0x1F', '.inf', '2025-08-12', '', ' '),
);
const nonBlank = text.filter((value) => value.trim() !== '');
const storyId = fc.stringMatching(STORY_ID_PATTERN);
const number = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }));
const scalar: fc.Arbitrary<JsonValue> = fc.oneof(text, number, fc.boolean(), fc.constant(null));
const json: fc.Arbitrary<JsonValue> = fc.letrec<{ value: JsonValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('value'), { maxLength: 4 }),
    fc
      .uniqueArray(fc.tuple(fc.oneof(text, fc.stringMatching(/^[a-z]{1,6}$/)), tie('value')), {
        selector: ([key]) => key,
        maxLength: 4,
      })
      .map((entries) => Object.fromEntries(entries)),
  ),
})).value;

const stringOrNull = fc.option(text, { nil: null });
/** A valid value for each known field. */
const knownValue: Record<(typeof KNOWN_STORY_FIELDS)[number], fc.Arbitrary<JsonValue>> = {
  id: storyId,
  title: nonBlank,
  branch_name: stringOrNull,
  epic: stringOrNull,
  status: nonBlank,
  priority: stringOrNull,
  estimate: fc.oneof(text, fc.integer({ min: 0, max: 100 }), fc.constant(null)),
  dependencies: fc.array(storyId, { maxLength: 4 }),
  labels: fc.array(text, { maxLength: 4 }),
  created: stringOrNull,
  author: stringOrNull,
  owner: stringOrNull,
  last_updated: stringOrNull,
};
const known: readonly string[] = KNOWN_STORY_FIELDS;
const unknownKey = fc
  .stringMatching(/^[a-z][a-z0-9_]{0,11}$/)
  .filter((key) => !known.includes(key));
const valueFor = (key: string): fc.Arbitrary<JsonValue> =>
  (knownValue as Record<string, fc.Arbitrary<JsonValue>>)[key] ?? json;

const fields: fc.Arbitrary<Record<string, JsonValue>> = fc
  .tuple(
    fc.record(knownValue, { requiredKeys: ['id', 'title'] }),
    fc.uniqueArray(fc.tuple(unknownKey, json), { selector: ([key]) => key, maxLength: 5 }),
  )
  .map(([knownFields, extra]) => ({ ...knownFields, ...Object.fromEntries(extra) }));

const bodyLine = fc.oneof(
  fc
    .string({ unit: fc.oneof(asciiChar, trickyChar), maxLength: 30 })
    .map((line) => line.replace(/[\r\n]/g, '')),
  fc.constantFrom('---', '', '# Heading', '- [ ] task', 'key: value'),
);
const body = fc
  .tuple(fc.array(bodyLine, { maxLength: 6 }), fc.boolean())
  .map(([lines, newline]) => lines.join('\n') + (newline && lines.length > 0 ? '\n' : ''));

const story = fc.tuple(fields, body).map(([storyFields, storyBody]) => ({
  fields: storyFields,
  body: storyBody,
  text: renderStoryDocument(storyFields, storyBody),
}));

/** One change: an existing or a new key, a valid value, or removal of an optional key. */
function changeFor(current: Record<string, JsonValue>) {
  const keys = Object.keys(current);
  return fc
    .oneof(
      { weight: 4, arbitrary: fc.constantFrom(...keys) },
      unknownKey,
      fc.constantFrom(...known),
    )
    .chain((key) =>
      fc.tuple(
        fc.constant(key),
        key === 'id' || key === 'title'
          ? valueFor(key)
          : fc.oneof({ weight: 5, arbitrary: valueFor(key) }, fc.constant(undefined)),
      ),
    );
}

function expectedAfter(
  current: Record<string, JsonValue>,
  key: string,
  value: JsonValue | undefined,
) {
  const result: Record<string, JsonValue> = { ...current };
  if (value === undefined) delete result[key];
  else result[key] = value;
  return result;
}

/** Lines of `before` outside `key`'s lines are byte-identical in `after` (same place, same order). */
function expectOnlyKeyLinesChanged(before: string, after: string, key: string, eol = '\n') {
  const oldLines = before.split(eol);
  const newLines = after.split(eol);
  const { start, end } = keyLineRange(oldLines, key);
  const tail = oldLines.length - end;
  expect(newLines.slice(0, start)).toEqual(oldLines.slice(0, start));
  expect(newLines.slice(newLines.length - tail)).toEqual(oldLines.slice(end));
  expect(newLines.length - tail).toBeGreaterThanOrEqual(start);
}

describe('story documents, property-based', () => {
  it('a rendered story parses back to the same fields and body, and renders the same again', () => {
    fc.assert(
      fc.property(story, ({ fields: storyFields, body: storyBody, text: rendered }) => {
        const parsed = parseStoryDocument(rendered);
        expect(parsed.fields).toEqual(storyFields);
        expect(Object.keys(parsed.fields)).toEqual(Object.keys(storyFields));
        const expectedBody =
          storyBody === '' || storyBody.endsWith('\n') ? storyBody : `${storyBody}\n`;
        expect(parsed.body).toBe(expectedBody);
        expect(renderStoryDocument(parsed.fields, parsed.body)).toBe(rendered);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('updating one field changes only that field, and only its lines', () => {
    const scenario = fc
      .tuple(story, fc.boolean())
      .chain(([generated, crlf]) =>
        fc.tuple(fc.constant(generated), fc.constant(crlf), changeFor(generated.fields)),
      );
    fc.assert(
      fc.property(scenario, ([generated, crlf, [key, value]]) => {
        const eol = crlf ? '\r\n' : '\n';
        const before = generated.text.replace(/\n/g, eol);
        const after = updateStoryDocument(before, { fields: { [key]: value } });
        const parsed = parseStoryDocument(after);
        const expected = expectedAfter(generated.fields, key, value);
        expect(parsed.fields).toEqual(expected);
        expect(Object.keys(parsed.fields)).toEqual(Object.keys(expected));
        expect(parsed.body).toBe(parseStoryDocument(before).body);
        expectOnlyKeyLinesChanged(before, after, key, eol);
        if (crlf) expect(after.replace(/\r\n/g, '')).not.toContain('\n');
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('updating one field of a fixture story changes only that field and its lines', () => {
    const fixtures = fixtureNames.map((name) => {
      const fixtureText = readFixture(name);
      return { text: fixtureText, fields: parseStoryDocument(fixtureText).fields };
    });
    const scenario = fc
      .constantFrom(...fixtures)
      .chain((fixture) => fc.tuple(fc.constant(fixture), changeFor(fixture.fields)));
    fc.assert(
      fc.property(scenario, ([fixture, [key, value]]) => {
        const after = updateStoryDocument(fixture.text, { fields: { [key]: value } });
        const expected = expectedAfter(fixture.fields, key, value);
        const parsed = parseStoryDocument(after);
        expect(parsed.fields).toEqual(expected);
        expect(Object.keys(parsed.fields)).toEqual(Object.keys(expected));
        expectOnlyKeyLinesChanged(fixture.text, after, key);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('an update with no changes, or with the current values, is the identity', () => {
    fc.assert(
      fc.property(story, fc.boolean(), ({ text: rendered }, crlf) => {
        const before = crlf ? rendered.replace(/\n/g, '\r\n') : rendered;
        expect(updateStoryDocument(before, {})).toBe(before);
        const { fields: current, body: currentBody } = parseStoryDocument(before);
        expect(updateStoryDocument(before, { fields: current, body: currentBody })).toBe(before);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('replacing the body keeps the frontmatter bytes and reads back the new body', () => {
    fc.assert(
      fc.property(story, body, ({ text: rendered }, newBody) => {
        const after = updateStoryDocument(rendered, { body: newBody });
        const head = rendered.slice(0, rendered.indexOf('\n---\n') + 5);
        expect(after.startsWith(head)).toBe(true);
        expect(parseStoryDocument(after).body).toBe(newBody);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
