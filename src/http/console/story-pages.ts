// A story's page: its fields form, history, operations and rollback (pure template functions).
import type { AuditEntry } from '../../domain/audit/audit-entry.js';
import type { Workflow } from '../../domain/story/workflow.js';
import type { OperationService } from '../../services/automation/operation-service.js';
import type { LinkService } from '../../services/link-service.js';
import type { StoryJson } from '../../services/story-service.js';
import { auditTable } from './audit-pages.js';
import { cardHtml, missedChangesHtml } from './board-pages.js';
import { type Assets, messagePage, page, type Viewer } from './console-pages.js';
import { editableFields, fieldKind, MAX_FIELD_CHARS } from './field-forms.js';
import { type Html, html, trustedHtml } from './html.js';
import type { MissedChanges } from './missed-changes.js';
import { renderMarkdown } from './render-markdown.js';

type StoryLink = Awaited<ReturnType<LinkService['list']>>[number];
type OperationRecord = Awaited<ReturnType<OperationService['get']>>;

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
