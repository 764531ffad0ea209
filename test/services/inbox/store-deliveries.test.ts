// Deliveries verified with a global secret reach the group commit unparsed: it checks they are
// JSON and reads their repository before storing them.
import { expect, it } from 'vitest';
import { storeDeliveries } from '../../../src/services/inbox/store-deliveries.js';
import type { NewDelivery } from '../../../src/storage/delivery-repository.js';
import { newDelivery } from '../../support/new-delivery.js';

const delivery = (id: string, provider: string, body: string): NewDelivery =>
  newDelivery(id, { provider, body, headers: { 'content-type': 'application/json' } });

function recordingRepository() {
  const inserted: NewDelivery[] = [];
  return {
    inserted,
    async insertDeliveries(items: NewDelivery[]) {
      inserted.push(...items);
      return items.map((item) => ({ id: item.id, duplicate: false }));
    },
  };
}

it('reads the repository of GitHub and GitLab payloads and stores them', async () => {
  const repository = recordingRepository();
  const results = await storeDeliveries(repository, [
    {
      delivery: delivery('a', 'github', '{"repository":{"full_name":"octo/shop"}}'),
      inspect: true,
    },
    {
      delivery: delivery('b', 'gitlab', '{"project":{"path_with_namespace":"group/app"}}'),
      inspect: true,
    },
  ]);
  expect(results).toEqual([
    { id: 'a', duplicate: false },
    { id: 'b', duplicate: false },
  ]);
  expect(repository.inserted.map((item) => item.repository)).toEqual(['octo/shop', 'group/app']);
});

it('answers malformed for a body that is not JSON, stores it not, and keeps the others in order', async () => {
  const repository = recordingRepository();
  const results = await storeDeliveries(repository, [
    { delivery: delivery('a', 'github', '{"zen":"ok"}'), inspect: true },
    { delivery: delivery('b', 'github', '{"not json'), inspect: true },
    { delivery: { ...delivery('c', 'github', 'not parsed'), repository: 'x/y' }, inspect: false },
  ]);
  expect(results).toEqual([
    { id: 'a', duplicate: false },
    { malformed: true },
    { id: 'c', duplicate: false },
  ]);
  expect(repository.inserted.map((item) => [item.id, item.repository])).toEqual([
    ['a', null],
    ['c', 'x/y'],
  ]);
});

it('reads GitHub form-encoded payloads (payload=…)', async () => {
  const repository = recordingRepository();
  const form = new URLSearchParams({ payload: '{"repository":{"full_name":"octo/form"}}' });
  const item = delivery('a', 'github', form.toString());
  item.headers['content-type'] = 'application/x-www-form-urlencoded';
  await storeDeliveries(repository, [{ delivery: item, inspect: true }]);
  expect(repository.inserted[0]?.repository).toBe('octo/form');
});
