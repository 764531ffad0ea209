// The `stories:` glob of a repository entry, as a test of a path relative to the repository root.

/**
 * Compiles a glob: `**` matches any number of whole directories, `*` any run of characters but
 * `/`, `?` one such character, `{a,b}` either alternative; everything else matches itself.
 * @example storyGlobMatcher('docs/stories/**\/*.md')('docs/stories/a/INT-1.md') // true
 */
export function storyGlobMatcher(glob: string): (path: string) => boolean {
  const pattern = new RegExp(`^${globSource(glob)}$`);
  return (path) => pattern.test(path);
}

function globSource(glob: string): string {
  let source = '';
  let index = 0;
  while (index < glob.length) {
    const char = glob[index] as string;
    if (glob.startsWith('**/', index) && (index === 0 || glob[index - 1] === '/')) {
      source += '(?:[^/]*/)*';
      index += 3;
    } else if (glob.startsWith('**', index) && index + 2 === glob.length) {
      source += '.*';
      index += 2;
    } else if (char === '*') {
      source += '[^/]*';
      index += 1;
    } else if (char === '?') {
      source += '[^/]';
      index += 1;
    } else if (char === '{') {
      const close = glob.indexOf('}', index);
      if (close === -1) {
        source += '\\{';
        index += 1;
      } else {
        const alternatives = glob.slice(index + 1, close).split(',');
        source += `(?:${alternatives.map(globSource).join('|')})`;
        index = close + 1;
      }
    } else {
      source += char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      index += 1;
    }
  }
  return source;
}
