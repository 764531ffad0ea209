// Repository globs for tokens and OIDC policies: `acme/shop`, `acme/*` (one path segment),
// `acme/**` (any depth, for GitLab subgroups), `*` alone matches any repository.

const cache = new Map<string, RegExp>();

function globToRegExp(glob: string, caseSensitive = false): RegExp {
  const key = `${caseSensitive ? 's' : 'i'}:${glob}`;
  let regexp = cache.get(key);
  if (regexp === undefined) {
    const source = glob
      .split(/(\*\*|\*)/)
      .map((part) => {
        if (part === '**') return '.*';
        if (part === '*') return glob === '*' ? '.*' : '[^/]*';
        return part.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('');
    regexp = new RegExp(`^${source}$`, caseSensitive ? '' : 'i');
    cache.set(key, regexp);
  }
  return regexp;
}

/** Repository names compare case-insensitively, as GitHub and GitLab treat them. */
export function matchRepositoryGlob(glob: string, repository: string): boolean {
  return globToRegExp(glob).test(repository);
}

/** The same globs for values that are case-sensitive (git refs, subjects, workflow paths). */
export function matchGlobExactCase(glob: string, value: string): boolean {
  return globToRegExp(glob, true).test(value);
}

export function matchesAnyRepositoryGlob(globs: readonly string[], repository: string): boolean {
  return globs.some((glob) => matchRepositoryGlob(glob, repository));
}

type GlobToken = '*' | '**' | { char: string };

function globTokens(glob: string): GlobToken[] {
  if (glob === '*') return ['**'];
  return glob
    .split(/(\*\*|\*)/)
    .flatMap((part): GlobToken[] =>
      part === '**' || part === '*' ? [part] : [...part].map((char) => ({ char })),
    );
}

/**
 * Whether every repository `glob` matches is also matched by `outer`: `acme/shop` and `acme/*`
 * are within `acme/*`, `acme/**` is not. Sound but not complete: when unsure it answers false,
 * so a creator may be refused a glob that is in fact within theirs, never granted one beyond.
 */
export function repositoryGlobWithin(glob: string, outer: string): boolean {
  const inner = globTokens(glob);
  const allowed = globTokens(outer);
  const memo = new Map<number, boolean>();
  const within = (i: number, j: number): boolean => {
    const key = i * (allowed.length + 1) + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    const a = inner[i];
    const b = allowed[j];
    if (b === undefined) {
      result = a === undefined;
    } else if (b === '**') {
      // `**` takes nothing more, or whatever the inner glob produces next.
      result = within(i, j + 1) || (a !== undefined && within(i + 1, j));
    } else if (b === '*') {
      // `*` takes nothing more, or anything but a slash: a `*`, or a character other than `/`.
      const consumable = a === '*' || (typeof a === 'object' && a.char !== '/');
      result = within(i, j + 1) || (consumable && within(i + 1, j));
    } else {
      result =
        typeof a === 'object' &&
        a.char.toLowerCase() === b.char.toLowerCase() &&
        within(i + 1, j + 1);
    }
    memo.set(key, result);
    return result;
  };
  return within(0, 0);
}

/** Whether `glob` stays within one of `outer` (see repositoryGlobWithin). */
export function repositoryGlobWithinAny(glob: string, outer: readonly string[]): boolean {
  return outer.some((candidate) => repositoryGlobWithin(glob, candidate));
}
