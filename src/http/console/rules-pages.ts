// The rules page: the rules in force and the simulator (pure template functions).
import type { OperationService } from '../../services/automation/operation-service.js';
import type { DeliveryView } from '../../services/delivery-service.js';
import { type Assets, page, type Viewer } from './console-pages.js';
import { type Html, html } from './html.js';

type OperationRecord = Awaited<ReturnType<OperationService['get']>>;

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
