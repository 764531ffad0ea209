// The tokens page: who holds which scopes, and the form to make one (pure template functions).

import { type Assets, page, type Viewer } from './console-pages.js';
import { type Html, html } from './html.js';

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
