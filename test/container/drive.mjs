// HTTP side of test/container/run.sh, run with the host's node (no dependencies): waits for
// routes, imports a story, sends GitHub webhooks signed as GitHub signs them (HMAC-SHA256 of
// the raw body in X-Hub-Signature-256), and reads /metrics. Each command prints one result
// line and exits non-zero when its check fails.
import { createHmac, randomUUID } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';

const [command, ...args] = process.argv.slice(2);

function fail(message) {
  process.stderr.write(`drive ${command}: ${message}\n`);
  process.exit(1);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function request(url, init = {}, timeoutMs = 10_000) {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  const text = await response.text();
  return { status: response.status, text };
}

/** A push to BRANCH of acme/shop; creating the branch moves the story it names. */
function pushPayload(branch) {
  const sha = randomUUID().replaceAll('-', '').padEnd(40, '0');
  return JSON.stringify({
    ref: `refs/heads/${branch}`,
    before: '0'.repeat(40),
    after: sha,
    created: true,
    deleted: false,
    compare: `https://github.com/acme/shop/compare/${sha}`,
    commits: [],
    repository: { id: 4242, full_name: 'acme/shop', default_branch: 'main' },
    sender: { login: 'container-test' },
  });
}

async function postPush(base, secret, branch, deliveryId = randomUUID()) {
  const body = pushPayload(branch);
  const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
  const response = await request(`${base}/webhooks/github`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/container-test',
      'x-github-event': 'push',
      'x-github-delivery': deliveryId,
      'x-hub-signature-256': signature,
    },
    body,
  });
  return { ...response, deliveryId };
}

const commands = {
  /** wait URL SECONDS [STATUS]: polls until URL answers STATUS (200); prints the ms it took. */
  async wait(url, seconds, status = '200') {
    const started = Date.now();
    let last = 'no answer';
    while (Date.now() - started < Number(seconds) * 1000) {
      try {
        // A short bound per try: docker-proxy accepts connections before the server listens.
        const response = await request(url, {}, 1000);
        if (String(response.status) === status) {
          console.log(`${Date.now() - started} ${response.text}`);
          return;
        }
        last = `${response.status} ${response.text}`;
      } catch (error) {
        last = String(error?.cause?.code ?? error);
      }
      await sleep(100);
    }
    fail(`${url} did not answer ${status} within ${seconds} s (last: ${last})`);
  },

  /** import BASE TOKEN FILE: imports one markdown story document. */
  async import(base, token, file) {
    const response = await request(`${base}/api/v1/stories/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/markdown' },
      body: readFileSync(file),
    });
    if (response.status !== 200) fail(`${response.status} ${response.text}`);
    console.log(response.text);
  },

  /** status BASE TOKEN ID: prints the story's status (fails when it does not exist). */
  async status(base, token, id) {
    const response = await request(`${base}/api/v1/stories/${id}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (response.status !== 200) fail(`${response.status} ${response.text}`);
    console.log(JSON.parse(response.text).status);
  },

  /** push BASE SECRET BRANCH: one signed push webhook; it must be acknowledged with 202. */
  async push(base, secret, branch) {
    const response = await postPush(base, secret, branch);
    if (response.status !== 202) fail(`${response.status} ${response.text}`);
    console.log(response.text);
  },

  /** wait-status BASE TOKEN ID STATUS SECONDS: polls until the story has STATUS. */
  async 'wait-status'(base, token, id, status, seconds) {
    const started = Date.now();
    let last = '';
    while (Date.now() - started < Number(seconds) * 1000) {
      const response = await request(`${base}/api/v1/stories/${id}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      last = response.status === 200 ? JSON.parse(response.text).status : String(response.status);
      if (last === status) {
        console.log(`${Date.now() - started}`);
        return;
      }
      await sleep(100);
    }
    fail(`${id} is ${last}, not ${status}, after ${seconds} s`);
  },

  /**
   * burst SECRET COUNT CONCURRENCY ACKED_FILE BASE...: COUNT signed pushes spread over the
   * BASEs. Each delivery a server acknowledged (202) is appended to ACKED_FILE as it comes.
   * A server that is stopping answers 503 or takes no connection (refused, or no answer
   * within 10 s once its container's address is gone); after that the burst sends to the other
   * BASEs, as a load balancer would. Nothing is retried. Any answer but 202 and 503 fails.
   * Prints "sent acked refused dropped": dropped are connections closed after the request was
   * written (a keep-alive connection the server closed while stopping); none of these were
   * acknowledged, so a forge would redeliver them.
   */
  async burst(secret, count, concurrency, ackedFile, ...bases) {
    let next = 0;
    let acked = 0;
    let refused = 0;
    const dropped = [];
    const other = [];
    const down = new Set();
    const lane = async () => {
      for (let index = next++; index < Number(count); index = next++) {
        const live = bases.filter((candidate) => !down.has(candidate));
        const base = live[index % live.length] ?? bases[0];
        try {
          const response = await postPush(base, secret, `burst/${index}`);
          if (response.status === 202) {
            acked++;
            appendFileSync(ackedFile, `${response.deliveryId}\n`);
          } else if (response.status === 503) refused++;
          else other.push(`${response.status} ${response.text.slice(0, 200)}`);
        } catch (error) {
          const code = error?.cause?.code ?? error?.name ?? String(error);
          if (['ECONNREFUSED', 'EHOSTUNREACH', 'TimeoutError'].includes(code)) {
            refused++;
            if (live.length > 1) down.add(base);
          } else dropped.push(code);
        }
      }
    };
    await Promise.all(Array.from({ length: Number(concurrency) }, lane));
    if (other.length > 0) fail(`answers other than 202 and 503: ${other.slice(0, 5).join(' | ')}`);
    if (dropped.length > 0) process.stderr.write(`dropped: ${dropped.join(' ')}\n`);
    console.log(`${count} ${acked} ${refused} ${dropped.length}`);
  },

  /** metric BASE NAME: the sum of a metric's samples on that server's /metrics. */
  async metric(base, name) {
    const response = await request(`${base}/metrics`);
    if (response.status !== 200) fail(`${response.status}`);
    let sum = 0;
    for (const line of response.text.split('\n')) {
      const match = /^([a-z_]+)(?:\{[^}]*\})? (\S+)$/.exec(line);
      if (match && match[1] === name) sum += Number(match[2]);
    }
    console.log(sum);
  },
};

const run = commands[command];
if (run === undefined) fail(`unknown command; one of ${Object.keys(commands).join(', ')}`);
// fetch's sockets and AbortSignal.timeout's timer do not always keep Node running while a
// connection is half open (docker-proxy accepts before the server listens): Node would then
// exit with 13 (an unsettled top-level await). This timer keeps it running until the end.
const keepRunning = setInterval(() => {}, 1000);
await run(...args);
clearInterval(keepRunning);
