// The inbox pages: the deliveries list and one delivery with its payload (pure template functions).
import type { OperationService } from '../../services/automation/operation-service.js';
import type { DeliveryDetail, DeliveryView } from '../../services/delivery-service.js';
import { type Assets, age, page, type Viewer } from './console-pages.js';
import { type Html, html } from './html.js';
import { operationsTable } from './story-pages.js';

type OperationRecord = Awaited<ReturnType<OperationService['get']>>;

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
