// The version, read from package.json (src/ and dist/ both sit one level below it). Read with fs,
// not a JSON import: older Node 20 releases (20.11 to at least 20.14) print an ExperimentalWarning
// for JSON modules on every run. The GitHub Action, a bundle without package.json beside it, has the version inlined by
// esbuild instead (src/action/main.ts).
import { readFileSync } from 'node:fs';

export const VERSION: string = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
).version;
