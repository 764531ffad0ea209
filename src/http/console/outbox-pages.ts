// The outbox page: the calls storyflow queued for forges (linkback comments, commit statuses),
// what became of each, and a retry for those not sent. Pure, as console-pages.ts.
import type { OutboxView } from '../../services/outbox/outbox-service.js';
import { type Assets, age, page, type Viewer } from './console-pages.js';
import { type Html, html } from './html.js';

export function outboxPage(
  assets: Assets,
  viewer: Viewer,
  items: OutboxView[],
  status: string | undefined,
  statuses: readonly string[],
  forgesConfigured: boolean,
  notice: string | null,
  now: number,
): Html {
  return page(
    'Outbox',
    assets,
    viewer,
    html`<h1>Calls to forges</h1>
${notice === null ? '' : html`<p class="ok" role="status">${notice}</p>`}
${
  forgesConfigured
    ? ''
    : html`<p>No forge is configured, so nothing is queued: <code>forges:</code> in the config turns on linkback comments and the <code>storyflow/story</code> status (docs/forge-feedback.md).</p>`
}
<form class="filters" method="get" action="/outbox">
<label>Status <select name="status"><option value="">any</option>${statuses.map((value) => html`<option${value === status ? html` selected` : ''}>${value}</option>`)}</select></label>
<button type="submit">Filter</button>
</form>
${
  items.length === 0
    ? html`<p>No calls.</p>`
    : html`<table><thead><tr><th scope="col">call</th><th scope="col">forge</th><th scope="col">target</th><th scope="col">status</th><th scope="col">attempts</th><th scope="col">last error</th><th scope="col">when</th><th scope="col"><span class="visually-hidden">retry</span></th></tr></thead><tbody>
${items.map((item) => outboxRow(viewer, item, now))}
</tbody></table>`
}`,
    { current: 'outbox' },
  );
}

function outboxRow(viewer: Viewer, item: OutboxView, now: number): Html {
  const when =
    item.status === 'sent' && item.sentAt !== null
      ? html`sent ${age(now, item.sentAt)} ago`
      : item.status === 'pending'
        ? html`due ${Date.parse(item.nextAttemptAt) <= now ? 'now' : html`in ${age(Date.parse(item.nextAttemptAt), new Date(now).toISOString())}`}`
        : html`${age(now, item.updatedAt)} ago`;
  return html`<tr data-outbox="${item.id}"><td>${item.kind}</td><td>${item.forge}</td><td>${item.target}</td><td class="status-${item.status}">${item.status}</td><td>${item.attempts}</td><td>${item.lastError ?? ''}</td><td>${when}</td><td>${
    item.status === 'sent'
      ? ''
      : html`<form method="post" action="/outbox/${encodeURIComponent(item.id)}/retry"><input type="hidden" name="_csrf" value="${viewer.csrf}"><button type="submit" aria-label="Retry ${item.kind} ${item.target} now">Retry now</button></form>`
  }</td></tr>`;
}
