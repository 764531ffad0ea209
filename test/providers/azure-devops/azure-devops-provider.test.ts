// Azure DevOps' credential (basic-auth password, or a configured secret header) and what the
// verified body gives the delivery: its event type and event id.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/config.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { azureDevopsProvider } from '../../../src/providers/azure-devops/azure-devops-provider.js';
import {
  basicAuthPassword,
  matchesAnySecret,
} from '../../../src/providers/azure-devops/verify-azure-devops-credential.js';
import type { WebhookHeaders } from '../../../src/providers/webhook-provider.js';
import { azureDevopsFixture, basicAuth } from '../../support/azure-devops-webhooks.js';

type Webhooks = Config['webhooks'];

function webhooks(azureDevops: Webhooks['azureDevops']): Webhooks {
  return {
    maxBodyBytes: 1024 * 1024,
    github: { secrets: [], repositories: [] },
    gitlab: { tokens: [], signingSecrets: [], repositories: [], timestampToleranceSeconds: 300 },
    gitea: { secrets: [], repositories: [] },
    bitbucket: { secrets: [], repositories: [] },
    azureDevops,
  };
}

const PASSWORDS = webhooks({ secrets: ['old-password', 'new-password'], header: null });
const HEADER = webhooks({
  secrets: [],
  header: { name: 'x-storyflow-webhook-secret', secrets: ['header-secret'] },
});
const PUSH = Buffer.from(JSON.stringify(azureDevopsFixture('git.push')));

const early = (config: Webhooks, headers: WebhookHeaders) =>
  azureDevopsProvider.refuseEarly(config, headers);
const verify = (config: Webhooks, headers: WebhookHeaders, rawBody: Buffer = PUSH) =>
  azureDevopsProvider.verify(config, { headers, rawBody, receivedAt: new Date() });

describe('basicAuthPassword', () => {
  it('is the part after the first colon; the user name may be anything, even empty', () => {
    expect(basicAuthPassword(basicAuth('storyflow', 'p'))).toBe('p');
    expect(basicAuthPassword(basicAuth('', 'pass:with:colons'))).toBe('pass:with:colons');
    expect(basicAuthPassword(`basic ${Buffer.from('u:é').toString('base64')}`)).toBe('é');
  });

  it('is undefined for other schemes, no colon, bad base64 and oversized headers', () => {
    expect(basicAuthPassword('Bearer abc')).toBeUndefined();
    expect(basicAuthPassword(`Basic ${Buffer.from('nocolon').toString('base64')}`)).toBeUndefined();
    expect(basicAuthPassword('Basic !!!')).toBeUndefined();
    expect(basicAuthPassword(`Basic ${'A'.repeat(5000)}`)).toBeUndefined();
    expect(basicAuthPassword(undefined)).toBeUndefined();
  });
});

describe('matchesAnySecret', () => {
  it('accepts each secret of a rotation and rejects prefixes, longer values and empties', () => {
    expect(matchesAnySecret(['a-secret', 'b-secret'], 'b-secret')).toBe(true);
    expect(matchesAnySecret(['a-secret'], 'a-secre')).toBe(false);
    expect(matchesAnySecret(['a-secret'], 'a-secret ')).toBe(false);
    expect(matchesAnySecret(['a-secret'], '')).toBe(false);
    expect(matchesAnySecret([''], '')).toBe(false);
    expect(matchesAnySecret([], 'anything')).toBe(false);
  });
});

describe('the Azure DevOps credential, from the headers alone', () => {
  it('nothing configured: 401 not-configured', () => {
    expect(early(webhooks({ secrets: [], header: null }), {})).toMatchObject({
      status: 401,
      reason: 'not-configured',
    });
    expect(early(webhooks(undefined), { authorization: basicAuth('u', 'p') })).toMatchObject({
      status: 401,
      reason: 'not-configured',
    });
  });

  it('no Authorization and no secret header: 401 missing-credential', () => {
    expect(early(PASSWORDS, { 'content-type': 'application/json' })).toMatchObject({
      status: 401,
      reason: 'missing-credential',
    });
  });

  it('any user name with a configured password passes, old or new during a rotation', () => {
    for (const [user, password] of [
      ['azure-devops', 'new-password'],
      ['someone-else', 'old-password'],
      ['', 'new-password'],
    ]) {
      expect(early(PASSWORDS, { authorization: basicAuth(user ?? '', password ?? '') })).toBe(
        undefined,
      );
    }
  });

  it('a wrong password, the password as user name, or a Bearer token: 401 bad-credential', () => {
    for (const authorization of [
      basicAuth('azure-devops', 'wrong'),
      basicAuth('new-password', ''),
      basicAuth('new-password', 'x'),
      'Bearer new-password',
    ]) {
      expect(early(PASSWORDS, { authorization }), authorization).toMatchObject({
        status: 401,
        reason: 'bad-credential',
        detail: 'The credential matches no configured secret',
      });
    }
  });

  it('the configured header secret passes; a wrong value, or the secret in another header, does not', () => {
    expect(early(HEADER, { 'x-storyflow-webhook-secret': 'header-secret' })).toBeUndefined();
    expect(early(HEADER, { 'x-storyflow-webhook-secret': 'nope' })).toMatchObject({
      reason: 'bad-credential',
    });
    expect(early(HEADER, { 'x-other': 'header-secret' })).toMatchObject({
      reason: 'missing-credential',
    });
    expect(early(HEADER, { authorization: basicAuth('u', 'header-secret') })).toMatchObject({
      reason: 'bad-credential',
    });
  });

  it('verify checks the credential again, whatever refuseEarly said', () => {
    expect(verify(PASSWORDS, { authorization: basicAuth('u', 'wrong') })).toMatchObject({
      status: 401,
      reason: 'bad-credential',
    });
  });
});

describe('what the authentic body gives the delivery', () => {
  const authorization = basicAuth('azure-devops', 'new-password');

  it('the event id is the delivery id, eventType the event, the repository read', () => {
    expect(verify(PASSWORDS, { authorization })).toEqual({
      accepted: true,
      deliveryId: 'cd159468-0509-48d9-960d-6f3ba627fd06',
      event: 'git.push',
      inspection: { repository: 'Project/Project' },
    });
  });

  it('a body without a string id, or with an oversized one, is 400 no-delivery-id', () => {
    for (const id of [undefined, 42, '', 'x'.repeat(201)]) {
      const body = Buffer.from(JSON.stringify({ ...azureDevopsFixture('git.push'), id }));
      expect(verify(PASSWORDS, { authorization }, body), String(id)).toMatchObject({
        status: 400,
        reason: 'no-delivery-id',
      });
    }
  });

  it('a body without eventType is 400 no-event; one that is not JSON is 400 malformed', () => {
    const noEvent = { ...azureDevopsFixture('git.push'), eventType: null };
    expect(
      verify(PASSWORDS, { authorization }, Buffer.from(JSON.stringify(noEvent))),
    ).toMatchObject({ status: 400, reason: 'no-event' });
    expect(verify(PASSWORDS, { authorization }, Buffer.from('not json'))).toMatchObject({
      status: 400,
      reason: 'malformed',
    });
  });

  it('claims nothing from the headers: the refusal audit never reads an unverified body', () => {
    expect(azureDevopsProvider.claims({ authorization })).toEqual({
      event: undefined,
      deliveryId: undefined,
    });
  });
});

describe('loading the Azure DevOps settings', () => {
  const load = (env: Record<string, string>, yaml = '') => {
    const dir = mkdtempSync(join(tmpdir(), 'storyflow-azure-'));
    writeFileSync(join(dir, 'storyflow.config.yaml'), yaml);
    return loadConfig({ env, cwd: dir }).webhooks.azureDevops;
  };

  it('STORYFLOW_AZURE_DEVOPS_WEBHOOK_SECRET is comma-separated, before the file’s secrets', () => {
    expect(
      load(
        { STORYFLOW_AZURE_DEVOPS_WEBHOOK_SECRET: 'one, two' },
        'webhooks:\n  azureDevops:\n    secrets: [three]\n',
      ),
    ).toEqual({ secrets: ['one', 'two', 'three'], header: null });
  });

  it('a header secret from the variable takes the default name; the file may name it', () => {
    expect(load({ STORYFLOW_AZURE_DEVOPS_WEBHOOK_HEADER_SECRET: 'h' })?.header).toEqual({
      name: 'x-storyflow-webhook-secret',
      secrets: ['h'],
    });
    expect(
      load(
        {},
        'webhooks:\n  azureDevops:\n    header:\n      name: X-Hook-Key\n      secrets: [k]\n',
      )?.header,
    ).toEqual({ name: 'x-hook-key', secrets: ['k'] });
  });

  it('the header may not be Authorization nor a name that is not a header token', () => {
    for (const name of ['Authorization', 'bad name', '']) {
      expect(() =>
        load(
          {},
          `webhooks:\n  azureDevops:\n    header:\n      name: "${name}"\n      secrets: [k]\n`,
        ),
      ).toThrow();
    }
  });
});
