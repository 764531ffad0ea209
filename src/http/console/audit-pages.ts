// The audit page: entries and the verification of the hash chain (pure template functions).
import type { AuditEntry } from '../../domain/audit/audit-entry.js';
import type { AuditVerification } from '../../services/audit-service.js';
import { type Assets, page, type Viewer } from './console-pages.js';
import { type Html, html } from './html.js';

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
