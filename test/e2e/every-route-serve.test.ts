// Every route of the OpenAPI document, once, through a real `serve` process in its production
// configuration: a SQLite file (webhook writer and inbox threads, the shared write lock), and
// PostgreSQL when STORYFLOW_TEST_POSTGRES_URL is set. The in-process app of the API tests runs
// no threads and takes no write lock, so a request that deadlocks only there (POST
// /stories/{id}/links did) passed every test. Run `npm run build` first (npm test does).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AZURE_DEVOPS_SECRET } from '../support/azure-devops-webhooks.js';
import { postgresServeUrl } from '../support/postgres-serve-url.js';
import { openApiRoutes, WALK_STEPS, walkRoutes } from '../support/route-walk.js';
import {
  freePort,
  sleep,
  sqliteServeEnv,
  startServerProcess,
  useServerProcesses,
} from '../support/server-process.js';
import { POSTGRES_URL_VARIABLE, postgresTestUrl } from '../support/store-factories.js';
import {
  BITBUCKET_SECRET,
  GITEA_SECRET,
  GITHUB_SECRET,
  GITLAB_TOKEN,
} from '../support/webhooks.js';

const ADMIN_TOKEN = 'e2e-admin-token-0123456789';
/** Every request must answer within this (generous on a loaded machine; a hang never does). */
const ANSWER_WITHIN_MS = 5000;
const GRACE_SECONDS = 2;

interface Database {
  name: string;
  url(dir: string): Promise<string>;
  cleanup?(): Promise<void>;
}

const postgresUrl = postgresTestUrl();
const databases: Database[] = [
  { name: 'SQLite file', url: async (dir) => `sqlite:${join(dir, 'storyflow.db')}` },
  { name: 'SQLite in memory', url: async () => 'sqlite::memory:' },
];
if (postgresUrl !== undefined) {
  const drops: (() => Promise<void>)[] = [];
  databases.push({
    name: 'PostgreSQL',
    url: async () => {
      const serve = await postgresServeUrl(postgresUrl, 'sf_walk');
      drops.push(serve.drop);
      return serve.databaseUrl;
    },
    cleanup: async () => {
      for (const drop of drops.splice(0)) await drop();
    },
  });
}

describe('every route through a real serve process', () => {
  const { processes, tempDir } = useServerProcesses();

  it('every OpenAPI route has a request in the walk, and every step is still a route', async () => {
    const dir = tempDir('storyflow-walk-');
    const server = await startServerProcess(
      {
        name: 'walk-spec',
        cwd: dir,
        port: await freePort(),
        env: sqliteServeEnv(dir, ADMIN_TOKEN),
      },
      processes,
    );
    const spec = (await (await fetch(`${server.baseUrl}/openapi.json`)).json()) as any;
    const routes = openApiRoutes(spec);
    const walked = WALK_STEPS.map((step) => step.route);
    expect(routes.length).toBeGreaterThan(20);
    expect(
      routes.filter((route) => !walked.includes(route)),
      'routes with no request in test/support/route-walk.ts',
    ).toEqual([]);
    expect(
      walked.filter((route) => !routes.includes(route)),
      'walk steps for routes the server no longer has',
    ).toEqual([]);
    expect(new Set(walked).size).toBe(walked.length);
  });

  for (const database of databases) {
    it(`${database.name}: every route answers its valid request within ${ANSWER_WITHIN_MS / 1000} s, the server stays responsive, and SIGTERM stops it cleanly`, async () => {
      const dir = tempDir('storyflow-walk-');
      try {
        const server = await startServerProcess(
          {
            name: `walk-${database.name}`,
            cwd: dir,
            port: await freePort(),
            env: {
              STORYFLOW_DATABASE_URL: await database.url(dir),
              STORYFLOW_ADMIN_TOKEN: ADMIN_TOKEN,
              STORYFLOW_GITHUB_WEBHOOK_SECRET: GITHUB_SECRET,
              STORYFLOW_GITLAB_WEBHOOK_TOKEN: GITLAB_TOKEN,
              STORYFLOW_GITEA_WEBHOOK_SECRET: GITEA_SECRET,
              STORYFLOW_BITBUCKET_WEBHOOK_SECRET: BITBUCKET_SECRET,
              STORYFLOW_AZURE_DEVOPS_WEBHOOK_SECRET: AZURE_DEVOPS_SECRET,
              STORYFLOW_LOG_LEVEL: 'warn',
              STORYFLOW_SHUTDOWN_GRACE_SECONDS: String(GRACE_SECONDS),
            },
          },
          processes,
        );
        const results = await walkRoutes(server.baseUrl, ADMIN_TOKEN, ANSWER_WITHIN_MS);
        const wrong = results
          .filter((result) => {
            const step = WALK_STEPS.find((candidate) => candidate.route === result.route)!;
            return !step.expect.includes(result.status as number);
          })
          .map((result) => `${result.route} → ${result.status}: ${JSON.stringify(result.body)}`);
        expect(wrong, 'routes that did not answer as expected').toEqual([]);
        expect(results.map((result) => result.route)).toEqual(WALK_STEPS.map((step) => step.route));

        // Still answering after the walk: an authenticated read and the readiness probe.
        const after = await fetch(`${server.baseUrl}/api/v1/stories/INT-003/links`, {
          headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
          signal: AbortSignal.timeout(ANSWER_WITHIN_MS),
        });
        expect(after.status).toBe(200);
        expect(((await after.json()) as any).items).toEqual(
          expect.arrayContaining([expect.objectContaining({ type: 'branch' })]),
        );
        const ready = await fetch(`${server.baseUrl}/readyz`, {
          signal: AbortSignal.timeout(ANSWER_WITHIN_MS),
        });
        expect(ready.status).toBe(200);

        // SIGTERM: a clean stop (exit status 0) well within the grace period plus its margin.
        server.child.kill('SIGTERM');
        const exit = await Promise.race([
          server.exited,
          sleep(GRACE_SECONDS * 1000 + 3000 + 4000).then(() => 'still running' as const),
        ]);
        expect(exit, server.output().slice(-2000)).toEqual({ code: 0, signal: null });
      } finally {
        await database.cleanup?.();
      }
    }, 90_000);
  }

  if (postgresUrl === undefined) {
    it.skip(`PostgreSQL: every route (set ${POSTGRES_URL_VARIABLE})`, () => {});
  }
});
