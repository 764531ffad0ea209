// The readiness check of `serve` beyond the database ping: a write lock held past its bound, or
// an event loop blocked for most of the recent window, makes /readyz 503 (health-routes.ts).
import { afterEach, expect, it } from 'vitest';
import { type StuckCheck, startStuckCheck } from '../../src/http/stuck-check.js';
import { SharedWriteLock } from '../../src/storage/sqlite/serve-mode/shared-write-lock.js';

const checks: StuckCheck[] = [];
afterEach(() => {
  for (const check of checks.splice(0)) check.stop();
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function blockEventLoop(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

it('names a write lock held longer than the bound, and nothing while it is free or held briefly', async () => {
  const buffer = SharedWriteLock.createBuffer();
  const lock = new SharedWriteLock(buffer);
  let offset = 0;
  const check = startStuckCheck({ lock, lockBoundMs: 1000, now: () => Date.now() + offset });
  checks.push(check);
  expect(check.reason()).toBeNull();
  const release = await new SharedWriteLock(buffer).lockWithoutBlocking();
  expect(check.reason()).toBeNull();
  offset = 1500;
  expect(check.reason()).toMatch(
    /write lock has been held for 1\d{3} ms \(more than the 1000 ms bound/,
  );
  release();
  expect(check.reason()).toBeNull();
});

it('names an event loop blocked for longer than the threshold within the window, then recovers', async () => {
  const check = startStuckCheck({ lockBoundMs: 1000, eventLoopStuckMs: 400, windowMs: 1500 });
  checks.push(check);
  await sleep(300);
  expect(check.reason()).toBeNull();
  blockEventLoop(700);
  await sleep(20);
  expect(check.reason()).toMatch(/event loop was blocked for \d+ ms of the last 1.5 s/);
  // The block leaves the window (a loaded machine may add small lags of its own meanwhile).
  let reason = check.reason();
  for (let waited = 0; waited < 6000 && reason !== null; waited += 100) {
    await sleep(100);
    reason = check.reason();
  }
  expect(reason).toBeNull();
});

it('a short block (a large document, a GC pause) stays below the threshold', async () => {
  const check = startStuckCheck({ lockBoundMs: 1000, eventLoopStuckMs: 2000, windowMs: 5000 });
  checks.push(check);
  await sleep(300);
  blockEventLoop(300);
  await sleep(300);
  expect(check.reason()).toBeNull();
});
