// The board page, its cards, and the page a refused stale move shows (pure template functions).
import type { Workflow } from '../../domain/story/workflow.js';
import type { LinkService } from '../../services/link-service.js';
import type { StoryJson } from '../../services/story-service.js';
import { type Assets, messagePage, page, type Viewer } from './console-pages.js';
import { type Html, type HtmlValue, html } from './html.js';
import type { MissedChanges } from './missed-changes.js';

type StoryLink = Awaited<ReturnType<LinkService['list']>>[number];

export interface BoardFilters {
  q?: string;
  epic?: string;
  label?: string;
  /** The story's `owner` field. */
  owner?: string;
  /** A repository the story has a link in (owner/name). */
  repository?: string;
}

export interface BoardCard {
  story: StoryJson;
  links: StoryLink[];
}

export function boardPage(
  assets: Assets,
  viewer: Viewer,
  workflow: Workflow,
  cards: BoardCard[],
  filters: BoardFilters,
  truncated: boolean,
): Html {
  const byStatus = new Map<string, BoardCard[]>(workflow.statuses.map((status) => [status, []]));
  for (const card of cards) byStatus.get(card.story.status)?.push(card);
  return page(
    'Board',
    assets,
    viewer,
    html`<h1>Board</h1>
<form class="filters" method="get" action="/" role="search">
<label>Text <input type="search" name="q" value="${filters.q ?? ''}" maxlength="200"></label>
<label>Epic <input type="text" name="epic" value="${filters.epic ?? ''}" maxlength="200"></label>
<label>Label <input type="text" name="label" value="${filters.label ?? ''}" maxlength="200"></label>
<label>Owner <input type="text" name="owner" value="${filters.owner ?? ''}" maxlength="200"></label>
<label>Repository <input type="text" name="repository" value="${filters.repository ?? ''}" maxlength="200" placeholder="owner/name"></label>
<button type="submit">Filter</button>
${Object.keys(filters).length > 0 ? html`<a href="/">Clear</a>` : ''}
</form>
<p class="count">${cards.length} ${cards.length === 1 ? 'story' : 'stories'}${truncated ? ' (the first ones only: narrow the filter)' : ''}.
${viewer.canWriteStories ? html`<span class="hint">Drag a card, or focus it and press ← or → to move it.</span>` : ''}</p>
<div class="board" id="board" data-live="/events">
${workflow.statuses.map(
  (status) => html`<section class="column" data-status="${status}" aria-labelledby="col-${status}">
<h2 id="col-${status}">${status} <span class="n">${byStatus.get(status)?.length ?? 0}</span></h2>
<ol class="cards">
${(byStatus.get(status) ?? []).map((card) => cardHtml(viewer, workflow, card))}
</ol>
</section>`,
)}
</div>`,
    { current: 'board' },
  );
}

/** One card; also answered alone (GET /cards/:id) for moves and live updates. */
export function cardHtml(
  viewer: Viewer,
  workflow: Workflow,
  card: BoardCard,
  openMove = false,
): Html {
  const { story } = card;
  const targets = workflow.transitions[story.status] ?? [];
  const labels = Array.isArray(story.labels) ? story.labels.map(String) : [];
  const epic = typeof story.epic === 'string' ? story.epic : null;
  const priority =
    typeof story.priority === 'string' || typeof story.priority === 'number'
      ? String(story.priority)
      : null;
  return html`<li class="card" data-story="${story.id}" data-version="${story.version}" data-in="${story.status}" data-targets="${targets.join(' ')}"${viewer.canWriteStories ? html` tabindex="0" draggable="true"` : ''}>
<p class="card-id"><a href="/story/${encodeURIComponent(story.id)}">${story.id}</a>${priority === null ? '' : html` <span class="priority">${priority}</span>`}</p>
<p class="card-title">${story.title}</p>
${epic === null ? '' : html`<p class="epic">epic ${epic}</p>`}
${labels.length === 0 ? '' : html`<ul class="labels" aria-label="labels">${labels.map((label) => html`<li>${label}</li>`)}</ul>`}
${linkBadges(card.links)}
${
  viewer.canWriteStories && targets.length > 0
    ? html`<details class="move"${openMove ? ' open' : ''}><summary>Move<span class="visually-hidden"> ${story.id}</span></summary>
<form method="post" action="/story/${encodeURIComponent(story.id)}/move">
<input type="hidden" name="_csrf" value="${viewer.csrf}"><input type="hidden" name="version" value="${story.version}">
${targets.map((to) => html`<button type="submit" name="to" value="${to}">${to}</button>`)}
</form></details>`
    : ''
}
</li>`;
}

function linkBadges(links: StoryLink[]): HtmlValue {
  const shown = links.filter((link) => ['pr', 'pipeline', 'deployment'].includes(link.type));
  if (shown.length === 0) return '';
  return html`<ul class="links" aria-label="linked work">${shown.slice(0, 6).map((link) => {
    const failed = /fail|error|cancel/i.test(link.state ?? '');
    const label =
      link.type === 'deployment'
        ? `deployed to ${link.environment ?? link.key}${link.state === null ? '' : ` (${link.state})`}`
        : `${link.type === 'pr' ? 'PR' : 'pipeline'} ${link.key}${link.state === null ? '' : `: ${link.state}`}`;
    return html`<li class="link ${link.type}${failed ? ' failed' : ''}">${failed ? html`<span aria-hidden="true">✖ </span>` : ''}${label}</li>`;
  })}</ul>`;
}

/** What changed since a page was loaded, field by field (a refused stale move or edit). */
export function missedChangesHtml(missed: MissedChanges): Html {
  if (missed.fields.length === 0) return html``;
  return html`<table class="changes"><caption>Changed since you loaded it${missed.by.length === 0 ? '' : ` (by ${missed.by.join(', ')})`}</caption>
<thead><tr><th scope="col">field</th><th scope="col">was</th><th scope="col">now</th></tr></thead><tbody>
${missed.fields.map((change) => html`<tr data-field="${change.field}"><th scope="row">${change.field}</th><td>${change.before}</td><td>${change.after}</td></tr>`)}
</tbody></table>`;
}

export function moveRefusedPage(
  assets: Assets,
  viewer: Viewer,
  workflow: Workflow,
  story: StoryJson,
  detail: string,
  retry: { to: string; missed: MissedChanges } | null = null,
): Html {
  const targets = workflow.transitions[story.status] ?? [];
  const canRetry = retry !== null && targets.includes(retry.to);
  return messagePage(
    assets,
    viewer,
    'Move refused',
    html`<p class="error" role="alert">${detail}</p>
${retry === null ? '' : missedChangesHtml(retry.missed)}
${
  canRetry && retry !== null
    ? html`<form method="post" action="/story/${encodeURIComponent(story.id)}/move">
<input type="hidden" name="_csrf" value="${viewer.csrf}"><input type="hidden" name="version" value="${story.version}">
<button type="submit" name="to" value="${retry.to}">Move to ${retry.to} anyway (version ${story.version})</button>
</form>`
    : ''
}
<p>${story.id} is now <strong>${story.status}</strong> (version ${story.version}).
${targets.length === 0 ? 'It cannot move from there.' : html`From there it can move to: ${targets.join(', ')}.`}</p>
${targets.length === 0 ? '' : html`<ul class="card-list">${cardHtml(viewer, workflow, { story, links: [] }, true)}</ul>`}
<p><a href="/">Back to the board</a></p>`,
  );
}
