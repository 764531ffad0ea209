// Runs a declarative Jenkinsfile the way Jenkins would, close enough to test examples: a small
// parser for the Groovy subset declarative pipelines use, then `environment` (with
// credentials('id')), stages in order with `when` (branch, changeRequest, not, allOf, anyOf),
// `sh` steps run with `/bin/sh -xe` in the workspace, and `post` blocks (always, success,
// failure, cleanup) per stage and for the pipeline. Anything else fails the run rather than
// being ignored, so the example cannot use what the test does not emulate.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { baseEnv, failing, runProcess } from './ci-process.js';

// --- parsing -------------------------------------------------------------------------------

type Token =
  | { type: 'ident'; value: string; line: number }
  | { type: 'string'; value: string; interpolated: boolean; line: number }
  | { type: 'punct'; value: string; line: number }
  | { type: 'newline'; line: number };

export type Arg =
  | { kind: 'string'; value: string; interpolated: boolean }
  | { kind: 'ident'; name: string }
  | { kind: 'call'; name: string; args: Arg[] }
  | { kind: 'named'; name: string; value: Arg };

export interface Statement {
  name: string;
  args: Arg[];
  /** `NAME = value` (environment entries). */
  assigned?: Arg;
  block?: Statement[];
  line: number;
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  let line = 1;
  while (index < source.length) {
    const rest = source.slice(index);
    const char = source[index] as string;
    if (char === '\n') {
      tokens.push({ type: 'newline', line });
      line += 1;
      index += 1;
    } else if (/\s/.test(char)) {
      index += 1;
    } else if (rest.startsWith('//')) {
      index += rest.indexOf('\n') === -1 ? rest.length : rest.indexOf('\n');
    } else if (rest.startsWith('/*')) {
      const end = rest.indexOf('*/');
      if (end === -1) throw new Error(`line ${line}: unterminated comment`);
      line += (rest.slice(0, end).match(/\n/g) ?? []).length;
      index += end + 2;
    } else if (rest.startsWith("'''") || rest.startsWith('"""')) {
      const quote = rest.slice(0, 3);
      const end = rest.indexOf(quote, 3);
      if (end === -1) throw new Error(`line ${line}: unterminated ${quote} string`);
      const raw = rest.slice(3, end);
      tokens.push({
        type: 'string',
        value: groovyUnescape(raw),
        interpolated: quote === '"""',
        line,
      });
      line += (raw.match(/\n/g) ?? []).length;
      index += end + 3;
    } else if (char === "'" || char === '"') {
      let end = 1;
      while (end < rest.length && rest[end] !== char) end += rest[end] === '\\' ? 2 : 1;
      if (end >= rest.length || rest.slice(0, end).includes('\n'))
        throw new Error(`line ${line}: unterminated string`);
      tokens.push({
        type: 'string',
        value: groovyUnescape(rest.slice(1, end)),
        interpolated: char === '"',
        line,
      });
      index += end + 1;
    } else if (/[A-Za-z_]/.test(char)) {
      const match = /^[A-Za-z_][\w.]*/.exec(rest) as RegExpExecArray;
      tokens.push({ type: 'ident', value: match[0], line });
      index += match[0].length;
    } else if ('{}(),=:'.includes(char)) {
      tokens.push({ type: 'punct', value: char, line });
      index += 1;
    } else {
      throw new Error(`line ${line}: unexpected ${JSON.stringify(char)}`);
    }
  }
  return tokens;
}

/** Groovy string escapes (\\, \', \", \n, \t, \$). */
function groovyUnescape(text: string): string {
  return text.replace(/\\(.)/g, (_match, char: string) =>
    char === 'n' ? '\n' : char === 't' ? '\t' : char,
  );
}

export function parseJenkinsfile(source: string): Statement[] {
  const tokens = tokenize(source);
  let position = 0;
  const peek = () => tokens[position];
  const skipNewlines = () => {
    while (peek()?.type === 'newline') position += 1;
  };
  const expect = (value: string) => {
    const token = tokens[position++];
    if (token?.type !== 'punct' || token.value !== value)
      throw new Error(`line ${token?.line ?? '?'}: expected "${value}"`);
  };

  const parseArg = (): Arg => {
    const token = tokens[position++];
    if (token?.type === 'string')
      return { kind: 'string', value: token.value, interpolated: token.interpolated };
    if (token?.type === 'ident') {
      const next = peek();
      if (next?.type === 'punct' && next.value === '(')
        return { kind: 'call', name: token.value, args: parseArgList() };
      if (next?.type === 'punct' && next.value === ':') {
        position += 1;
        return { kind: 'named', name: token.value, value: parseArg() };
      }
      return { kind: 'ident', name: token.value };
    }
    throw new Error(`line ${token?.line ?? '?'}: expected a value`);
  };
  const parseArgList = (): Arg[] => {
    expect('(');
    const args: Arg[] = [];
    skipNewlines();
    while (!(peek()?.type === 'punct' && (peek() as { value: string }).value === ')')) {
      args.push(parseArg());
      skipNewlines();
      if (peek()?.type === 'punct' && (peek() as { value: string }).value === ',') position += 1;
      skipNewlines();
    }
    expect(')');
    return args;
  };
  const parseBlock = (): Statement[] => {
    const statements: Statement[] = [];
    for (;;) {
      skipNewlines();
      const token = peek();
      if (token === undefined) return statements;
      if (token.type === 'punct' && token.value === '}') return statements;
      if (token.type !== 'ident') throw new Error(`line ${token.line}: expected a step or section`);
      position += 1;
      const statement: Statement = { name: token.value, args: [], line: token.line };
      const next = peek();
      if (next?.type === 'punct' && next.value === '=') {
        position += 1;
        statement.assigned = parseArg();
      } else if (next?.type === 'punct' && next.value === '(') {
        statement.args = parseArgList();
      } else if (next?.type === 'string' || next?.type === 'ident') {
        // Groovy command syntax: `sh 'make'`, `branch 'main'`, `agent any`.
        statement.args = [parseArg()];
        while (peek()?.type === 'punct' && (peek() as { value: string }).value === ',') {
          position += 1;
          statement.args.push(parseArg());
        }
      }
      const open = peek();
      if (open?.type === 'punct' && open.value === '{') {
        position += 1;
        statement.block = parseBlock();
        expect('}');
      }
      const end = peek();
      if (
        end !== undefined &&
        end.type !== 'newline' &&
        !(end.type === 'punct' && end.value === '}')
      )
        throw new Error(`line ${end.line}: expected the end of the line`);
      statements.push(statement);
    }
  };
  const statements = parseBlock();
  if (position !== tokens.length) throw new Error(`line ${peek()?.line}: unbalanced "}"`);
  return statements;
}

// --- running ---------------------------------------------------------------------------------

export interface JenkinsRunOptions {
  file: string;
  /** What Jenkins sets for this build (see jenkinsVariables). */
  variables: Record<string, string>;
  /** Credentials by id (`credentials('storyflow-token')`). */
  credentials: Record<string, string>;
  /**
   * Values for `environment` entries a user edits for their setup (the server's URL); each
   * must exist in the file.
   */
  edit?: Record<string, string>;
  workDir: string;
  /** `sh` scripts matching this fail (standing for the user's own command failing). */
  fail?: RegExp;
}

export interface ShRun {
  /** `stage Build`, `stage Deploy post success`, `post failure`. */
  where: string;
  script: string;
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface JenkinsBuild {
  result: 'SUCCESS' | 'FAILURE';
  stages: { name: string; status: 'success' | 'failure' | 'skipped' }[];
  sh: ShRun[];
  /** The stdout of the `sh` steps run at `where`. */
  stdoutOf(where: string): string;
}

export async function runJenkinsfile(options: JenkinsRunOptions): Promise<JenkinsBuild> {
  const top = parseJenkinsfile(readFileSync(options.file, 'utf8'));
  const pipeline = single(top, 'pipeline');
  allowOnly(pipeline.block ?? [], ['agent', 'environment', 'stages', 'post'], 'pipeline');
  const workspace = join(options.workDir, 'workspace');
  const home = join(options.workDir, 'home');
  mkdirSync(workspace, { recursive: true });
  mkdirSync(home, { recursive: true });
  const env: Record<string, string> = {
    ...baseEnv(home),
    ...options.variables,
    WORKSPACE: workspace,
  };
  const entries = find(pipeline.block ?? [], 'environment')?.block ?? [];
  for (const entry of entries) {
    if (entry.assigned === undefined)
      throw new Error(`environment: line ${entry.line} is not NAME = value`);
    env[entry.name] =
      options.edit?.[entry.name] ?? groovyValue(entry.assigned, env, options.credentials);
  }
  for (const name of Object.keys(options.edit ?? {})) {
    if (!entries.some((entry) => entry.name === name))
      throw new Error(`environment has no ${name} to edit`);
  }

  const build: JenkinsBuild = {
    result: 'SUCCESS',
    stages: [],
    sh: [],
    stdoutOf: (where) =>
      build.sh
        .filter((run) => run.where === where)
        .map((run) => run.stdout)
        .join(''),
  };
  const runSteps = async (steps: Statement[], where: string): Promise<boolean> => {
    for (const step of steps) {
      if (step.name === 'echo') continue;
      if (step.name !== 'sh')
        throw new Error(`line ${step.line}: step "${step.name}" is not emulated`);
      const arg = step.args[0];
      const scriptArg = arg?.kind === 'named' && arg.name === 'script' ? arg.value : arg;
      if (scriptArg === undefined) throw new Error(`line ${step.line}: sh without a script`);
      const script = failing(groovyValue(scriptArg, env, options.credentials), options.fail);
      const file = join(options.workDir, `sh-${build.sh.length + 1}.sh`);
      writeFileSync(file, script);
      const result = await runProcess('/bin/sh', ['-xe', file], { cwd: workspace, env });
      build.sh.push({ where, script, ...result });
      if (result.code !== 0) return false;
    }
    return true;
  };
  const runPost = async (
    post: Statement | undefined,
    result: 'success' | 'failure',
    where: string,
  ) => {
    if (post === undefined) return true;
    let ok = true;
    for (const condition of post.block ?? []) {
      const runs =
        condition.name === 'always' ||
        condition.name === 'cleanup' ||
        (condition.name === 'success' && result === 'success') ||
        (condition.name === 'failure' && result === 'failure');
      if (!['always', 'cleanup', 'success', 'failure'].includes(condition.name))
        throw new Error(`post: condition "${condition.name}" is not emulated`);
      if (runs)
        ok = (await runSteps(condition.block ?? [], `${where}post ${condition.name}`)) && ok;
    }
    return ok;
  };

  for (const stage of single(pipeline.block ?? [], 'stages').block ?? []) {
    if (stage.name !== 'stage') throw new Error(`stages: line ${stage.line} is not a stage`);
    const name = groovyValue(stage.args[0] as Arg, env, options.credentials);
    allowOnly(stage.block ?? [], ['when', 'steps', 'post'], `stage ${name}`);
    const when = find(stage.block ?? [], 'when');
    if (
      build.result === 'FAILURE' ||
      (when !== undefined && !conditionsHold(when.block ?? [], env))
    ) {
      build.stages.push({ name, status: 'skipped' });
      continue;
    }
    const ok = await runSteps(find(stage.block ?? [], 'steps')?.block ?? [], `stage ${name}`);
    const postOk = await runPost(
      find(stage.block ?? [], 'post'),
      ok ? 'success' : 'failure',
      `stage ${name} `,
    );
    build.stages.push({ name, status: ok && postOk ? 'success' : 'failure' });
    if (!ok || !postOk) build.result = 'FAILURE';
  }
  const postOk = await runPost(
    find(pipeline.block ?? [], 'post'),
    build.result === 'SUCCESS' ? 'success' : 'failure',
    '',
  );
  if (!postOk) build.result = 'FAILURE';
  return build;
}

function conditionsHold(conditions: Statement[], env: Record<string, string>): boolean {
  return conditions.every((condition) => {
    switch (condition.name) {
      case 'branch': {
        const pattern = condition.args[0];
        if (pattern?.kind !== 'string') throw new Error('when branch: expected a pattern');
        return antMatch(pattern.value, env.BRANCH_NAME ?? '');
      }
      case 'changeRequest':
        return (env.CHANGE_ID ?? '') !== '';
      case 'not':
        return !conditionsHold(condition.block ?? [], env);
      case 'allOf':
        return conditionsHold(condition.block ?? [], env);
      case 'anyOf':
        return (condition.block ?? []).some((inner) => conditionsHold([inner], env));
      default:
        throw new Error(`when: condition "${condition.name}" is not emulated`);
    }
  });
}

/** `when { branch 'release/*' }` patterns (Ant style: `*` and `?`, `**` across `/`). */
function antMatch(pattern: string, value: string): boolean {
  const source = pattern
    .split(/(\*\*|\*|\?)/)
    .map((part) =>
      part === '**'
        ? '.*'
        : part === '*'
          ? '[^/]*'
          : part === '?'
            ? '[^/]'
            : part.replace(/[.+^${}()|[\]\\]/g, '\\$&'),
    )
    .join('');
  return new RegExp(`^${source}$`).test(value);
}

/** A string as Groovy builds it: '…' as is, "…" with ${env.X}, ${X} and $X replaced. */
function groovyValue(
  arg: Arg,
  env: Record<string, string>,
  credentials: Record<string, string>,
): string {
  if (arg.kind === 'string') {
    if (!arg.interpolated) return arg.value;
    return arg.value.replace(/\$\{(?:env\.)?(\w+)\}|\$(\w+)/g, (_match, braced, plain) => {
      const name = braced ?? plain;
      const found = env[name];
      if (found === undefined) throw new Error(`Groovy: no such property ${name}`);
      return found;
    });
  }
  if (arg.kind === 'call' && arg.name === 'credentials') {
    const id = arg.args[0];
    const secret = id?.kind === 'string' ? credentials[id.value] : undefined;
    if (secret === undefined) throw new Error(`credentials: no credential ${JSON.stringify(id)}`);
    return secret;
  }
  throw new Error(`a value of kind ${arg.kind} is not emulated`);
}

function find(statements: Statement[], name: string): Statement | undefined {
  return statements.find((statement) => statement.name === name);
}

function single(statements: Statement[], name: string): Statement {
  const found = statements.filter((statement) => statement.name === name);
  if (found.length !== 1 || found[0]?.block === undefined)
    throw new Error(`expected exactly one ${name} { … } block`);
  return found[0];
}

function allowOnly(statements: Statement[], names: string[], where: string): void {
  for (const statement of statements) {
    if (!names.includes(statement.name))
      throw new Error(`${where}: "${statement.name}" (line ${statement.line}) is not emulated`);
  }
}

/** What Jenkins sets for a multibranch build of a pull request or a branch. */
export function jenkinsVariables(build: {
  repository: string;
  branch: string;
  commit: string;
  number: number;
  changeRequest?: { id: number; title: string; target: string };
}): Record<string, string> {
  const jenkins = 'https://jenkins.example.com/';
  const job = build.changeRequest ? `PR-${build.changeRequest.id}` : build.branch;
  const name = build.repository.split('/').at(-1) ?? build.repository;
  const variables: Record<string, string> = {
    JENKINS_URL: jenkins,
    JENKINS_HOME: '/var/jenkins_home',
    JOB_NAME: `${name}/${job}`,
    JOB_BASE_NAME: job,
    JOB_URL: `${jenkins}job/${name}/job/${job}/`,
    BUILD_NUMBER: String(build.number),
    BUILD_ID: String(build.number),
    BUILD_TAG: `jenkins-${name}-${job}-${build.number}`,
    BUILD_URL: `${jenkins}job/${name}/job/${job}/${build.number}/`,
    NODE_NAME: 'built-in',
    EXECUTOR_NUMBER: '0',
    BRANCH_NAME: job,
    GIT_COMMIT: build.commit,
    GIT_URL: `https://github.com/${build.repository}.git`,
    GIT_BRANCH: job,
  };
  if (build.changeRequest) {
    Object.assign(variables, {
      CHANGE_ID: String(build.changeRequest.id),
      CHANGE_URL: `https://github.com/${build.repository}/pull/${build.changeRequest.id}`,
      CHANGE_TITLE: build.changeRequest.title,
      CHANGE_AUTHOR: 'octocat',
      CHANGE_BRANCH: build.branch,
      CHANGE_TARGET: build.changeRequest.target,
    });
  }
  return variables;
}
