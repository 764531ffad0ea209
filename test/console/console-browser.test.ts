// The console in a real Chromium (Debian's `chromium`, driven by playwright-core; no browser
// download), against `storyflow serve` as a user runs it: a SQLite file, the webhook writer and
// inbox worker threads. Without /usr/bin/chromium these tests are skipped with a message naming
// the package. Screenshots for docs/console.md are written to docs/images/ by this run.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, connect, createServer as createNetServer, type Socket } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AxeBuilder } from '@axe-core/playwright';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { githubCreateBranch } from '../support/automation-payloads.js';
import { fixtureStories } from '../support/fixture-stories.js';
import { http } from '../support/http.js';
import {
  freePort,
  type ServerProcess,
  sqliteServeEnv,
  startServerProcess,
} from '../support/server-process.js';
import { GITHUB_SECRET, postGithub } from '../support/webhooks.js';

// page.evaluate callbacks run in the browser; this file is type-checked without the DOM library.
// biome-ignore lint/suspicious/noExplicitAny: the browser's document, seen from Node
declare const document: any;

const CHROMIUM = '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const IMAGES = join(ROOT, 'docs', 'images');
const ADMIN_TOKEN = 'console-e2e-admin-token-0123456789';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(
    `console browser tests skipped: ${CHROMIUM} is missing; install the Debian package \`chromium\` (apt-get install -y chromium)`,
  );
}

describe.skipIf(!hasChromium)('the console in Chromium', () => {
  let dir: string;
  let server: ServerProcess;
  let browser: Browser;
  let admin: BrowserContext;
  let page: Page;
  const errors: string[] = [];

  const api = (method: string, path: string, json?: unknown, token = ADMIN_TOKEN) =>
    http(server.baseUrl, method, `/api/v1${path}`, {
      token,
      ...(json === undefined ? {} : { json }),
    });
  const statusOf = async (id: string) => (await api('GET', `/stories/${id}`)).body.status;

  async function newSignedInPage(context: BrowserContext, token: string): Promise<Page> {
    const tab = await context.newPage();
    tab.on('console', (message) => {
      // The refusals these tests provoke on purpose (409 refused move or rollback, 403 forged
      // post) are logged by Chromium as failed loads; any other error is a bug.
      const provoked = /Failed to load resource: .* status of (403|409)/.test(message.text());
      if (message.type() === 'error' && !provoked) errors.push(`${tab.url()}: ${message.text()}`);
    });
    tab.on('pageerror', (error) => errors.push(`${tab.url()}: ${error.message}`));
    await tab.goto(`${server.baseUrl}/`);
    await tab.fill('input[type="password"][name="token"]', token);
    await tab.press('input[name="token"]', 'Enter');
    await tab.waitForURL(/\/(deliveries|audit)?$/);
    return tab;
  }

  async function expectNoSeriousA11yViolations(tab: Page): Promise<void> {
    const result = await new AxeBuilder({ page: tab }).analyze();
    const serious = result.violations
      .filter(
        (violation: { impact?: string | null }) =>
          violation.impact === 'serious' || violation.impact === 'critical',
      )
      .map((violation) => `${violation.id}: ${violation.help} (${violation.nodes.length} nodes)`);
    expect(serious).toEqual([]);
  }

  beforeAll(async () => {
    // dist/console (the script and style) is built by the vitest globalSetup when stale.
    mkdirSync(IMAGES, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'storyflow-console-'));
    server = await startServerProcess({
      name: 'console',
      cwd: dir,
      port: await freePort(),
      env: { ...sqliteServeEnv(dir, ADMIN_TOKEN), STORYFLOW_GITHUB_WEBHOOK_SECRET: GITHUB_SECRET },
    });
    const imported = await api('POST', '/stories/import', {
      documents: fixtureStories().map((story) => story.text),
    });
    expect(imported.status).toBe(200);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    admin = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    page = await newSignedInPage(admin, ADMIN_TOKEN);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('signs in with a token and shows each fixture story in its status column', async () => {
    for (const story of fixtureStories()) {
      const status = await statusOf(story.id);
      await page.locator(`[data-status="${status}"] [data-story="${story.id}"]`).waitFor();
    }
    expect(await page.content()).not.toContain(ADMIN_TOKEN);
    await expectNoSeriousA11yViolations(page);
    await page.screenshot({ path: join(IMAGES, 'console-board.png') });
  });

  it('moves a card by mouse (drag and drop), as a transition the API then shows', async () => {
    expect(await statusOf('INT-004')).toBe('ready');
    await page.dragAndDrop('[data-story="INT-004"]', '[data-status="in_progress"]');
    await page.locator('[data-status="in_progress"] [data-story="INT-004"]').waitFor();
    expect(await statusOf('INT-004')).toBe('in_progress');
  });

  it('moves a card by keyboard (focus, →) and keeps the focus on it', async () => {
    expect(await statusOf('UI-007')).toBe('draft');
    await page.focus('[data-story="UI-007"]');
    await page.keyboard.press('ArrowRight');
    await page.locator('[data-status="ready"] [data-story="UI-007"]').waitFor();
    expect(await statusOf('UI-007')).toBe('ready');
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-story')))
      .toBe('UI-007');
  });

  it('shows the allowed targets when the workflow refuses a drop', async () => {
    // API-001 is done: it may go to in_progress or accepted, not back to draft.
    await page.dragAndDrop('[data-story="API-001"]', '[data-status="draft"]');
    await page.locator('#board-message.error').waitFor();
    expect(await page.textContent('#board-message')).toContain(
      'Allowed moves: in_progress, accepted',
    );
    expect(await statusOf('API-001')).toBe('done');
  });

  it('shows what changed under a stale card, and moves it on the current version when asked', async () => {
    // A second board that does not follow changes (its event stream is cut off by this test),
    // so its WIN-009 card keeps the version it was loaded at.
    const tab = await admin.newPage();
    tab.on('pageerror', (error) => errors.push(`${tab.url()}: ${error.message}`));
    await tab.route('**/events', (route) => route.abort());
    await tab.goto(`${server.baseUrl}/`);
    await tab.locator('[data-status="blocked"] [data-story="WIN-009"]').waitFor();
    const changed = await api('PATCH', '/stories/WIN-009', {
      title: 'CR LF line endings survive every edit',
      labels: ['windows', 'bytes', 'crlf'],
    });
    expect(changed.status).toBe(200);
    // ← from blocked: the nearest status to the left the workflow allows, in_review.
    await tab.focus('[data-story="WIN-009"]');
    await tab.keyboard.press('ArrowLeft');
    await tab.locator('#board-message table.changes').waitFor();
    expect(await tab.textContent('#board-message')).toContain(
      'WIN-009 changed since the board was loaded',
    );
    const cells = (field: string) =>
      tab.locator(`#board-message tr[data-field="${field}"] td`).allTextContents();
    expect(await cells('title')).toEqual([
      'Stories written on Windows keep their CR LF line endings',
      'CR LF line endings survive every edit',
    ]);
    expect(await cells('labels')).toEqual(['windows, bytes', 'windows, bytes, crlf']);
    expect(await statusOf('WIN-009')).toBe('blocked');
    await expectNoSeriousA11yViolations(tab);
    await tab.screenshot({ path: join(IMAGES, 'console-stale-card.png') });
    await tab.getByRole('button', { name: /^Move to in_review anyway \(version \d+\)$/ }).click();
    await tab.locator('[data-status="in_review"] [data-story="WIN-009"]').waitFor();
    const story = (await api('GET', '/stories/WIN-009')).body;
    expect(story).toMatchObject({
      status: 'in_review',
      title: 'CR LF line endings survive every edit',
      labels: ['windows', 'bytes', 'crlf'],
    });
    await tab.close();
  });

  it('keeps a stale field edit: shows what changed, and saves the edit again on the current version', async () => {
    const tab = await admin.newPage();
    tab.on('pageerror', (error) => errors.push(`${tab.url()}: ${error.message}`));
    await tab.goto(`${server.baseUrl}/story/SEC-002`);
    await tab.getByText('Edit fields').click();
    await tab.getByLabel('estimate').fill('5sp');
    expect((await api('PATCH', '/stories/SEC-002', { priority: 'low' })).status).toBe(200);
    await tab.getByRole('button', { name: 'Save fields' }).click();
    await tab.locator('table.changes tr[data-field="priority"]').waitFor();
    expect(await tab.textContent('main')).toContain('SEC-002 changed since the page was loaded');
    expect(
      await tab.locator('table.changes tr[data-field="priority"] td').allTextContents(),
    ).toEqual(['high', 'low']);
    // The form holds this person's edit, and the other change as it is now (not as loaded).
    expect(await tab.getByLabel('estimate').inputValue()).toBe('5sp');
    expect(await tab.getByLabel('priority').inputValue()).toBe('low');
    expect((await api('GET', '/stories/SEC-002')).body.estimate).toBe('3sp');
    await expectNoSeriousA11yViolations(tab);
    await tab.getByRole('button', { name: /^Save fields on version \d+$/ }).click();
    await tab.waitForURL(/\/story\/SEC-002$/);
    expect((await api('GET', '/stories/SEC-002')).body).toMatchObject({
      estimate: '5sp',
      priority: 'low',
    });
    await tab.close();
  });

  it('moves a card live when a signed webhook moves its story', async () => {
    await page.waitForFunction(() => document.body.dataset.live === 'open');
    expect(await statusOf('INT-003')).toBe('draft');
    const started = Date.now();
    const sent = await postGithub(
      server.baseUrl,
      'create',
      githubCreateBranch('int-003-cicd-integration-endpoints'),
    );
    expect(sent.status).toBe(202);
    await page
      .locator('[data-status="in_progress"] [data-story="INT-003"]')
      .waitFor({ timeout: 5000 });
    const elapsed = Date.now() - started;
    console.log(`[console] webhook → card moved on the open board in ${elapsed} ms`);
    expect(elapsed).toBeLessThan(3000);
  });

  it('reconnects on its own when the connection drops, and a card moved afterwards still moves live', async () => {
    // The board is opened through a proxy that then drops every connection, as a network, a
    // load balancer or a restarting proxy in front of storyflow would. Nothing is reloaded.
    const proxy = await startDroppingProxy(new URL(server.baseUrl));
    const context = await browser.newContext();
    try {
      const tab = await context.newPage();
      tab.on('pageerror', (error) => errors.push(`${tab.url()}: ${error.message}`));
      await tab.goto(`${proxy.url}/`);
      await tab.fill('input[type="password"][name="token"]', ADMIN_TOKEN);
      await tab.press('input[name="token"]', 'Enter');
      await tab.waitForURL(`${proxy.url}/`);
      await tab.waitForFunction(() => document.body.dataset.live === 'open');
      await tab.evaluate(() => {
        document.body.dataset.loaded = 'once';
        const states: string[] = [];
        document.defaultView.liveStates = states;
        new document.defaultView.MutationObserver(() =>
          states.push(document.body.dataset.live),
        ).observe(document.body, { attributes: true, attributeFilter: ['data-live'] });
      });
      const reconnected = tab.waitForResponse(
        (response) => new URL(response.url()).pathname === '/events' && response.status() === 200,
      );
      expect(proxy.dropAll()).toBeGreaterThan(0);
      await reconnected;
      await tab.waitForFunction(() => document.body.dataset.live === 'open');
      expect(await tab.evaluate(() => document.defaultView.liveStates)).toEqual([
        'reconnecting',
        'open',
      ]);
      expect(await statusOf('UTF-008')).toBe('ready');
      const sent = await postGithub(
        server.baseUrl,
        'create',
        githubCreateBranch('utf-008-encoding-review'),
      );
      expect(sent.status).toBe(202);
      await tab
        .locator('[data-status="in_progress"] [data-story="UTF-008"]')
        .waitFor({ timeout: 5000 });
      expect(await tab.evaluate(() => document.body.dataset.loaded)).toBe('once');
    } finally {
      await context.close();
      await proxy.close();
    }
  });

  it('rolls back an operation that meets a later change, after showing the conflict', async () => {
    expect((await api('POST', '/stories/INT-003/transitions', { to: 'in_review' })).status).toBe(
      200,
    );
    await page.goto(`${server.baseUrl}/story/INT-003`);
    await expectNoSeriousA11yViolations(page);
    await page.screenshot({ path: join(IMAGES, 'console-story.png'), fullPage: true });
    await page.getByRole('button', { name: 'Roll back', exact: true }).click();
    await page.getByRole('heading', { name: 'Rollback refused' }).waitFor();
    expect(await page.textContent('main')).toContain('changed since operation');
    await page.getByRole('button', { name: /Roll back anyway/ }).click();
    await page.waitForURL(/\/story\/INT-003$/);
    expect(await statusOf('INT-003')).toBe('draft');
  });

  it('opens a delivery and replays it', async () => {
    await page.goto(`${server.baseUrl}/deliveries`);
    await expectNoSeriousA11yViolations(page);
    await page.locator('[data-delivery] a').first().click();
    await page.getByRole('heading', { name: /^Delivery / }).waitFor();
    await expectNoSeriousA11yViolations(page);
    // Every delivery of these tests is a branch created.
    await page.getByLabel('Search the payload').fill('ref_type');
    await page.locator('#payload-text mark').first().waitFor();
    expect(await page.textContent('[data-search-count="payload-text"]')).toMatch(
      /^[1-9]\d* matches$/,
    );
    await page.screenshot({ path: join(IMAGES, 'console-delivery.png') });
    await page.getByRole('button', { name: 'Replay' }).click();
    await page.getByText('Queued for replay.').waitFor();
  });

  it('verifies the audit chain', async () => {
    await page.goto(`${server.baseUrl}/audit`);
    await page.getByRole('button', { name: 'Verify chain' }).click();
    await page.locator('#verification').waitFor();
    expect(await page.textContent('#verification')).toMatch(/^Chain intact: \d+ entries verified/);
    await expectNoSeriousA11yViolations(page);
  });

  it('shows the outbox of calls to forges, and says how to turn it on when no forge is set', async () => {
    await page.goto(`${server.baseUrl}/outbox`);
    await page.getByRole('heading', { name: 'Calls to forges' }).waitFor();
    expect(await page.textContent('main')).toContain('No forge is configured');
    await expectNoSeriousA11yViolations(page);
  });

  it('shows the repositories page, and says how to bind one when none is configured', async () => {
    await page.goto(`${server.baseUrl}/repositories`);
    await page.getByRole('heading', { name: 'Repositories' }).waitFor();
    expect(await page.textContent('main')).toContain('No repository is configured');
    await expectNoSeriousA11yViolations(page);
  });

  it('refuses a forged form post without the CSRF token', async () => {
    await page.goto(`${server.baseUrl}/`);
    const version = String((await api('GET', '/stories/INF-015')).body.version);
    await Promise.all([
      page.waitForURL(/\/story\/INF-015\/move$/),
      page.evaluate((storyVersion) => {
        const form = document.createElement('form');
        form.method = 'post';
        form.action = '/story/INF-015/move';
        for (const [name, value] of [
          ['to', 'done'],
          ['version', storyVersion],
        ]) {
          const input = document.createElement('input');
          input.name = name as string;
          input.value = value as string;
          form.append(input);
        }
        document.body.append(form);
        form.submit();
      }, version),
    ]);
    expect(await page.textContent('main')).toContain('CSRF check failed');
    expect(await statusOf('INF-015')).toBe('in_review');
  });

  it('shows a read-only token no edit controls, and the server refuses its moves', async () => {
    const created = await api('POST', '/tokens', { name: 'viewer', scopes: ['stories:read'] });
    const context = await browser.newContext();
    const viewer = await newSignedInPage(context, created.body.token);
    await viewer.locator('[data-story="API-001"]').waitFor();
    expect(await viewer.locator('.move').count()).toBe(0);
    expect(await viewer.locator('[draggable="true"]').count()).toBe(0);
    expect(await viewer.getByRole('button', { name: 'Roll back' }).count()).toBe(0);
    await viewer.goto(`${server.baseUrl}/story/INT-003`);
    expect(await viewer.getByRole('button', { name: 'Roll back' }).count()).toBe(0);
    await context.close();
  });

  it('shows the rules in force and simulates a recent delivery without applying it', async () => {
    await page.goto(`${server.baseUrl}/rules`);
    await page.locator('[data-rule="default: branch created or pushed → in_progress"]').waitFor();
    await expectNoSeriousA11yViolations(page);
    const before = await statusOf('INT-003');
    await page.getByRole('button', { name: 'Simulate this delivery' }).click();
    await page.locator('#simulation').waitFor();
    expect(await page.textContent('#simulation')).toMatch(/1 normalized event\(s\)/);
    await expectNoSeriousA11yViolations(page);
    await page.screenshot({ path: join(IMAGES, 'console-simulator.png') });
    expect(await statusOf('INT-003')).toBe(before);
  });

  it('creates a token, shows its secret once with a working Copy button, and revokes it', async () => {
    await admin.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.baseUrl });
    await page.goto(`${server.baseUrl}/tokens`);
    await page.getByLabel('Name').fill('pipeline');
    await page.getByLabel('ci:events').check();
    await page.getByRole('button', { name: 'Create token' }).click();
    const secret = (await page.locator('#new-token').textContent()) ?? '';
    expect(secret).toMatch(/^sfp_/);
    await expectNoSeriousA11yViolations(page);
    await page.getByRole('button', { name: 'Copy' }).click();
    await expect
      .poll(() => page.evaluate(() => document.defaultView.navigator.clipboard.readText()))
      .toBe(secret);
    await page.goto(`${server.baseUrl}/tokens`);
    expect(await page.content()).not.toContain(secret);
    await page.getByRole('button', { name: 'Revoke pipeline' }).click();
    await page.waitForURL(/\/tokens$/);
    expect((await api('GET', '/stories/API-001', undefined, secret)).status).toBe(401);
  });

  it('stops live updates on every board of a session signed out, and says so', async () => {
    const context = await browser.newContext();
    const boardTab = await newSignedInPage(context, ADMIN_TOKEN);
    await boardTab.waitForFunction(() => document.body.dataset.live === 'open');
    const other = await context.newPage();
    await other.goto(`${server.baseUrl}/audit`);
    await other.getByRole('button', { name: 'Sign out' }).click();
    await other.waitForURL(/\/sign-in$/);
    await boardTab.waitForFunction(() => document.body.dataset.live === 'closed');
    expect(await boardTab.textContent('#board-message')).toContain('Live updates stopped');
    await context.close();
  });

  it('fits a 375 px wide screen', async () => {
    const context = await browser.newContext({ viewport: { width: 375, height: 800 } });
    const narrow = await newSignedInPage(context, ADMIN_TOKEN);
    await narrow.locator('[data-story="API-001"]').waitFor();
    expect(await narrow.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
      375,
    );
    await expectNoSeriousA11yViolations(narrow);
    await context.close();
  });

  it('loads a board of 1,000 stories under a second, under 250 KB compressed', async () => {
    const documents = Array.from({ length: 990 }, (_, index) => {
      const n = String(index + 1).padStart(4, '0');
      const status = ['draft', 'ready', 'in_progress', 'in_review', 'done'][index % 5];
      return `---\nid: LOAD-${n}\ntitle: Load story ${n} with a title of ordinary length\nstatus: ${status}\nepic: load\npriority: medium\nlabels: [load, perf]\n---\nBody of story ${n}.\n`;
    });
    expect((await api('POST', '/stories/import', { documents })).status).toBe(200);
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    // The first load is the one signing in lands on (POST /sign-in, then the board); two more
    // follow. Each is waited for to its load event before the next starts.
    const board = await newSignedInPage(context, ADMIN_TOKEN);
    const timings: number[] = [];
    const parts: string[] = [];
    let weight = 0;
    for (let round = 0; round < 3; round++) {
      if (round > 0) await board.goto(`${server.baseUrl}/`, { waitUntil: 'load' });
      else await board.waitForLoadState('load');
      expect(await board.locator('.card').count()).toBe(1000);
      const measured = await board.evaluate(() => {
        const timing = document.defaultView.performance;
        const navigation = timing.getEntriesByType('navigation')[0] as {
          startTime: number;
          responseStart: number;
          responseEnd: number;
          domInteractive: number;
          loadEventEnd: number;
          encodedBodySize: number;
        };
        const resources = timing.getEntriesByType('resource') as { encodedBodySize: number }[];
        return {
          load: navigation.loadEventEnd - navigation.startTime,
          parts: `first byte ${Math.round(navigation.responseStart - navigation.startTime)}, last byte ${Math.round(navigation.responseEnd - navigation.startTime)}, interactive ${Math.round(navigation.domInteractive - navigation.startTime)}`,
          bytes:
            navigation.encodedBodySize +
            resources.reduce((sum, entry) => sum + entry.encodedBodySize, 0),
        };
      });
      timings.push(measured.load);
      parts.push(measured.parts);
      weight = Math.max(weight, measured.bytes);
    }
    console.log(
      `[console] board of 1,000 stories: first load, then two more: ${timings.map((ms) => ms.toFixed(0)).join(' / ')} ms, ${(weight / 1024).toFixed(1)} KB compressed (${parts.join('; ')})`,
    );
    // The budget is 1 s on an idle machine. On a machine running more than one runnable task per
    // core (a shared CI runner, six builds at once), wall time measures the queue, not the board:
    // the budget then grows with the load, and the run says so.
    const load = loadavg()[0] ?? 0;
    const busy = Math.max(1, load / availableParallelism());
    if (busy > 1) {
      console.log(
        `[console] machine busy (load ${load.toFixed(1)} on ${availableParallelism()} cores): budget ${Math.round(1000 * busy)} ms`,
      );
    }
    expect(Math.min(...timings)).toBeLessThan(1000 * busy);
    // The first load (a fresh browser context, right after signing in: the server renders the
    // 1,000 cards cold, the browser lays them out for the first time) is held to twice that.
    expect(timings[0]).toBeLessThan(2000 * busy);
    expect(weight).toBeLessThan(250 * 1024);
    await context.close();
  }, 120_000);

  it('logged no console error on any page', () => {
    expect(errors).toEqual([]);
  });
});

/** A TCP proxy to `target` that can drop every open connection at once. */
async function startDroppingProxy(
  target: URL,
): Promise<{ url: string; dropAll(): number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const proxy = createNetServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    track(client);
    track(upstream);
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const dropAll = () => {
    const count = sockets.size;
    for (const socket of sockets) socket.destroy();
    return count;
  };
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    dropAll,
    close: () =>
      new Promise<void>((resolve) => {
        dropAll();
        proxy.close(() => resolve());
      }),
  };
}
