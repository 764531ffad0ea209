// The per-forge circuit breaker and rate-limit pause of the outbox sender, with plain numbers
// for time.
import { expect, it } from 'vitest';
import { ForgeCircuit } from '../../../src/domain/outbox/forge-circuit.js';
import { rateLimitWait } from '../../../src/domain/outbox/next-send-delay.js';

it('opens after the configured failures in a row, half-opens after the cool-down, and a probe decides', () => {
  const circuit = new ForgeCircuit({ failures: 3, coolDownMs: 1000 });
  circuit.failed(0);
  circuit.failed(1);
  expect(circuit.state(2)).toBe('closed');
  circuit.answered(); // a success in between: the count starts again
  circuit.failed(3);
  circuit.failed(4);
  expect(circuit.blockedUntil(5)).toBeNull();
  circuit.failed(5);
  expect(circuit.state(6)).toBe('open');
  expect(circuit.blockedUntil(6)).toBe(1005);
  expect(circuit.state(1005)).toBe('half-open');
  expect(circuit.blockedUntil(1005)).toBeNull();
  circuit.failed(1010); // the probe failed: open for another cool-down
  expect(circuit.blockedUntil(1011)).toBe(2010);
  circuit.answered();
  expect(circuit.state(2011)).toBe('closed');
});

it('a rate-limited answer pauses the forge; without a hint the wait is a minute, doubling in a row', () => {
  const none = { retryAfter: null, rateLimitRemaining: null, rateLimitReset: null };
  const now = new Date(0);
  const circuit = new ForgeCircuit({ failures: 3, coolDownMs: 1000 });
  expect(circuit.limited(0, (n) => rateLimitWait(none, now, n))).toBe(60_000);
  expect(circuit.blockedUntil(59_999)).toBe(60_000);
  expect(circuit.limited(60_000, (n) => rateLimitWait(none, now, n))).toBe(180_000);
  expect(rateLimitWait(none, now, 20)).toBe(3_600_000);
  expect(rateLimitWait({ ...none, retryAfter: '7' }, now, 3)).toBe(7000);
  circuit.answered();
  expect(circuit.limited(200_000, (n) => rateLimitWait(none, now, n))).toBe(260_000);
});
