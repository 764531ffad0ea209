// Issue #17 point 7: one person across forges. History and audit name the person (and keep the
// forge login); with a people: section, smart commands act only for people holding an allowed role.
import { afterEach, expect, it } from 'vitest';
import type { Person } from '../../../src/domain/people/person.js';
import { AuditService } from '../../../src/services/audit-service.js';
import type { DeliveryRecord } from '../../../src/storage/delivery-repository.js';
import type { Store } from '../../../src/storage/store.js';
import { describeEachStore } from '../../support/store-factories.js';
import { type Harness, harness, REPO } from './automation-harness.js';

const PEOPLE: Person[] = [
  {
    name: 'Ada Lovelace',
    identities: ['github:ada', 'gitlab:ada.l', 'bitbucket:{0f4c1a2e-6d1b-4c1e-9a47-2b8e1f3c5d7a}'],
    roles: ['developer'],
  },
  { name: 'Grace Hopper', identities: ['github:grace'], roles: ['viewer'] },
];

let deliveries = 0;
/** A push of one commit, as a verified webhook of `provider` delivers it, handled by the engine. */
async function push(h: Harness, provider: string, actor: string | undefined, message: string) {
  deliveries += 1;
  const delivery = {
    id: `dlv_${deliveries}`,
    deliveryId: `${provider}-${deliveries}`,
    provider,
  } as DeliveryRecord;
  const commitSha = String(deliveries % 10).repeat(40);
  return h.store.transaction((tx) =>
    h.engine.handle(tx, delivery, [
      {
        kind: 'push',
        provider: provider === 'ci' ? 'github' : provider,
        repository: REPO,
        branch: 'feature/other',
        sha: commitSha,
        ...(actor === undefined ? {} : { actor }),
        commits: [{ sha: `${deliveries}`.padStart(40, 'c'), message, author: 'Ada Lovelace' }],
      },
    ]),
  );
}

describeEachStore('people across forges', (open) => {
  let store: Store;
  afterEach(async () => {
    await store.close();
  });

  async function seeded(people: Person[], roles: string[] | null): Promise<Harness> {
    store = await open();
    const h = harness(store, { smartCommands: { roles } }, { people });
    await h.seed({ id: 'INT-004', title: 'Slack', status: 'in_progress' });
    return h;
  }

  it('an unmapped pusher’s smart command is recorded and ignored', async () => {
    const h = await seeded(PEOPLE, ['developer']);
    const { operations } = await push(h, 'github', 'mallory', 'INT-004 #in_review');
    expect((await h.story('INT-004')).status).toBe('in_progress');
    expect(operations).toHaveLength(1);
    expect(operations[0]?.changes).toEqual([]);
    expect(operations[0]?.steps).toContainEqual({
      story: 'INT-004',
      rule: 'smart command',
      action: 'INT-004 #in_review',
      because: 'commit cccccccccccc',
      skipped: 'github:mallory is not one of people; smart commands ignored',
    });
    const history = await store.audit.list({ story: 'INT-004', limit: 10 });
    const refused = history.filter((entry) => entry.action === 'story.smart_command_refused');
    expect(refused).toHaveLength(1);
    expect(refused[0]?.actor).toEqual({
      type: 'webhook',
      id: expect.any(String),
      name: 'github',
      login: 'github:mallory',
    });
    expect(refused[0]?.reason).toBe('github:mallory is not one of people; smart commands ignored');
  });

  it('a mapped person without an allowed role is refused too; the entry names the person', async () => {
    const h = await seeded(PEOPLE, ['developer']);
    await push(h, 'github', 'grace', 'INT-004 #in_review\nINT-004 #comment looks good');
    expect((await h.story('INT-004')).status).toBe('in_progress');
    const refused = (await store.audit.list({ story: 'INT-004', limit: 10 })).filter(
      (entry) => entry.action === 'story.smart_command_refused',
    );
    expect(refused.map((entry) => entry.actor.person)).toEqual(['Grace Hopper', 'Grace Hopper']);
    expect(refused[0]?.reason).toContain('holds none of the roles');
    expect((await store.audit.list({ action: 'story.commented', limit: 10 })).length).toBe(0);
  });

  it('a person with the role acts from any forge, and history names the person and the login', async () => {
    const h = await seeded(PEOPLE, ['developer']);
    await push(h, 'github', 'ADA', 'INT-004 #in_review');
    expect((await h.story('INT-004')).status).toBe('in_review');
    await push(h, 'gitlab', 'ada.l', 'INT-004 #comment from GitLab');
    const history = await store.audit.list({ story: 'INT-004', limit: 10 });
    const byWebhook = history.filter((entry) => entry.actor.type === 'webhook');
    expect(byWebhook.map((entry) => [entry.action, entry.actor.person, entry.actor.login])).toEqual(
      [
        ['story.automated', 'Ada Lovelace', 'github:ADA'],
        ['story.commented', 'Ada Lovelace', 'gitlab:ada.l'],
      ],
    );
    expect(byWebhook[1]?.actor.name).toBe('gitlab');
    // Everything she did, whichever forge: GET /audit?actor=Ada%20Lovelace.
    const hers = await store.audit.list({ actor: 'Ada Lovelace', limit: 10 });
    expect(hers.map((entry) => entry.action)).toEqual(['story.automated', 'story.commented']);
    expect((await store.audit.list({ actor: 'gitlab:ada.l', limit: 10 })).length).toBe(1);
    // The entries with person and login chain and verify like every other.
    expect((await new AuditService(store).verify()).ok).toBe(true);
  });

  it('an actor named by a CI token is not a forge identity: no smart command acts for it', async () => {
    const h = await seeded(PEOPLE, null);
    await push(h, 'ci', 'ada', 'INT-004 #in_review');
    expect((await h.story('INT-004')).status).toBe('in_progress');
    const [refused] = await store.audit.list({ action: 'story.smart_command_refused', limit: 10 });
    expect(refused?.reason).toBe('ci:ada is not one of people; smart commands ignored');
  });

  it('a push naming no pusher is refused when people are configured', async () => {
    const h = await seeded(PEOPLE, null);
    await push(h, 'github', undefined, 'INT-004 #in_review');
    expect((await h.story('INT-004')).status).toBe('in_progress');
  });

  it('a refused command stores at most 1,024 characters of it, however long the line', async () => {
    const h = await seeded(PEOPLE, null);
    await push(h, 'github', 'mallory', `INT-004 #comment ${'x'.repeat(100_000)}`);
    const [refused] = await store.audit.list({ action: 'story.smart_command_refused', limit: 1 });
    const after = refused?.after as { command: string };
    expect(after.command).toHaveLength(1024);
    expect(after.command.startsWith('INT-004 #comment xxx')).toBe(true);
  });

  it('without roles configured, every person of people may use smart commands', async () => {
    const h = await seeded(PEOPLE, null);
    await push(h, 'github', 'grace', 'INT-004 #in_review');
    expect((await h.story('INT-004')).status).toBe('in_review');
  });

  it('without people, anyone’s smart commands act and entries stay as before', async () => {
    const h = await seeded([], null);
    await push(h, 'github', 'mallory', 'INT-004 #in_review');
    expect((await h.story('INT-004')).status).toBe('in_review');
    const [entry] = (await store.audit.list({ story: 'INT-004', limit: 10 })).filter(
      (candidate) => candidate.actor.type === 'webhook',
    );
    expect(entry?.actor).toEqual({ type: 'webhook', id: expect.any(String), name: 'github' });
  });

  it('rule changes name the person too, not only smart commands', async () => {
    const h = await seeded(PEOPLE, ['developer']);
    deliveries += 1;
    const delivery = { id: `dlv_r${deliveries}`, deliveryId: 'r', provider: 'bitbucket' };
    await h.store.transaction((tx) =>
      h.engine.handle(tx, delivery as DeliveryRecord, [
        {
          kind: 'pr.opened',
          provider: 'bitbucket',
          repository: REPO,
          actor: '{0f4c1a2e-6d1b-4c1e-9a47-2b8e1f3c5d7a}',
          pr: {
            number: 3,
            title: 'INT-004 Slack',
            body: '',
            source: 'feature/x',
            target: 'main',
            url: '',
            draft: false,
          },
        },
      ]),
    );
    const [entry] = await store.audit.list({ action: 'story.automated', limit: 10 });
    expect(entry?.actor.person).toBe('Ada Lovelace');
    expect(entry?.actor.login).toBe('bitbucket:{0f4c1a2e-6d1b-4c1e-9a47-2b8e1f3c5d7a}');
  });
});
