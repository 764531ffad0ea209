// The console's pages as template functions (every value escaped by `html`). Pure: each takes
// what it shows and answers Html; the plugin reads the services and decides who sees what.
import type { AuditEntry } from '../../domain/audit/audit-entry.js';
import type { Workflow } from '../../domain/story/workflow.js';
import type { AuditVerification } from '../../services/audit-service.js';
import type { OperationService } from '../../services/automation/operation-service.js';
import type { DeliveryDetail, DeliveryView } from '../../services/delivery-service.js';
import type { LinkService } from '../../services/link-service.js';
import type { StoryJson } from '../../services/story-service.js';
import { editableFields, fieldKind, MAX_FIELD_CHARS } from './field-forms.js';
import { type Html, type HtmlValue, html, trustedHtml } from './html.js';
import type { MissedChanges } from './missed-changes.js';
import { renderMarkdown } from './render-markdown.js';

/** What a page knows about the person looking at it. */
/** A stored link and a stored operation, as the services answer them. */
type StoryLink = Awaited<ReturnType<LinkService['list']>>[number];
type OperationRecord = Awaited<ReturnType<OperationService['get']>>;

export interface Viewer {
  name: string;
  csrf: string;
  canReadStories: boolean;
  canWriteStories: boolean;
  canSeeDeliveries: boolean;
  canAdminRepositories: boolean;
  canReadAudit: boolean;
  canAdminTokens: boolean;
}

export interface Assets {
  script: string;
  style: string;
}

export function page(
  title: string,
  assets: Assets,
  viewer: Viewer | null,
  body: HtmlValue,
  options: { current?: string; boardData?: HtmlValue } = {},
): Html {
  const link = (href: string, label: string, key: string) =>
    html`<li><a href="${href}"${options.current === key ? html` aria-current="page"` : ''}>${label}</a></li>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · storyflow</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${assets.style}">
<script type="module" src="${assets.script}"></script>
</head>
<body${viewer === null ? '' : html` data-csrf="${viewer.csrf}"`}>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<p class="brand"><a href="/">storyflow</a></p>
${
  viewer === null
    ? ''
    : html`<nav aria-label="Console"><ul>
${viewer.canReadStories ? link('/', 'Board', 'board') : ''}
${viewer.canSeeDeliveries ? link('/deliveries', 'Deliveries', 'deliveries') : ''}
${viewer.canSeeDeliveries ? link('/outbox', 'Outbox', 'outbox') : ''}
${viewer.canAdminRepositories ? link('/repositories', 'Repositories', 'repositories') : ''}
${viewer.canReadStories ? link('/rules', 'Rules', 'rules') : ''}
${viewer.canReadAudit ? link('/audit', 'Audit', 'audit') : ''}
${viewer.canAdminTokens ? link('/tokens', 'Tokens', 'tokens') : ''}
</ul></nav>
<form class="signout" method="post" action="/sign-out">
<input type="hidden" name="_csrf" value="${viewer.csrf}">
<span class="who">${viewer.name}${viewer.canWriteStories ? '' : ' (read only)'}</span>
<button type="submit">Sign out</button>
</form>`
}
</header>
<main id="main" tabindex="-1">
${body}
</main>
<div id="announce" class="visually-hidden" role="status" aria-live="polite"></div>
</body>
</html>
`;
}

export function signInPage(assets: Assets, message: string | null): Html {
  return page(
    'Sign in',
    assets,
    null,
    html`<h1>Sign in</h1>
<p>Paste an API token (<code>sfp_…</code>). It is exchanged for a session cookie and never kept in the page.</p>
${message === null ? '' : html`<p class="error" role="alert">${message}</p>`}
<form method="post" action="/sign-in" class="signin">
<label for="token">Token</label>
<input type="password" id="token" name="token" autocomplete="off" required maxlength="4096" autofocus>
<button type="submit">Sign in</button>
</form>`,
  );
}

export function messagePage(
  assets: Assets,
  viewer: Viewer | null,
  title: string,
  body: HtmlValue,
): Html {
  return page(title, assets, viewer, html`<h1>${title}</h1>${body}`);
}

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

export interface StoryPageData {
  story: StoryJson;
  document: string;
  links: StoryLink[];
  history: AuditEntry[];
  operations: OperationRecord[];
}

/** A field edit refused because the story changed: what changed, and the values the person sent. */
export interface StaleEdit {
  missed: MissedChanges;
  /** The values sent, by field: the form shows them again, on the current version. */
  sent: Record<string, string>;
}

function fieldInput(key: string, kind: ReturnType<typeof fieldKind>, value: string): Html {
  if (kind === 'yaml') {
    const rows = Math.min(12, value.split('\n').length + 1);
    return html`<p><label>${key} (YAML) <textarea name="field.${key}" rows="${rows}" maxlength="${MAX_FIELD_CHARS.yaml}" spellcheck="false">${value}</textarea></label></p>`;
  }
  return html`<p><label>${key}${kind === 'list' ? ' (comma-separated)' : ''} <input type="text" name="field.${key}" value="${value}" maxlength="${MAX_FIELD_CHARS[kind]}"></label></p>`;
}

function editFieldsForm(
  viewer: Viewer,
  story: StoryJson,
  notice: string | null,
  stale: StaleEdit | null,
): Html {
  return html`<details class="edit"${notice === null ? '' : ' open'}><summary>Edit fields</summary>
${notice === null ? '' : html`<p class="error" role="alert">${notice}</p>`}
${stale === null ? '' : missedChangesHtml(stale.missed)}
<form method="post" action="/story/${encodeURIComponent(story.id)}/fields" class="edit-fields">
<input type="hidden" name="_csrf" value="${viewer.csrf}"><input type="hidden" name="version" value="${story.version}">
${editableFields(story).map(([key, value]) => fieldInput(key, fieldKind(story[key]), stale?.sent[key] ?? value))}
<button type="submit">${stale === null ? 'Save fields' : `Save fields on version ${story.version}`}</button>
</form></details>`;
}

export function storyPage(
  assets: Assets,
  viewer: Viewer,
  workflow: Workflow,
  data: StoryPageData,
  notice: string | null = null,
  stale: StaleEdit | null = null,
): Html {
  const { story } = data;
  const fields = Object.entries(story).filter(([key]) => key !== 'body');
  const id = encodeURIComponent(story.id);
  return page(
    story.id,
    assets,
    viewer,
    html`<p class="crumbs"><a href="/">Board</a> › ${story.id}</p>
<h1>${story.id}: ${story.title}</h1>
<ul class="card-list">${cardHtml(viewer, workflow, { story, links: data.links })}</ul>
<section aria-labelledby="h-fields"><h2 id="h-fields">Fields</h2>
<dl class="fields">${fields.map(([key, value]) => html`<dt>${key}</dt><dd>${typeof value === 'string' ? value : JSON.stringify(value)}</dd>`)}</dl>
${viewer.canWriteStories ? editFieldsForm(viewer, story, notice, stale) : ''}
</section>
<section aria-labelledby="h-body"><h2 id="h-body">Description</h2>
<div class="markdown">${trustedHtml(renderMarkdown(story.body))}</div>
</section>
<section aria-labelledby="h-links"><h2 id="h-links">Links</h2>
${
  data.links.length === 0
    ? html`<p>No links yet.</p>`
    : html`<table><thead><tr><th scope="col">type</th><th scope="col">repository</th><th scope="col">key</th><th scope="col">state</th><th scope="col">updated</th></tr></thead><tbody>
${data.links.map((link) => html`<tr><td>${link.type}</td><td>${link.repository}</td><td>${link.url !== null && /^https?:\/\//.test(link.url) ? html`<a href="${link.url}" rel="noreferrer">${link.key}</a>` : link.key}</td><td>${link.state ?? ''}${link.environment === null ? '' : ` (${link.environment})`}</td><td>${link.updatedAt}</td></tr>`)}
</tbody></table>`
}
</section>
<section aria-labelledby="h-ops"><h2 id="h-ops">Automation operations</h2>
${data.operations.length === 0 ? html`<p>No operations.</p>` : operationsTable(viewer, data.operations)}
</section>
<section aria-labelledby="h-history"><h2 id="h-history">History</h2>
${auditTable(data.history)}
</section>
<section aria-labelledby="h-raw"><h2 id="h-raw">Document</h2>
<p><a href="/story/${id}/raw" download="${story.id}.md">Download ${story.id}.md (exact bytes)</a></p>
<details><summary>Raw document</summary><pre class="raw">${data.document}</pre></details>
</section>`,
  );
}

export function operationsTable(viewer: Viewer, operations: OperationRecord[]): Html {
  return html`<table><thead><tr><th scope="col">operation</th><th scope="col">trigger</th><th scope="col">changes</th><th scope="col">when</th><th scope="col">state</th></tr></thead><tbody>
${operations.map(
  (
    operation,
  ) => html`<tr data-operation="${operation.id}"><td>${operation.id}</td><td>${operation.triggerKind}${operation.deliveryId === null ? '' : html` (<a href="/deliveries/${encodeURIComponent(operation.deliveryId)}">delivery</a>)`}</td>
<td><ul>${operation.changes.map((change) => html`<li>${change.story}.${change.field}: ${JSON.stringify(change.before)} → ${JSON.stringify(change.after)}</li>`)}</ul></td>
<td>${operation.createdAt}</td>
<td>${
    operation.status === 'rolled_back'
      ? `rolled back by ${operation.rolledBackBy ?? '?'}`
      : viewer.canWriteStories && operation.changes.length > 0
        ? rollbackForm(viewer, operation.id, false, 'Roll back')
        : operation.status
  }</td></tr>`,
)}
</tbody></table>`;
}

export function rollbackForm(viewer: Viewer, id: string, force: boolean, label: string): Html {
  return html`<form method="post" action="/operations/${encodeURIComponent(id)}/rollback">
<input type="hidden" name="_csrf" value="${viewer.csrf}">
${force ? html`<input type="hidden" name="force" value="true">` : ''}
<button type="submit"${force ? html` class="danger"` : ''}>${label}</button>
</form>`;
}

export function rollbackConflictPage(
  assets: Assets,
  viewer: Viewer,
  id: string,
  detail: string,
  conflicts: unknown[],
): Html {
  return messagePage(
    assets,
    viewer,
    'Rollback refused',
    html`<p class="error" role="alert">${detail}</p>
${conflicts.length === 0 ? '' : html`<pre>${JSON.stringify(conflicts, null, 2)}</pre>`}
${conflicts.length === 0 ? '' : rollbackForm(viewer, id, true, 'Roll back anyway (overwrite these changes)')}
<p><a href="/">Back to the board</a></p>`,
  );
}

export function auditTable(entries: AuditEntry[]): Html {
  if (entries.length === 0) return html`<p>No entries.</p>`;
  return html`<table class="audit"><thead><tr><th scope="col">seq</th><th scope="col">when</th><th scope="col">actor</th><th scope="col">action</th><th scope="col">target</th><th scope="col">change</th></tr></thead><tbody>
${entries.map(
  (entry) =>
    html`<tr><td>${entry.seq}</td><td>${entry.occurredAt}</td><td>${entry.actor.name ?? entry.actor.id ?? entry.actor.type}</td><td>${entry.action}</td><td>${entry.targetType} ${entry.targetId ?? ''}</td><td><code>${compact(entry.before)} → ${compact(entry.after)}</code></td></tr>`,
)}
</tbody></table>`;
}

function compact(value: unknown): string {
  const text = value === null || value === undefined ? '–' : JSON.stringify(value);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

export function auditPage(
  assets: Assets,
  viewer: Viewer,
  entries: AuditEntry[],
  filters: { action?: string; story?: string },
  verification: AuditVerification | null,
): Html {
  return page(
    'Audit',
    assets,
    viewer,
    html`<h1>Audit log</h1>
<form method="post" action="/audit/verify" class="inline">
<input type="hidden" name="_csrf" value="${viewer.csrf}">
<button type="submit">Verify chain</button>
</form>
${
  verification === null
    ? ''
    : html`<p class="${verification.ok ? 'ok' : 'error'}" role="status" id="verification">${
        verification.ok
          ? `Chain intact: ${verification.checked} entries verified up to seq ${verification.lastSeq}.`
          : `Chain broken at seq ${verification.firstBreak?.seq ?? '?'}: ${verification.firstBreak?.message ?? ''} (${verification.checked} entries intact).`
      }</p>`
}
<form class="filters" method="get" action="/audit" role="search">
<label>Action <input type="text" name="action" value="${filters.action ?? ''}" maxlength="100"></label>
<label>Story <input type="text" name="story" value="${filters.story ?? ''}" maxlength="200"></label>
<button type="submit">Filter</button>
</form>
<p>The newest ${entries.length} entries, newest last.</p>
${auditTable(entries)}`,
    { current: 'audit' },
  );
}

export function deliveriesPage(
  assets: Assets,
  viewer: Viewer,
  deliveries: DeliveryView[],
  status: string | undefined,
  statuses: readonly string[],
  now: number,
): Html {
  return page(
    'Deliveries',
    assets,
    viewer,
    html`<h1>Recent deliveries</h1>
<form class="filters" method="get" action="/deliveries">
<label>Status <select name="status"><option value="">any</option>${statuses.map((value) => html`<option${value === status ? html` selected` : ''}>${value}</option>`)}</select></label>
<button type="submit">Filter</button>
</form>
${
  deliveries.length === 0
    ? html`<p>No deliveries.</p>`
    : html`<table><thead><tr><th scope="col">delivery</th><th scope="col">provider</th><th scope="col">event</th><th scope="col">repository</th><th scope="col">status</th><th scope="col">attempts</th><th scope="col">age</th></tr></thead><tbody>
${deliveries.map(
  (delivery) =>
    html`<tr data-delivery="${delivery.id}"><td><a href="/deliveries/${encodeURIComponent(delivery.id)}">${delivery.deliveryId}</a></td><td>${delivery.provider}</td><td>${delivery.event}</td><td>${delivery.repository ?? ''}</td><td class="status-${delivery.status}">${delivery.status}</td><td>${delivery.attempts}</td><td>${age(now, delivery.receivedAt)}</td></tr>`,
)}
</tbody></table>`
}`,
    { current: 'deliveries' },
  );
}

const PAYLOAD_SHOWN_CHARS = 1_000_000;

/** The payload indented when it is JSON, cut at 1 MB of text. */
function prettyPayload(body: string): { text: string; pretty: boolean; cut: boolean } {
  let text = body;
  let pretty = false;
  try {
    text = JSON.stringify(JSON.parse(body), null, 2);
    pretty = true;
  } catch {
    // Shown as received.
  }
  const cut = text.length > PAYLOAD_SHOWN_CHARS;
  return { text: cut ? text.slice(0, PAYLOAD_SHOWN_CHARS) : text, pretty, cut };
}

export function age(now: number, at: string): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(at)) / 1000));
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} d`;
}

export function deliveryPage(
  assets: Assets,
  viewer: Viewer,
  delivery: DeliveryDetail,
  operations: OperationRecord[],
  notice: string | null,
): Html {
  const payload = prettyPayload(delivery.body);
  return page(
    `Delivery ${delivery.deliveryId}`,
    assets,
    viewer,
    html`<p class="crumbs"><a href="/deliveries">Deliveries</a> › ${delivery.deliveryId}</p>
<h1>Delivery ${delivery.deliveryId}</h1>
${notice === null ? '' : html`<p class="ok" role="status">${notice}</p>`}
<dl class="fields">
<dt>provider</dt><dd>${delivery.provider}</dd>
<dt>event</dt><dd>${delivery.event}</dd>
<dt>repository</dt><dd>${delivery.repository ?? ''}</dd>
<dt>status</dt><dd id="delivery-status">${delivery.status}</dd>
<dt>attempts</dt><dd>${delivery.attempts}</dd>
<dt>received</dt><dd>${delivery.receivedAt}</dd>
<dt>processed</dt><dd>${delivery.processedAt ?? ''}</dd>
<dt>last error</dt><dd>${delivery.lastError ?? ''}</dd>
</dl>
<form method="post" action="/deliveries/${encodeURIComponent(delivery.id)}/replay">
<input type="hidden" name="_csrf" value="${viewer.csrf}">
<button type="submit">Replay</button>
</form>
<section aria-labelledby="h-headers"><h2 id="h-headers">Headers</h2>
<table><thead><tr><th scope="col">header</th><th scope="col">value</th></tr></thead><tbody>
${Object.entries(delivery.headers).map(([name, value]) => html`<tr><td>${name}</td><td>${value}</td></tr>`)}
</tbody></table>
</section>
<section aria-labelledby="h-payload"><h2 id="h-payload">Payload</h2>
<details open class="payload"><summary>${Buffer.byteLength(delivery.body, 'utf8')} bytes${payload.pretty ? ', pretty-printed' : ''}${payload.cut ? ', first 1 MB shown' : ''}</summary>
<p><label>Search the payload <input type="search" data-search="payload-text" maxlength="200"></label> <span data-search-count="payload-text" aria-live="polite"></span></p>
<pre class="raw" id="payload-text">${payload.text}</pre>
</details>
</section>
<section aria-labelledby="h-events"><h2 id="h-events">Normalized events (${delivery.events.length})</h2>
<pre class="raw">${JSON.stringify(delivery.events, null, 2)}</pre>
</section>
<section aria-labelledby="h-ops"><h2 id="h-ops">What it did</h2>
${operations.length === 0 ? html`<p>No operations.</p>` : operationsTable(viewer, operations)}
</section>`,
    { current: 'deliveries' },
  );
}

export interface RuleRow {
  name: string;
  source: 'default' | 'config' | 'API';
  on: readonly string[];
  conditions: unknown;
  actions: unknown;
}

export interface SimulatorState {
  /** Recent deliveries to pick from (empty without deliveries:admin). */
  deliveries: DeliveryView[];
  provider: string;
  event: string;
  payload: string;
  result: {
    source: string;
    events: unknown[];
    operations: OperationRecord[];
    ignored?: string;
    problem?: string;
  } | null;
}

function simulator(viewer: Viewer, state: SimulatorState): Html {
  const result = state.result;
  return html`<section aria-labelledby="h-sim"><h2 id="h-sim">Simulator</h2>
<p>See what an event would change now. Nothing is applied.</p>
${
  state.deliveries.length === 0
    ? ''
    : html`<form method="post" action="/rules/simulate" class="filters">
<input type="hidden" name="_csrf" value="${viewer.csrf}">
<label>Recent delivery <select name="delivery">${state.deliveries.map((delivery) => html`<option value="${delivery.id}">${delivery.provider} ${delivery.event} ${delivery.repository ?? ''} (${delivery.receivedAt})</option>`)}</select></label>
<button type="submit">Simulate this delivery</button>
</form>`
}
<form method="post" action="/rules/simulate" class="simulate">
<input type="hidden" name="_csrf" value="${viewer.csrf}">
<p><label>Provider <select name="provider">${['github', 'gitlab'].map((provider) => html`<option${provider === state.provider ? html` selected` : ''}>${provider}</option>`)}</select></label>
<label>Event <input type="text" name="event" value="${state.event}" placeholder="pull_request" maxlength="100" required></label></p>
<p><label for="sim-payload">Payload (JSON)</label><br>
<textarea id="sim-payload" name="payload" rows="8" maxlength="1000000" required>${state.payload}</textarea></p>
<button type="submit">Simulate this payload</button>
</form>
${
  result === null
    ? ''
    : html`<div id="simulation" role="status">
<h3>Result for ${result.source}</h3>
${result.problem === undefined ? '' : html`<p class="error">${result.problem}</p>`}
${result.ignored === undefined ? '' : html`<p>No event: ${result.ignored}</p>`}
<p>${result.events.length} normalized event(s); ${result.operations.length} operation(s) would be applied.</p>
${result.operations.map(
  (operation) =>
    html`<ul class="simulated">${operation.changes.map((change) => html`<li>${change.story}.${change.field}: ${JSON.stringify(change.before)} → ${JSON.stringify(change.after)}</li>`)}${operation.steps.map((step) => html`<li class="step">${step.rule}: ${step.action} (${step.because})${step.skipped === undefined ? '' : ` — skipped: ${step.skipped}`}</li>`)}</ul>`,
)}
</div>`
}
</section>`;
}

export function rulesPage(
  assets: Assets,
  viewer: Viewer,
  rules: RuleRow[],
  version: number,
  state: SimulatorState,
): Html {
  return page(
    'Rules',
    assets,
    viewer,
    html`<h1>Automation rules</h1>
${simulator(viewer, state)}
<h2>Rules in force</h2>
<p>Every rule in force, in the order they are evaluated (API-managed rules at version ${version}).</p>
<table class="rules"><thead><tr><th scope="col">#</th><th scope="col">rule</th><th scope="col">from</th><th scope="col">on</th><th scope="col">if</th><th scope="col">then</th></tr></thead><tbody>
${rules.map(
  (rule, index) =>
    html`<tr data-rule="${rule.name}"><td>${index + 1}</td><td>${rule.name}</td><td>${rule.source}</td><td>${rule.on.join(', ')}</td><td><code>${rule.conditions === undefined ? '–' : JSON.stringify(rule.conditions)}</code></td><td><code>${JSON.stringify(rule.actions)}</code></td></tr>`,
)}
</tbody></table>`,
    { current: 'rules' },
  );
}

export interface TokenRow {
  id: string;
  name: string;
  scopes: readonly string[];
  hint: string | null;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt?: string | null;
}

export function tokensPage(
  assets: Assets,
  viewer: Viewer,
  tokens: TokenRow[],
  scopes: readonly string[],
  created: { name: string; secret: string } | null,
  problem: string | null,
): Html {
  return page(
    'Tokens',
    assets,
    viewer,
    html`<h1>API tokens</h1>
${problem === null ? '' : html`<p class="error" role="alert">${problem}</p>`}
${
  created === null
    ? ''
    : html`<section class="created" aria-labelledby="h-created"><h2 id="h-created">Token “${created.name}” created</h2>
<p>Copy it now: it is not stored and will not be shown again.</p>
<p><output id="new-token" class="secret">${created.secret}</output> <button type="button" data-copy="new-token">Copy</button></p>
</section>`
}
<section aria-labelledby="h-create"><h2 id="h-create">Create a token</h2>
<form method="post" action="/tokens" class="token-form">
<input type="hidden" name="_csrf" value="${viewer.csrf}">
<p><label>Name <input type="text" name="name" required maxlength="200"></label></p>
<fieldset><legend>Scopes</legend>
${scopes.map((scope) => html`<label class="scope"><input type="checkbox" name="scope" value="${scope}"> ${scope}</label>`)}
</fieldset>
<p><label>Expires <select name="expires"><option value="">never</option><option value="1">in 1 day</option><option value="30" selected>in 30 days</option><option value="90">in 90 days</option></select></label></p>
<button type="submit">Create token</button>
</form>
</section>
<section aria-labelledby="h-list"><h2 id="h-list">Tokens</h2>
${
  tokens.length === 0
    ? html`<p>No tokens.</p>`
    : html`<table><thead><tr><th scope="col">name</th><th scope="col">id</th><th scope="col">scopes</th><th scope="col">starts with</th><th scope="col">created</th><th scope="col">expires</th><th scope="col">state</th></tr></thead><tbody>
${tokens.map(
  (token) =>
    html`<tr data-token="${token.id}"><td>${token.name}</td><td>${token.id}</td><td>${token.scopes.join(', ')}</td><td><code>${token.hint ?? ''}</code></td><td>${token.createdAt}</td><td>${token.expiresAt ?? 'never'}</td><td>${
      token.revokedAt !== null
        ? `revoked ${token.revokedAt}`
        : html`<form method="post" action="/tokens/${encodeURIComponent(token.id)}/revoke"><input type="hidden" name="_csrf" value="${viewer.csrf}"><button type="submit" class="danger">Revoke<span class="visually-hidden"> ${token.name}</span></button></form>`
    }</td></tr>`,
)}
</tbody></table>`
}
</section>`,
    { current: 'tokens' },
  );
}
