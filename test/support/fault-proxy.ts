// A loopback HTTP proxy in front of a storyflow server that misbehaves on cue: answer 503 with
// Retry-After, or 409 for an Idempotency-Key still in flight, or forward a request, let the server answer, then drop the connection (and run
// a hook, e.g. kill the server) so the client never sees the answer it caused.
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault =
  | { kind: 'unavailable'; retryAfter: string }
  // What storyflow answers while an earlier request with the same Idempotency-Key holds it.
  | { kind: 'key-in-flight' }
  | { kind: 'drop-after-answer'; onAnswered?: () => Promise<void> | void };

export interface ProxiedRequest {
  method: string;
  path: string;
  at: number;
  idempotencyKey: string | undefined;
  /** What the client got: a status, or `dropped` / `upstream-down` (connection closed). */
  outcome: number | 'dropped' | 'upstream-down';
}

export interface FaultProxy {
  url: string;
  /** Faults for the next matching requests, used in order. */
  faults: Fault[];
  requests: ProxiedRequest[];
  close(): Promise<void>;
}

export async function startFaultProxy(
  upstream: string,
  matches: (method: string, path: string) => boolean = (method) => method === 'POST',
): Promise<FaultProxy> {
  const target = new URL(upstream);
  const proxy: FaultProxy = { url: '', faults: [], requests: [], close: async () => {} };

  const forward = (incoming: IncomingMessage, body: Buffer) =>
    new Promise<{ status: number; headers: Record<string, any>; body: Buffer }>(
      (resolve, reject) => {
        const outgoing = httpRequest(
          {
            host: target.hostname,
            port: target.port,
            method: incoming.method,
            path: incoming.url,
            headers: { ...incoming.headers, host: target.host },
          },
          (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('end', () =>
              resolve({
                status: response.statusCode ?? 502,
                headers: response.headers,
                body: Buffer.concat(chunks),
              }),
            );
            response.on('error', reject);
          },
        );
        outgoing.on('error', reject);
        outgoing.end(body);
      },
    );

  const server: Server = createServer((incoming, response) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', async () => {
      const body = Buffer.concat(chunks);
      const method = incoming.method ?? 'GET';
      const path = incoming.url ?? '/';
      const record: ProxiedRequest = {
        method,
        path,
        at: Date.now(),
        idempotencyKey: incoming.headers['idempotency-key'] as string | undefined,
        outcome: 'dropped',
      };
      proxy.requests.push(record);
      const fault = matches(method, path) ? proxy.faults.shift() : undefined;
      if (fault?.kind === 'unavailable') {
        record.outcome = 503;
        response.writeHead(503, {
          'content-type': 'application/problem+json',
          'retry-after': fault.retryAfter,
        });
        response.end(JSON.stringify({ title: 'Service Unavailable', status: 503, detail: 'busy' }));
        return;
      }
      if (fault?.kind === 'key-in-flight') {
        record.outcome = 409;
        response.writeHead(409, { 'content-type': 'application/problem+json', 'retry-after': '1' });
        response.end(
          JSON.stringify({
            type: 'urn:storyflow:problem:idempotency-key-in-flight',
            title: 'Idempotency-Key in flight',
            status: 409,
            detail: 'A request with this Idempotency-Key is still being processed; retry it later',
          }),
        );
        return;
      }
      let answer: Awaited<ReturnType<typeof forward>>;
      try {
        answer = await forward(incoming, body);
      } catch {
        // Like the client talking to a dead server: the connection just closes.
        record.outcome = 'upstream-down';
        incoming.socket.destroy();
        return;
      }
      if (fault?.kind === 'drop-after-answer') {
        // The server has answered (and committed): the client never learns it.
        incoming.socket.destroy();
        await fault.onAnswered?.();
        return;
      }
      record.outcome = answer.status;
      const { 'transfer-encoding': _chunked, connection: _connection, ...headers } = answer.headers;
      response.writeHead(answer.status, headers);
      response.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}
