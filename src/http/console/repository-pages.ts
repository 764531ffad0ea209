// The repositories page: each `repositories:` entry (stories as code, docs/git-sync.md) with where
// its sync stands, and a button that asks for a sync now. Pure, as console-pages.ts.
import type { RepositoryStatus } from '../../services/repositories/repository-sync-service.js';
import { type Assets, age, page, type Viewer } from './console-pages.js';
import { type Html, html } from './html.js';

export function repositoriesPage(
  assets: Assets,
  viewer: Viewer,
  repositories: RepositoryStatus[],
  notice: string | null,
  now: number,
): Html {
  return page(
    'Repositories',
    assets,
    viewer,
    html`<h1>Repositories</h1>
${notice === null ? '' : html`<p class="ok" role="status">${notice}</p>`}
${
  repositories.length === 0
    ? html`<p>No repository is configured: <code>repositories:</code> in the config binds the story files of a repository to storyflow (docs/git-sync.md).</p>`
    : html`<table><thead><tr><th scope="col">repository</th><th scope="col">branch</th><th scope="col">story files</th><th scope="col">last synced</th><th scope="col">pending</th><th scope="col">failing</th><th scope="col">last error</th><th scope="col">pull request</th><th scope="col"><span class="visually-hidden">sync</span></th></tr></thead><tbody>
${repositories.map((repository) => repositoryRow(viewer, repository, now))}
</tbody></table>`
}`,
    { current: 'repositories' },
  );
}

/** pull-request mode: the branch's pull request, linked, or why there is none (git-sync.md). */
function pullRequestCell(repository: RepositoryStatus): Html | string {
  const pull = repository.writeBack.pullRequest;
  if (pull === null) return '';
  if (pull.state === 'unavailable') return html`none: ${pull.lastError ?? ''}`;
  const label = pull.number === null ? '' : `#${pull.number}`;
  // Only a web address is linked (the forge's answer names it; nothing else becomes an href).
  const linked =
    pull.url !== null && /^https?:\/\//.test(pull.url) && label !== ''
      ? html`<a href="${pull.url}">${label}</a> `
      : label === ''
        ? ''
        : html`${label} `;
  return html`${linked}${pull.state}${pull.lastError === null ? '' : html` (${pull.lastError})`}`;
}

function repositoryRow(viewer: Viewer, repository: RepositoryStatus, now: number): Html {
  const synced =
    repository.lastSyncedSha === null || repository.lastSyncedAt === null
      ? html`never`
      : html`<code>${repository.lastSyncedSha.slice(0, 12)}</code>, ${age(now, repository.lastSyncedAt)} ago`;
  const progress =
    repository.progress === null
      ? ''
      : html` (${repository.progress.phase} ${repository.progress.done}/${repository.progress.total})`;
  return html`<tr data-repository="${repository.name}"><td>${repository.name}</td><td>${repository.branch ?? 'default'}</td><td>${repository.stories}</td><td>${synced}${progress}</td><td>${repository.pending}</td><td>${repository.failing}</td><td>${repository.lastError ?? ''}</td><td>${pullRequestCell(repository)}</td><td><form method="post" action="/repositories/${encodeURIComponent(repository.name)}/sync"><input type="hidden" name="_csrf" value="${viewer.csrf}"><button type="submit" aria-label="Sync ${repository.name} now">Sync now</button></form></td></tr>`;
}
