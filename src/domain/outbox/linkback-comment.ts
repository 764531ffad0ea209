// The linkback comment on a pull request, pure: the forge entry's template (`linkbackTemplate`)
// with its placeholders filled in, after a marker line that says the comment is storyflow's.
// What a story brings (title, status) is escaped, so it cannot mention people, break the table
// or add HTML; the template itself is the operator's and is used as written.

export const LINKBACK_MARKER = '<!-- storyflow:linkback -->';

/** What a template may name, as `{{name}}` (docs/forge-feedback.md, "The comment's text"). */
export const LINKBACK_PLACEHOLDERS = [
  'table',
  'summary',
  'count',
  'ids',
  'repository',
  'number',
] as const;

export const DEFAULT_LINKBACK_TEMPLATE =
  '**storyflow**: this pull request serves {{summary}}.\n\n{{table}}';

export interface LinkbackStory {
  id: string;
  title: string;
  status: string;
  /** Where the story is shown (the console's page, or the API); null: no link. */
  url: string | null;
}

const PLACEHOLDER = /\{\{\s*([A-Za-z]+)\s*\}\}/g;

/** Why `template` cannot be used (an unknown placeholder), or undefined when it can. */
export function linkbackTemplateProblem(template: string): string | undefined {
  for (const [, name] of template.matchAll(PLACEHOLDER)) {
    if (!(LINKBACK_PLACEHOLDERS as readonly string[]).includes(name as string))
      return `unknown placeholder {{${name}}}; known: ${LINKBACK_PLACEHOLDERS.map((known) => `{{${known}}}`).join(', ')}`;
  }
  return undefined;
}

export function linkbackBody(
  template: string,
  stories: readonly LinkbackStory[],
  pr: { repository: string; number: number },
): string {
  const values: Record<(typeof LINKBACK_PLACEHOLDERS)[number], string> = {
    table: [
      '| Story | Title | Status |',
      '| --- | --- | --- |',
      ...stories.map(
        (story) => `| ${storyCell(story)} | ${cell(story.title)} | ${cell(story.status)} |`,
      ),
    ].join('\n'),
    summary: stories.length === 1 ? 'one story' : `${stories.length} stories`,
    count: String(stories.length),
    ids: stories.map((story) => cell(story.id)).join(', '),
    repository: cell(pr.repository),
    number: String(pr.number),
  };
  const text = template.replace(PLACEHOLDER, (whole, name: string) =>
    name in values ? values[name as keyof typeof values] : whole,
  );
  return `${LINKBACK_MARKER}\n${text}`;
}

/** The URL of a story under `publicUrl`: its console page, or its API resource. */
export function storyUrl(publicUrl: string, target: 'console' | 'api', id: string): string {
  const path = target === 'console' ? '/story/' : '/api/v1/stories/';
  // Parentheses would end a Markdown link early.
  const encoded = encodeURIComponent(id).replace(/\(/g, '%28').replace(/\)/g, '%29');
  return `${publicUrl}${path}${encoded}`;
}

function storyCell(story: LinkbackStory): string {
  return story.url === null ? cell(story.id) : `[${cell(story.id)}](${story.url})`;
}

function cell(text: string): string {
  return clip(text.replace(/\s+/g, ' '), 200)
    .replace(/&/g, '&amp;')
    .replace(/[\\|`*_[\]]/g, (character) => `\\${character}`)
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/@/g, '@\u200b');
}

export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
