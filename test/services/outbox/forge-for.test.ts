// Which `forges:` entry covers a repository: the entry naming it, else the owner it is under, the
// longest first, so a GitLab subgroup's entry wins over its parent group's.
import { describe, expect, it } from 'vitest';
import type { ForgeConfig } from '../../../src/config/config.js';
import type { IdGenerator } from '../../../src/domain/ids.js';
import { OutboxService } from '../../../src/services/outbox/outbox-service.js';
import type { Repositories, Store } from '../../../src/storage/store.js';
import { acmeForge } from '../../support/fake-github.js';
import { gitlabForge } from '../../support/fake-gitlab.js';

const API = 'http://127.0.0.1:9';

function outboxOf(forges: ForgeConfig[]): OutboxService {
  const clock = { now: () => new Date(0) };
  const ids = { next: (prefix: string) => `${prefix}_1` } as unknown as IdGenerator;
  return new OutboxService({} as Store, { forges }, clock, ids);
}

describe('the forge entry of a repository', () => {
  const group = gitlabForge(API, 't', { id: 'gitlab:acme', owner: 'acme' });
  const subgroup = gitlabForge(API, 't', { id: 'gitlab:acme/platform', owner: 'acme/platform' });
  const project = gitlabForge(API, 't', {
    id: 'gitlab:acme/platform/shop',
    owner: null,
    repository: 'acme/platform/shop',
  });

  it('a GitLab project is covered by the deepest group it is under, unless an entry names it', () => {
    const outbox = outboxOf([group, subgroup, project]);
    expect(outbox.forgeFor('acme/platform/shop')?.id).toBe('gitlab:acme/platform/shop');
    expect(outbox.forgeFor('acme/platform/api')?.id).toBe('gitlab:acme/platform');
    expect(outbox.forgeFor('acme/web')?.id).toBe('gitlab:acme');
    // A path that only starts like the group's name is not under it.
    expect(outbox.forgeFor('acme-labs/web')).toBeUndefined();
  });

  it('the event’s provider picks between a GitHub owner and a GitLab group of the same name', () => {
    const outbox = outboxOf([acmeForge(API, 't'), group]);
    expect(outbox.forgeFor('acme/shop', 'gitlab')?.id).toBe('gitlab:acme');
    expect(outbox.forgeFor('acme/shop', 'github')?.id).toBe('github:acme');
  });

  it('a call queued for a GitLab event goes to the GitLab entry, not a GitHub owner of the same name', async () => {
    const outbox = outboxOf([acmeForge(API, 't'), group]);
    const forges: string[] = [];
    const tx = {
      outbox: { enqueue: async (row: { forge: string }) => forges.push(row.forge) },
    } as unknown as Repositories;
    const call = { repository: 'acme/shop', kind: 'status' as const, target: 't', payload: {} };
    await outbox.enqueueIn(tx, { ...call, provider: 'gitlab' });
    await outbox.enqueueIn(tx, { ...call, provider: 'github' });
    expect(forges).toEqual(['gitlab:acme', 'github:acme']);
  });
});
