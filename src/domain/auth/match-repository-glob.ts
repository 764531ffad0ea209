// Repository globs for tokens and OIDC policies: `acme/shop`, `acme/*` (one path segment),
// `acme/**` (any depth, for GitLab subgroups), `*` alone matches any repository.

const cache = new Map<string, RegExp>();

function globToRegExp(glob: string): RegExp {
  let regexp = cache.get(glob);
  if (regexp === undefined) {
    const source = glob
      .split(/(\*\*|\*)/)
      .map((part) => {
        if (part === '**') return '.*';
        if (part === '*') return glob === '*' ? '.*' : '[^/]*';
        return part.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('');
    regexp = new RegExp(`^${source}$`, 'i');
    cache.set(glob, regexp);
  }
  return regexp;
}

/** Repository names compare case-insensitively, as GitHub and GitLab treat them. */
export function matchRepositoryGlob(glob: string, repository: string): boolean {
  return globToRegExp(glob).test(repository);
}

export function matchesAnyRepositoryGlob(globs: readonly string[], repository: string): boolean {
  return globs.some((glob) => matchRepositoryGlob(glob, repository));
}
