// Credentials never reach the log: the logger redacts them, and no request path logs them.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { openStore } from '../../src/storage/open-store.js';
import { http } from '../support/http.js';
import { startTestServer } from '../support/start-test-server.js';

function capture() {
  const chunks: string[] = [];
  return {
    stream: { write: (chunk: string) => void chunks.push(chunk) },
    text: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, any>),
  };
}

const SECRET_TOKEN = 'sfp_secretQ8vXk2LmN4pR7tY1wZ3aB5cD6eF9gH0jK2';
const HUB_SIGNATURE = 'sha256=6c3f1a2b9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b';
const GITLAB_TOKEN = 'glwt-webhook-secret-5d41402abc4b2a76';
const COOKIE = 'session=s3cr3t-session-id';
const LEGACY_HUB_SIGNATURE = 'sha1=0a4d55a8d778e5022fab701977c5d840bbc486d0';
const STANDARD_SIGNATURE = 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=';

describe('createLogger redaction', () => {
  it('logs a request with credential headers as [redacted], keeping the other headers', () => {
    const out = capture();
    const logger = createLogger('info', out.stream);
    logger.info(
      {
        req: {
          method: 'POST',
          url: '/api/v1/stories',
          headers: {
            authorization: `Bearer ${SECRET_TOKEN}`,
            'x-hub-signature-256': HUB_SIGNATURE,
            'x-gitlab-token': GITLAB_TOKEN,
            'x-hub-signature': LEGACY_HUB_SIGNATURE,
            'webhook-signature': STANDARD_SIGNATURE,
            cookie: COOKIE,
            'user-agent': 'curl/8.5.0',
          },
        },
      },
      'incoming request',
    );
    const [line] = out.lines();
    expect(line?.req.headers).toEqual({
      authorization: '[redacted]',
      'x-hub-signature-256': '[redacted]',
      'x-gitlab-token': '[redacted]',
      'x-hub-signature': '[redacted]',
      'webhook-signature': '[redacted]',
      cookie: '[redacted]',
      'user-agent': 'curl/8.5.0',
    });
    const secrets = [
      SECRET_TOKEN,
      HUB_SIGNATURE,
      GITLAB_TOKEN,
      COOKIE,
      LEGACY_HUB_SIGNATURE,
      STANDARD_SIGNATURE,
    ];
    for (const secret of secrets) {
      expect(out.text()).not.toContain(secret);
    }
  });

  it('redacts in child loggers too (every request logs through one)', () => {
    const out = capture();
    const child = createLogger('debug', out.stream).child({ reqId: 'req-1' });
    child.debug({ req: { headers: { authorization: `Bearer ${SECRET_TOKEN}` } } }, 'auth');
    expect(out.lines()[0]).toMatchObject({
      reqId: 'req-1',
      req: { headers: { authorization: '[redacted]' } },
    });
    expect(out.text()).not.toContain(SECRET_TOKEN);
  });

  it('writes at the configured level and above only', () => {
    const out = capture();
    const logger = createLogger('warn', out.stream);
    logger.info('hidden');
    logger.warn('shown');
    expect(out.lines().map((line) => line.msg)).toEqual(['shown']);
  });
});

describe('a whole server logging at trace level', () => {
  it('never writes a bearer token, webhook secret or freshly created secret to its log', async () => {
    const out = capture();
    const server = await startTestServer(await openStore('sqlite::memory:'), {
      logger: createLogger('trace', out.stream),
    });
    let created: string;
    try {
      const answer = await http(server.url, 'POST', '/api/v1/tokens', {
        token: server.token,
        json: { name: 'ci', scopes: ['stories:write'] },
      });
      expect(answer.status).toBe(201);
      created = answer.body.token;
      const headers = {
        'x-hub-signature-256': HUB_SIGNATURE,
        'x-gitlab-token': GITLAB_TOKEN,
        cookie: COOKIE,
      };
      const requests = [
        http(server.url, 'GET', '/api/v1/stories', { token: created, headers }),
        http(server.url, 'POST', '/api/v1/stories', {
          token: created,
          headers,
          json: { id: 'LOG-1', title: 'Logged' },
        }),
        http(server.url, 'POST', '/api/v1/stories', {
          token: created,
          json: { id: 'not an id', title: 'Invalid' },
        }),
        http(server.url, 'GET', '/api/v1/tokens', { token: created }),
        http(server.url, 'GET', '/api/v1/stories', { token: SECRET_TOKEN, headers }),
        http(server.url, 'GET', '/api/v1/nowhere', { token: SECRET_TOKEN }),
        http(server.url, 'GET', '/healthz', { token: SECRET_TOKEN }),
      ];
      const statuses = [];
      for (const request of requests) statuses.push((await request).status);
      expect(statuses).toEqual([200, 201, 400, 403, 401, 401, 200]);
    } finally {
      await server.close();
    }
    const text = out.text();
    // The capture did see the requests, so the absence below means something.
    expect(text).toContain('incoming request');
    expect(text).toContain('/api/v1/tokens');
    for (const secret of [server.token, created, created.slice(8), SECRET_TOKEN, HUB_SIGNATURE]) {
      expect(text).not.toContain(secret);
    }
    expect(text).not.toContain(GITLAB_TOKEN);
    expect(text).not.toContain(COOKIE);
  });
});
