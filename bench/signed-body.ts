// What the ceiling and the durable reference of bench/ingest.ts both do first: read the whole
// body and check its GitHub HMAC (`X-Hub-Signature-256`) in constant time.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

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
