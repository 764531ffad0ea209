import { afterEach, beforeEach, expect, it } from 'vitest';
import { http } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/start-test-server.js';
import { describeEachStore } from '../support/store-factories.js';

describeEachStore('health, metrics and API reference', (open) => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startTestServer(await open());
  });
  afterEach(async () => {
    await server.close();
  });

  it('healthz answers ok and readyz checks the database', async () => {
    expect((await http(server.url, 'GET', '/healthz')).body).toEqual({ status: 'ok' });
    const ready = await http(server.url, 'GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready', database: server.store.dialect });
  });

  it('readyz answers 503 with Retry-After when the database is gone', async () => {
    await server.store.close();
    const ready = await http(server.url, 'GET', '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.headers.get('retry-after')).toBe('5');
    expect(ready.body.type).toBe('urn:storyflow:problem:unavailable');
  });

  it('metrics are Prometheus text with request counts and the story count', async () => {
    await http(server.url, 'POST', '/api/v1/stories', {
      json: { id: 'MET-1', title: 'Metric' },
      token: server.token,
    });
    const metrics = await http(server.url, 'GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(metrics.text).toMatch(
      /storyflow_http_requests_total\{method="POST",route="\/api\/v1\/stories",status_code="201"\} 1/,
    );
    expect(metrics.text).toMatch(/^storyflow_stories 1$/m);
  });

  it('openapi.json documents every stories route from the route schemas', async () => {
    const spec = await http(server.url, 'GET', '/openapi.json');
    expect(spec.status).toBe(200);
    expect(spec.body.openapi).toBe('3.1.0');
    const paths = Object.keys(spec.body.paths);
    for (const path of [
      '/api/v1/stories',
      '/api/v1/stories/import',
      '/api/v1/stories/{id}',
      '/api/v1/stories/{id}.md',
      '/api/v1/stories/{id}/transitions',
      '/healthz',
      '/readyz',
      '/metrics',
    ]) {
      expect(paths).toContain(path);
    }
    expect(Object.keys(spec.body.paths['/api/v1/stories/{id}'])).toEqual(
      expect.arrayContaining(['get', 'patch', 'delete']),
    );
  });

  it('docs renders the API reference page', async () => {
    const docs = await http(server.url, 'GET', '/docs/');
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-type')).toMatch(/^text\/html/);
    expect(docs.text).toContain('swagger');
  });
});
