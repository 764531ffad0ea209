// A server whose database already holds tokens prints none at start. Whoever missed the first
// start's log is told how to get in, and `storyflow token bootstrap` on the server's machine
// gives them an admin token that the running server accepts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scratchDir } from '../support/ci-examples.js';
import { http } from '../support/http.js';
import { runBin } from '../support/run-cli.js';
import {
  freePort,
  killAll,
  type ServerProcess,
  startServerProcess,
} from '../support/server-process.js';

describe('storyflow token bootstrap', () => {
  const processes: ServerProcess[] = [];
  let scratch: ReturnType<typeof scratchDir>;
  beforeAll(() => {
    scratch = scratchDir('bootstrap');
  });
  afterAll(async () => {
    await killAll(processes);
    scratch?.remove();
  });

  it('a restart with existing tokens says how to get one; the command makes one the server accepts', async () => {
    const first = await startServerProcess(
      { name: 'first start', cwd: scratch.dir, port: await freePort(), env: {} },
      processes,
    );
    expect(first.output()).toContain('It is shown only this once: sfp_');
    await first.stop();

    const again = await startServerProcess(
      { name: 'second start', cwd: scratch.dir, port: await freePort(), env: {} },
      processes,
    );
    expect(again.output()).not.toContain('sfp_');
    expect(again.output()).toContain('API tokens already exist, so no bootstrap token was created');
    expect(again.output()).toContain('storyflow token bootstrap');

    // Run where the server runs (its ./data/storyflow.db), while it runs.
    const made = await runBin(
      ['token', 'bootstrap', '--expires-in', '2h'],
      {},
      { cwd: scratch.dir },
    );
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    expect(made.stdout).toMatch(
      /^Created admin token tok_\S+ "bootstrap admin \(CLI\)", expires \S+\.\nUse it to create scoped tokens \(storyflow token create\), then revoke it:\nsfp_[A-Za-z0-9_-]{43}\n$/,
    );
    const secret = /^(sfp_\S+)$/m.exec(made.stdout)?.[1] as string;
    const tokens = await http(again.baseUrl, 'GET', '/api/v1/tokens', { token: secret });
    expect(tokens.status).toBe(200);
    const audit = await http(again.baseUrl, 'GET', '/api/v1/audit?action=token.created', {
      token: secret,
    });
    expect(audit.body.items).toContainEqual(
      expect.objectContaining({
        actor: expect.objectContaining({ type: 'system', id: 'cli:token-bootstrap' }),
      }),
    );
  });

  it('refuses a directory without the database instead of creating one there', async () => {
    const elsewhere = scratchDir('bootstrap-elsewhere');
    try {
      const run = await runBin(['token', 'bootstrap'], {}, { cwd: elsewhere.dir });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`no database at ${elsewhere.dir}/data/storyflow.db`);
    } finally {
      elsewhere.remove();
    }
  });
});
