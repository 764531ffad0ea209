// Signed GitHub `push` deliveries sent by a bounded pool of concurrent senders, recording for
// every delivery id whether it was acknowledged (202), refused, or never answered.
import { githubExample } from '../providers/github/github-examples.js';
import { GITHUB_SECRET, githubSignature } from './webhooks.js';

/** One signed body shared by every delivery (the delivery id travels in X-GitHub-Delivery). */
export function signedPushBody(secret = GITHUB_SECRET): { body: string; signature: string } {
  const payload = githubExample('push', (p) => p.ref === 'refs/heads/master');
  const body = JSON.stringify(payload);
  return { body, signature: githubSignature(body, secret) };
}

export type SendResult =
  | { kind: 'acked'; delivery: string; duplicate: boolean }
  | { kind: 'refused'; status: number; text: string }
  | { kind: 'no-answer'; error: string };

/** POST /webhooks/github once; network failures (the server was killed) become no-answer. */
export async function sendPush(
  baseUrl: string,
  deliveryId: string,
  signed: { body: string; signature: string },
  timeoutMs = 15_000,
): Promise<SendResult> {
  try {
    const response = await fetch(`${baseUrl}/webhooks/github`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'GitHub-Hookshot/e2e',
        'x-github-event': 'push',
        'x-github-delivery': deliveryId,
        'x-hub-signature-256': signed.signature,
      },
      body: signed.body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    if (response.status !== 202) return { kind: 'refused', status: response.status, text };
    const answer = JSON.parse(text) as { delivery: string; duplicate: boolean };
    return { kind: 'acked', delivery: answer.delivery, duplicate: answer.duplicate };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return {
      kind: 'no-answer',
      error: cause?.code ?? cause?.message ?? (error as Error).message,
    };
  }
}

export interface SendJob {
  deliveryId: string;
  baseUrl: string;
}

/**
 * Runs `concurrency` senders; each takes the next job from `next()` until it answers undefined
 * (checked before every request, so a caller can stop the stream at any moment) and hands the
 * result to `onResult` before taking the next one.
 */
export async function runSenders(options: {
  concurrency: number;
  signed: { body: string; signature: string };
  next: () => SendJob | undefined;
  onResult: (job: SendJob, result: SendResult) => void;
}): Promise<void> {
  const sender = async () => {
    for (let job = options.next(); job !== undefined; job = options.next()) {
      options.onResult(job, await sendPush(job.baseUrl, job.deliveryId, options.signed));
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, sender));
}
