// `serve` on a SQLite file commits webhooks in a thread of its own and runs the inbox worker in
// another, at a lower priority: the real process, observed from outside.
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sendPush, signedPushBody } from '../support/delivery-senders.js';
import {
  freePort,
  sleep,
  startServerProcess,
  useServerProcesses,
} from '../support/server-process.js';
import { GITHUB_SECRET, githubSignature } from '../support/webhooks.js';

const ADMIN_TOKEN = 'e2e-admin-token-0123456789';

/** Nice values of a process's threads (Linux /proc; field 19 of stat). */
function threadNiceValues(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    // The command name may hold spaces: fields are counted after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[16]);
  });
}

describe('serve with its inbox threads (real server process, SQLite file)', () => {
  const { processes, tempDir } = useServerProcesses();

  it('stores, processes and dedupes deliveries from threads; refuses bad bodies as before', async () => {
    const dir = tempDir('storyflow-threads-');
    const server = await startServerProcess(
      {
        name: 'threads',
        cwd: dir,
        port: await freePort(),
        env: {
          STORYFLOW_DATABASE_URL: `sqlite:${join(dir, 'storyflow.db')}`,
          STORYFLOW_GITHUB_WEBHOOK_SECRET: GITHUB_SECRET,
          STORYFLOW_ADMIN_TOKEN: ADMIN_TOKEN,
          STORYFLOW_LOG_LEVEL: 'warn',
          STORYFLOW_WORKER_NICENESS: '7',
        },
      },
      processes,
    );
    const api = async (path: string) => {
      const response = await fetch(`${server.baseUrl}/api/v1${path}`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      return (await response.json()) as any;
    };

    const signed = signedPushBody();
    const ids = Array.from({ length: 60 }, () => randomUUID());
    const answers = await Promise.all(ids.map((id) => sendPush(server.baseUrl, id, signed)));
    expect(answers.every((answer) => answer.kind === 'acked' && !answer.duplicate)).toBe(true);
    const again = await sendPush(server.baseUrl, ids[0]!, signed);
    expect(again).toMatchObject({ kind: 'acked', duplicate: true });

    // Processed by the worker thread, with the repository read from the payload.
    const repository = JSON.parse(signed.body).repository.full_name as string;
    let processed: any[] = [];
    for (let waited = 0; waited < 20_000 && processed.length < ids.length; waited += 100) {
      processed = (await api('/deliveries?status=processed&limit=100')).items;
      if (processed.length < ids.length) await sleep(100);
    }
    expect(processed).toHaveLength(ids.length);
    const listed = await api(`/deliveries?repository=${encodeURIComponent(repository)}&limit=100`);
    expect(listed.items).toHaveLength(ids.length);
    const audit = await api('/audit?action=delivery.processed&limit=100');
    expect(audit.items).toHaveLength(ids.length);

    // Not JSON: with a valid signature 400 and an audit entry; with a bad one 401 (unread).
    const post = (body: string, signature: string) =>
      fetch(`${server.baseUrl}/webhooks/github`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'push',
          'x-github-delivery': randomUUID(),
          'x-hub-signature-256': signature,
        },
        body,
      });
    expect((await post('{"not json', githubSignature('{"not json'))).status).toBe(400);
    expect((await post('{"not json', githubSignature('{"not json', 'wrong'))).status).toBe(401);
    expect((await api('/audit?action=webhook.malformed')).items).toHaveLength(1);
    expect((await api('/audit?action=webhook.rejected')).items).toHaveLength(1);

    if (process.platform === 'linux') {
      const pid = server.child.pid!;
      expect(threadNiceValues(pid)).toContain(7);
      expect(threadNiceValues(pid)).toContain(0);
    }
  });
});
