// The console's small parts: session expiry, the markdown renderer's safety, and the start
// check for the bundled assets.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConsoleAssets } from '../../src/http/console/console-assets.js';
import { ConsoleSessions, csrfMatches } from '../../src/http/console/console-sessions.js';
import { renderMarkdown, safeHref } from '../../src/http/console/render-markdown.js';

describe('console sessions', () => {
  const limits = { idleMs: 1000, absoluteMs: 5000, max: 3 };

  it('ends a session left idle longer than the idle limit', () => {
    let now = 0;
    const sessions = new ConsoleSessions(limits, () => now);
    const { id } = sessions.create('sfp_a');
    now = 900;
    expect(sessions.get(id)).toBeDefined();
    now = 1800;
    expect(sessions.get(id)).toBeDefined();
    now = 2801;
    expect(sessions.get(id)).toBeUndefined();
  });

  it('does not count an open live stream checking its session as activity', () => {
    let now = 0;
    const sessions = new ConsoleSessions(limits, () => now);
    const { id } = sessions.create('sfp_a');
    now = 900;
    expect(sessions.isLive(id)).toBe(true);
    now = 1001;
    expect(sessions.isLive(id)).toBe(false);
  });

  it('ends an active session at the absolute limit', () => {
    let now = 0;
    const sessions = new ConsoleSessions(limits, () => now);
    const { id } = sessions.create('sfp_a');
    for (now = 500; now <= 5000; now += 500) expect(sessions.get(id)).toBeDefined();
    now = 5001;
    expect(sessions.get(id)).toBeUndefined();
  });

  it('keeps at most `max` sessions, dropping the least recently used', () => {
    const sessions = new ConsoleSessions(limits, () => 0);
    const first = sessions.create('sfp_1').id;
    const second = sessions.create('sfp_2').id;
    sessions.create('sfp_3');
    sessions.get(first);
    sessions.create('sfp_4');
    expect(sessions.size).toBe(3);
    expect(sessions.get(second)).toBeUndefined();
    expect(sessions.get(first)).toBeDefined();
  });

  it('accepts only the exact CSRF token of the session, and no malformed session id', () => {
    const sessions = new ConsoleSessions(limits, () => 0);
    const { id, session } = sessions.create('sfp_a');
    expect(csrfMatches(session, session.csrf)).toBe(true);
    expect(csrfMatches(session, `${session.csrf}x`)).toBe(false);
    expect(csrfMatches(session, undefined)).toBe(false);
    expect(sessions.get(`${id}'`)).toBeUndefined();
    expect(sessions.get(undefined)).toBeUndefined();
  });
});

describe('markdown renderer', () => {
  it('turns raw HTML into text', () => {
    const out = renderMarkdown('<script>alert(1)</script>\n\n<img src=x onerror="alert(2)">');
    expect(out).not.toMatch(/<script|<img/);
    expect(out).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('links only http(s), mailto and relative URLs', () => {
    for (const bad of [
      'javascript:alert(1)',
      'JaVaScRiPt:alert(1)',
      'java\tscript:x',
      'data:text/html,x',
      'vbscript:x',
      '//evil.example/x',
    ]) {
      expect(safeHref(bad)).toBe(false);
    }
    for (const good of [
      'https://example.com',
      'http://a/b',
      'mailto:a@b.c',
      '/story/X',
      '#top',
      'docs/a.md',
    ]) {
      expect(safeHref(good)).toBe(true);
    }
    expect(renderMarkdown('[x](javascript:alert(1))')).not.toContain('<a ');
    expect(renderMarkdown('[x](https://e.com/"onmouseover="a)')).not.toContain('"onmouseover');
  });

  it('renders headings, lists, code and emphasis', () => {
    const out = renderMarkdown(
      '# Title\n\n- one\n- **two**\n\n```\n<b>x</b>\n```\n\nsome `<i>` _em_',
    );
    expect(out).toContain('<h2>Title</h2>');
    expect(out).toContain('<ul><li>one</li><li><strong>two</strong></li></ul>');
    expect(out).toContain('<pre><code>&lt;b&gt;x&lt;/b&gt;</code></pre>');
    expect(out).toContain('<code>&lt;i&gt;</code> <em>em</em>');
  });
});

describe('console assets', () => {
  it('refuses to start without the bundled script, naming the command that builds it', async () => {
    const empty = pathToFileURL(`${mkdtempSync(join(tmpdir(), 'storyflow-no-bundle-'))}/`);
    await expect(loadConsoleAssets(empty)).rejects.toThrow(
      /console\.js is missing from .*run `npm run build`/,
    );
  });
});
