// What the reference servers of bench/ingest.ts all do first: read the whole body and check its
// GitHub HMAC (`X-Hub-Signature-256`) in constant time; the storing ones also need the delivery id.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export function readSignedBody(
  request: IncomingMessage,
  secret: string,
  then: (body: Buffer, valid: boolean) => void,
): void {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const body = Buffer.concat(chunks);
    const header = request.headers['x-hub-signature-256'];
    const given =
      typeof header === 'string' && header.startsWith('sha256=')
        ? Buffer.from(header.slice(7), 'hex')
        : Buffer.alloc(0);
    const expected = createHmac('sha256', secret).update(body).digest();
    then(body, given.length === expected.length && timingSafeEqual(given, expected));
  });
}

/**
 * readSignedBody for the servers that store: answers 401 for a bad signature and 400 without an
 * `X-GitHub-Delivery` themselves, and hands on the rest.
 */
export function readSignedDelivery(
  request: IncomingMessage,
  response: ServerResponse,
  secret: string,
  then: (body: Buffer, deliveryId: string) => void,
): void {
  readSignedBody(request, secret, (body, valid) => {
    const deliveryId = request.headers['x-github-delivery'];
    if (!valid) answerJson(response, 401, '{"error":"bad signature"}');
    else if (typeof deliveryId !== 'string') {
      answerJson(response, 400, '{"error":"no X-GitHub-Delivery"}');
    } else then(body, deliveryId);
  });
}

export function answerJson(response: ServerResponse, status: number, json: string): void {
  response
    .writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(json),
    })
    .end(json);
}
