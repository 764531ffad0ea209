// Signed webhook requests as Gitea and Forgejo send them (services/webhook/deliver.go,
// Forgejo's services/webhook/shared/payloader.go; see test/fixtures/gitea/SOURCE.md).
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { GITEA_SECRET } from './webhooks.js';

/** The hex HMAC-SHA256 of the body, no prefix: X-Gitea-Signature and X-Forgejo-Signature. */
export function giteaSignature(body: string | Buffer, secret = GITEA_SECRET): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

export interface GiteaSendOptions {
  deliveryId?: string;
  secret?: string;
  /** The signature to send instead of the body's; '' sends none (a hook without a secret). */
  signature?: string;
  body?: string;
  /** Send Forgejo's headers (X-Forgejo-*) besides Gitea's, as Forgejo does. */
  forgejo?: boolean;
}

/** The headers Gitea (and with `forgejo`, Forgejo) puts on one delivery of `body`. */
export function giteaHeaders(
  event: string,
  body: string,
  options: GiteaSendOptions = {},
): Record<string, string> {
  const delivery = options.deliveryId ?? randomUUID();
  const signature = options.signature ?? giteaSignature(body, options.secret);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'Go-http-client/1.1',
    'x-gitea-delivery': delivery,
    'x-gitea-event': event,
    'x-gitea-event-type': event,
    'x-gitea-signature': signature,
    'x-gogs-delivery': delivery,
    'x-gogs-event': event,
    'x-gogs-signature': signature,
    'x-hub-signature-256': `sha256=${signature}`,
    'x-github-delivery': delivery,
    'x-github-event': event,
  };
  if (options.forgejo) {
    headers['x-forgejo-delivery'] = delivery;
    headers['x-forgejo-event'] = event;
    headers['x-forgejo-event-type'] = event;
    headers['x-forgejo-signature'] = signature;
  }
  return headers;
}

export async function postGitea(
  baseUrl: string,
  event: string,
  payload: unknown,
  options: GiteaSendOptions = {},
): Promise<{ status: number; body: any }> {
  const body = options.body ?? JSON.stringify(payload, null, 2);
  const response = await fetch(`${baseUrl}/webhooks/gitea`, {
    method: 'POST',
    headers: giteaHeaders(event, body, options),
    body,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** A fresh copy of test/fixtures/gitea/<name>.json. */
export function giteaFixture(name: string): any {
  return JSON.parse(
    readFileSync(new URL(`../fixtures/gitea/${name}.json`, import.meta.url), 'utf8'),
  );
}
