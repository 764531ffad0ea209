// Issue #18 point 6: the Started line a status change fills names the event's person — the
// person `people:` maps the forge login to, else the forge login itself.
import { afterEach, expect, it } from 'vitest';
import type { Person } from '../../../src/domain/people/person.js';
import type { DeliveryRecord } from '../../../src/storage/delivery-repository.js';
import type { Store } from '../../../src/storage/store.js';
import { describeEachStore } from '../../support/store-factories.js';
import { type Harness, harness, PERSON, REPO } from './automation-harness.js';

const PEOPLE: Person[] = [
  { name: 'Ada Lovelace', identities: ['github:ada'], roles: ['developer'] },
];

const DOCUMENT = [
  '---',
  'id: INT-005',
  'title: Lifecycle',
  'status: ready',
  'last_updated: 2025-08-28',
  '---',
  '',
  '---',
  '**Story Lifecycle:**',
  '- Created: 2025-08-28 by planning-agent',
  '- Started: [date] by [implementer]  ',
  '- Completed: [date]',
  '- Accepted: [date]',
  '',
].join('\n');

let deliveries = 0;
/** A GitHub push by `actor` whose commit message moves INT-005 with a smart command. */
async function push(h: Harness, actor: string, message: string) {
  deliveries += 1;
  const delivery = { id: `dlv_l${deliveries}`, deliveryId: `l-${deliveries}`, provider: 'github' };
  return h.store.transaction((tx) =>
    h.engine.handle(tx, delivery as DeliveryRecord, [
      {
        kind: 'push',
        provider: 'github',
        repository: REPO,
        branch: 'feature/other',
        sha: String(deliveries % 10).repeat(40),
        actor,
        commits: [{ sha: `${deliveries}`.padStart(40, 'd'), message, author: 'someone' }],
      },
    ]),
  );
}

describeEachStore('lifecycle lines name the event’s person', (open) => {
  let store: Store;
  afterEach(async () => {
    await store.close();
  });

  async function seeded(people: Person[]): Promise<Harness> {
    store = await open();
    const h = harness(store, { smartCommands: { roles: null } }, { people });
    await h.stories.importDocuments([DOCUMENT], PERSON);
    return h;
  }

  it('a mapped forge login is written as the person’s name, on the date of the change', async () => {
    const h = await seeded(PEOPLE);
    await push(h, 'ada', 'INT-005 #in_progress');
    const story = await h.stories.get('INT-005');
    expect(story.status).toBe('in_progress');
    const date = story.updatedAt.slice(0, 10);
    expect(story.document).toBe(
      DOCUMENT.replace('status: ready', 'status: in_progress')
        .replace('last_updated: 2025-08-28', `last_updated: ${date}`)
        .replace('- Started: [date] by [implementer]  ', `- Started: ${date} by Ada Lovelace  `),
    );
  });

  it('without people: the forge login', async () => {
    const h = await seeded([]);
    await push(h, 'octocat', 'INT-005 #in_progress');
    const story = await h.stories.get('INT-005');
    expect(story.document).toContain(`- Started: ${story.updatedAt.slice(0, 10)} by octocat  \n`);
  });
});
