// The container files keep the contract of DESIGN.md §9 and issue #21 (Dockerfile, compose.yaml,
// .dockerignore, .env.example, the image workflow, docs/deploy.md's Kubernetes example).
// test/container/run.sh builds and runs them; this checks what can be read without Docker, so a
// change that breaks the contract fails `npm test` even where Docker is not installed.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { REPO_ROOT } from '../support/ci-examples.js';
import { snippetsOf } from '../support/doc-snippets.js';
import { loadWorkflow } from '../support/github-runner.js';

const read = (path: string): string => readFileSync(join(REPO_ROOT, path), 'utf8');
const has = (command: string): boolean => {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/** Dockerfile instructions, continuation lines joined, comments dropped. */
function instructions(text: string): { keyword: string; args: string }[] {
  const joined = text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [keyword = '', ...rest] = line.trim().split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

describe('Dockerfile', () => {
  const text = read('Dockerfile');
  const all = instructions(text);
  const lastFrom = all.map((instruction) => instruction.keyword).lastIndexOf('FROM');
  const runtime = all.slice(lastFrom);
  const runtimeArgs = (keyword: string) =>
    runtime.filter((instruction) => instruction.keyword === keyword).map((i) => i.args);

  it('takes its base image as ARG BASE=node:20-bookworm-slim, used by every stage', () => {
    expect(all[0]).toEqual({ keyword: 'ARG', args: 'BASE=node:20-bookworm-slim' });
    const froms = all.filter((instruction) => instruction.keyword === 'FROM');
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const from of froms) expect(from.args).toMatch(/^\$\{BASE\}/);
  });

  it('builds with the classic builder: no syntax line, no RUN --mount, COPY --chmod or heredoc', () => {
    expect(text).not.toMatch(/^#\s*syntax=/m);
    expect(text).not.toMatch(/--mount=|--chmod=|<<-?\s*['"]?[A-Z]+/);
  });

  it('runs as the non-root user node, on port 8080, with /data as a volume holding SQLite', () => {
    expect(runtimeArgs('USER')).toEqual(['node']);
    expect(runtimeArgs('EXPOSE')).toEqual(['8080']);
    expect(runtimeArgs('VOLUME')).toEqual(['/data']);
    expect(runtimeArgs('ENV').join(' ')).toContain('STORYFLOW_DATABASE_URL=sqlite:/data/');
    expect(runtimeArgs('RUN').join(' ')).toMatch(/chown node:node \/data/);
  });

  it('checks its health on /healthz and keeps node as PID 1 (exec form), so SIGTERM reaches it', () => {
    const [healthcheck] = runtimeArgs('HEALTHCHECK');
    expect(healthcheck).toMatch(/CMD \[/);
    expect(healthcheck).toContain('/healthz');
    const [entrypoint] = runtimeArgs('ENTRYPOINT');
    expect(JSON.parse(entrypoint ?? 'null')).toEqual(['node', '/app/dist/main.js']);
    expect(JSON.parse(runtimeArgs('CMD')[0] ?? 'null')).toEqual(['serve']);
  });

  it('copies no development dependency into the image: the runtime stage takes a pruned tree', () => {
    const build = all.slice(0, lastFrom).map((instruction) => instruction.args);
    expect(build.join(' ')).toContain('npm prune --omit=dev');
    expect(runtimeArgs('COPY')).toContain('--from=build /app/node_modules ./node_modules');
  });
});

describe('.dockerignore', () => {
  // The last matching rule decides, as in Docker; enough of its syntax for these top-level names.
  const rules = read('.dockerignore')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const excluded = (path: string): boolean => {
    let result = false;
    for (const rule of rules) {
      const negated = rule.startsWith('!');
      const pattern = (negated ? rule.slice(1) : rule).replace(/\/$/, '');
      if (pattern === '*' || path === pattern || path.startsWith(`${pattern}/`)) result = !negated;
    }
    return result;
  };

  it('keeps node_modules, data, .git, dist, test output and .env out of the build context', () => {
    for (const path of ['node_modules', 'data', '.git', 'dist', 'coverage', 'test', '.env']) {
      expect(excluded(path), path).toBe(true);
    }
  });

  it('sends what the build needs', () => {
    for (const path of [
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'src/main.ts',
      'client/console.ts',
    ]) {
      expect(excluded(path), path).toBe(false);
    }
  });
});

describe('compose.yaml', () => {
  const compose = parseYaml(read('compose.yaml'), { merge: true }) as any;
  const services = compose.services as Record<string, any>;

  it('runs storyflow on PostgreSQL and Redis, each with a healthcheck storyflow waits for', () => {
    expect(Object.keys(services).sort()).toEqual([
      'postgres',
      'redis',
      'storyflow',
      'storyflow-replica',
    ]);
    for (const name of ['postgres', 'redis']) expect(services[name].healthcheck.test).toBeTruthy();
    for (const name of ['storyflow', 'storyflow-replica']) {
      expect(services[name].depends_on).toEqual({
        postgres: { condition: 'service_healthy' },
        redis: { condition: 'service_healthy' },
      });
      const env = services[name].environment;
      expect(env.STORYFLOW_DATABASE_URL).toMatch(/^postgres:\/\/storyflow:\$\{POSTGRES_PASSWORD/);
      expect(env.STORYFLOW_DATABASE_URL).toContain('@postgres:5432/storyflow');
      expect(env.STORYFLOW_REDIS_URL).toBe('redis://redis:6379');
    }
  });

  it("publishes storyflow's port 8080 and nothing else; the replica only with its profile", () => {
    for (const [name, service] of Object.entries(services)) {
      if (name !== 'storyflow') expect(service.ports, name).toBeUndefined();
    }
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose's interpolation, not JS
    expect(services.storyflow.ports).toEqual(['0.0.0.0:${STORYFLOW_HTTP_PORT:-8080}:8080']);
    expect(services['storyflow-replica'].profiles).toEqual(['replicas']);
    expect(services.storyflow.profiles).toBeUndefined();
  });

  it('keeps PostgreSQL in a named volume and takes its secrets from .env, not the file', () => {
    expect(Object.keys(compose.volumes)).toEqual(['postgres-data']);
    expect(services.postgres.volumes).toEqual(['postgres-data:/var/lib/postgresql/data']);
    expect(services.postgres.environment.POSTGRES_PASSWORD).toMatch(/^\$\{POSTGRES_PASSWORD:\?/);
    expect(services.storyflow.environment.STORYFLOW_ADMIN_TOKEN).toMatch(
      /^\$\{STORYFLOW_ADMIN_TOKEN:\?/,
    );
  });

  it('.env.example documents every variable compose.yaml reads, each under a comment', () => {
    const used = new Set([...read('compose.yaml').matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1]));
    const lines = read('.env.example').split('\n');
    const documented = new Map<string, number>();
    lines.forEach((line, index) => {
      const match = /^#?([A-Z0-9_]+)=/.exec(line);
      if (match) documented.set(match[1] as string, index);
    });
    for (const name of used) {
      const index = documented.get(name as string);
      expect(index, `${name} in .env.example`).toBeDefined();
      expect(lines[(index as number) - 1], `comment above ${name}`).toMatch(/^# /);
    }
  });

  it.skipIf(!has('docker-compose'))(
    'is valid for docker-compose v1 (docker-compose config)',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'storyflow-compose-'));
      try {
        writeFileSync(join(dir, 'env'), read('.env.example'));
        execFileSync(
          'docker-compose',
          ['--env-file', join(dir, 'env'), '-f', join(REPO_ROOT, 'compose.yaml'), 'config', '-q'],
          { stdio: 'pipe' },
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

describe('.github/workflows/image.yml', () => {
  it('is a valid workflow for GitHub and says it cannot run here', async () => {
    const workflow = await loadWorkflow(join(REPO_ROOT, '.github/workflows/image.yml'));
    expect(workflow.template.jobs.length).toBe(1);
    expect(read('.github/workflows/image.yml').split('\n').slice(0, 8).join('\n')).toMatch(
      /cannot run on the project's own machines/,
    );
  });

  it('builds on version tags and pushes both architectures to GHCR as the version and latest', async () => {
    const { raw } = (await loadWorkflow(join(REPO_ROOT, '.github/workflows/image.yml'))) as any;
    expect(raw.on.push.tags).toEqual(['v*.*.*']);
    expect(raw.permissions.packages).toBe('write');
    const steps = raw.jobs.publish.steps as any[];
    const uses = (prefix: string) => steps.find((step) => step.uses?.startsWith(prefix));
    expect(uses('docker/setup-buildx-action@')).toBeTruthy();
    expect(uses('docker/login-action@').with.registry).toBe('ghcr.io');
    const meta = uses('docker/metadata-action@');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, not JS
    expect(meta.with.images).toBe('ghcr.io/${{ github.repository_owner }}/storyflow');
    expect(meta.with.tags).toContain('type=semver,pattern={{version}}');
    expect(meta.with.tags).toContain('type=raw,value=latest');
    const build = uses('docker/build-push-action@');
    expect(build.with.push).toBe(true);
    expect(build.with.platforms.split(',')).toEqual(['linux/amd64', 'linux/arm64']);
    expect(build.with.tags).toBe(`\${{ steps.${meta.id}.outputs.tags }}`);
  });
});

describe('docs/deploy.md', () => {
  const snippets = snippetsOf(join(REPO_ROOT, 'docs/deploy.md'));
  const kubernetes = snippets.filter(
    (snippet) => snippet.marker?.kind === 'test' && snippet.marker.id === 'deploy-kubernetes',
  );

  it('marks every code block; the Kubernetes example is the one tested here', () => {
    expect(snippets.filter((snippet) => snippet.marker === undefined)).toEqual([]);
    for (const snippet of snippets) {
      if (snippet.marker?.kind === 'not-run') expect(snippet.marker.reason).not.toBe('');
    }
    expect(kubernetes).toHaveLength(1);
  });

  const manifest = kubernetes[0]?.text ?? '';
  const objects = parseAllDocuments(manifest).map((document) => document.toJS()) as any[];
  const byKind = (kind: string) => objects.find((object) => object.kind === kind);

  it('the Kubernetes example is a Secret, a Deployment and a Service that fit together', () => {
    expect(objects.map((object) => object.kind)).toEqual(['Secret', 'Deployment', 'Service']);
    const secret = byKind('Secret');
    const deployment = byKind('Deployment');
    const pod = deployment.spec.template.spec;
    const [container] = pod.containers;
    expect(container.ports).toEqual([{ name: 'http', containerPort: 8080 }]);
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    for (const variable of container.env) {
      const ref = variable.valueFrom.secretKeyRef;
      expect(ref.name).toBe(secret.metadata.name);
      expect(Object.keys(secret.stringData)).toContain(ref.key);
    }
    expect(container.env.map((variable: any) => variable.name)).toContain('STORYFLOW_DATABASE_URL');
    // The shutdown grace (10 s) plus the 3 s after which the server ends itself.
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(13);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(deployment.spec.selector.matchLabels).toEqual(deployment.spec.template.metadata.labels);
    const service = byKind('Service');
    expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
    expect(service.spec.ports[0].targetPort).toBe('http');
  });

  it.skipIf(!has('kubectl'))('kubectl renders the Kubernetes example client-side', () => {
    const dir = mkdtempSync(join(tmpdir(), 'storyflow-k8s-'));
    try {
      writeFileSync(join(dir, 'storyflow.yaml'), manifest);
      writeFileSync(join(dir, 'kustomization.yaml'), 'resources:\n  - storyflow.yaml\n');
      // An unreachable cluster: nothing here may talk to one.
      const env = { ...process.env, KUBECONFIG: join(dir, 'no-kubeconfig') };
      const rendered = execFileSync('kubectl', ['kustomize', dir], { env, encoding: 'utf8' });
      const kinds = parseAllDocuments(rendered).map((document) => (document.toJS() as any).kind);
      expect(kinds.sort()).toEqual(['Deployment', 'Secret', 'Service']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('README.md', () => {
  it('offers docker compose up as a way to start', () => {
    const blocks = snippetsOf(join(REPO_ROOT, 'README.md')).map((snippet) => snippet.text);
    expect(blocks.some((text) => /\bdocker compose up\b/.test(text))).toBe(true);
  });
});
