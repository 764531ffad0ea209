import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROBLEM_TYPES } from '../../src/errors/problem-error.js';
import { registerProblemHandlers } from '../../src/http/problem-handler.js';

const app = Fastify({ bodyLimit: 16 });

beforeAll(async () => {
  registerProblemHandlers(app);
  app.get<{ Params: { status: string } }>('/fail/:status', async (request) => {
    throw Object.assign(new Error(`plain ${request.params.status}`), {
      statusCode: Number(request.params.status),
    });
  });
  app.post('/echo', async (request) => request.body);
  await app.ready();
});
afterAll(() => app.close());

describe('the problem handler', () => {
  it.each([
    [400, 'bad-request'],
    [401, 'unauthorized'],
    [403, 'forbidden'],
    [404, 'not-found'],
    [405, 'method-not-allowed'],
    [406, 'not-acceptable'],
    [409, 'conflict'],
    [412, 'precondition-failed'],
    [413, 'payload-too-large'],
    [415, 'unsupported-media-type'],
    [418, 'bad-request'],
    [429, 'rate-limited'],
  ] as const)(
    'answers a bare %i error as the catalogue code %s, with its status',
    async (status, code) => {
      const response = await app.inject({ method: 'GET', url: `/fail/${status}` });
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({
        type: expect.stringContaining(code),
        status: PROBLEM_TYPES[code].status,
        detail: `plain ${status}`,
      });
      expect(response.statusCode).toBe(PROBLEM_TYPES[code].status);
    },
  );

  it('answers a body over the limit as payload-too-large (413) with Fastify’s message', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ far: 'more than sixteen bytes' }),
    });
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({
      type: expect.stringContaining('payload-too-large'),
      status: 413,
    });
  });
});
