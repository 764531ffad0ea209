import { afterEach, describe, expect, it } from 'vitest';
import type { AuditEntryInput } from '../../../src/domain/audit/audit-entry.js';
import {
  boundedHeader,
  OTHER_ADDRESSES,
  type Refusal,
  RefusalAudit,
} from '../../../src/services/inbox/refusal-audit.js';

describe('RefusalAudit', () => {
  let now = Date.parse('2026-06-01T10:00:30Z');
  const entries: AuditEntryInput[] = [];
  const audits: RefusalAudit[] = [];
  const create = (maxAddresses?: number) => {
    const audit = new RefusalAudit({
      windowMs: 60_000,
      clock: { now: () => new Date(now) },
      append: async (appended) => {
        entries.push(...appended);
      },
      onError: (error) => {
        throw error;
      },
      ...(maxAddresses === undefined ? {} : { maxAddresses }),
    });
    audits.push(audit);
    return audit;
  };
  const refusal = (address: string, reason = 'bad-signature'): Refusal => ({
    provider: 'github',
    address,
    reason,
    detail: 'X-Hub-Signature-256 does not match the body',
    event: 'push',
    deliveryId: 'd-1',
    requestId: 'req-1',
    limited: false,
  });

  afterEach(async () => {
    for (const audit of audits.splice(0)) await audit.close();
    entries.length = 0;
    now = Date.parse('2026-06-01T10:00:30Z');
  });

  it('writes the summaries of the open window when it is closed', async () => {
    const audit = create();
    for (let index = 0; index < 4; index++) await audit.record(refusal('10.0.0.1'));
    expect(entries).toHaveLength(1);
    await audit.close();
    expect(entries).toHaveLength(2);
    expect(entries[1]?.after).toMatchObject({
      summary: true,
      count: 3,
      from: '2026-06-01T10:00:00.000Z',
      until: '2026-06-01T10:00:30.000Z',
    });
  });

  it('past the most addresses of a window, further addresses share one summary', async () => {
    const audit = create(2);
    for (const address of ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.3']) {
      await audit.record(refusal(address));
    }
    expect(entries.map((entry) => entry.actor.id)).toEqual(['10.0.0.1', '10.0.0.2']);
    now += 60_000;
    await audit.record(refusal('10.0.0.9'));
    expect(entries.map((entry) => entry.actor.id)).toEqual([
      '10.0.0.1',
      '10.0.0.2',
      OTHER_ADDRESSES,
      '10.0.0.9',
    ]);
    expect(entries[2]?.after).toMatchObject({ summary: true, count: 3 });
  });

  it('bounds header values to 128 printable ASCII characters', () => {
    expect(boundedHeader(undefined)).toBe('');
    expect(boundedHeader('push')).toBe('push');
    expect(boundedHeader('caf\u00e9\n')).toBe('caf??');
    expect(boundedHeader('x'.repeat(7000))).toBe(`${'x'.repeat(128)}…`);
  });
});
