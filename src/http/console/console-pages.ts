// The console's layout, shared by every page: the frame, sign-in and message pages, and what a page
// knows of its viewer. Pages are template functions (every value escaped by `html`), one file per
// page group (`*-pages.ts`, beside its `*-routes.ts`). Pure: each takes what it shows and answers
// Html; the routes read the services and decide who sees what.
import { type Html, type HtmlValue, html } from './html.js';

/** What a page knows about the person looking at it. */
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

export function age(now: number, at: string): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(at)) / 1000));
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} d`;
}
