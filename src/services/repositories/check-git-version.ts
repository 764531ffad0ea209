// `serve` with `repositories:` needs the system git, 2.30 or later (docs/git-sync.md).
import { GitError, runGit } from './run-git.js';

export const MINIMUM_GIT_VERSION = [2, 30] as const;

/** null when git is there and new enough, else a sentence saying what is wrong. */
export async function checkGitVersion(
  env: Readonly<Record<string, string>>,
): Promise<string | null> {
  let output: string;
  try {
    output = (await runGit(['--version'], { env })).toString('utf8');
  } catch (error) {
    const why = error instanceof GitError ? error.message : String(error);
    return `repositories: are configured, but git cannot be run (${why}); install git ${MINIMUM_GIT_VERSION.join('.')} or later`;
  }
  const match = /git version (\d+)\.(\d+)/.exec(output);
  if (match === null)
    return `repositories: are configured, but "git --version" said ${JSON.stringify(output.trim())}`;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  const [needMajor, needMinor] = MINIMUM_GIT_VERSION;
  if (major < needMajor || (major === needMajor && minor < needMinor)) {
    return `repositories: are configured, but git is ${major}.${minor}; storyflow needs git ${needMajor}.${needMinor} or later`;
  }
  return null;
}
