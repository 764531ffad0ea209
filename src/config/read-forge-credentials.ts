// The credential of one `forges:` entry, read when the config loads: a token (`token: { env }` or
// `{ file }`) or a GitHub App (`app: { id, privateKeyFile | privateKeyEnv, installationId? }`).
// Errors name the key (`forges[0].app.privateKeyFile`) and never quote the secret.
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { GithubAppCredentials } from './config.js';
import { ConfigError } from './config-error.js';
import type { ConfigFile } from './config-file-schema.js';

type ForgeEntry = NonNullable<ConfigFile['forges']>[number];

export function readForgeCredentials(
  forge: ForgeEntry,
  env: Record<string, string | undefined>,
  base: string,
  at: (key: string) => string,
): { token: string | null; app?: GithubAppCredentials } {
  if (forge.token === undefined && forge.app === undefined)
    throw new ConfigError(
      at('token'),
      'is required ({ env: NAME } or { file: PATH }), or app: { id, privateKeyFile, installationId }',
    );
  if (forge.token !== undefined && forge.app !== undefined)
    throw new ConfigError(at(''), 'needs one of token and app, not both');
  if (forge.app !== undefined) {
    if (forge.provider !== 'github')
      throw new ConfigError(at('app'), 'GitHub App credentials are for provider github only');
    return { token: null, app: readApp(forge.app, env, base, at) };
  }
  const token = forge.token as NonNullable<ForgeEntry['token']>;
  if ('env' in token) {
    const value = (env[token.env] ?? '').trim();
    if (value === '') throw new ConfigError(at('token.env'), `${token.env} is not set`);
    return { token: value };
  }
  const value = readSecretFile(resolve(base, token.file), at('token.file')).trim();
  if (value === '') throw new ConfigError(at('token.file'), 'is empty');
  return { token: value };
}

function readApp(
  app: NonNullable<ForgeEntry['app']>,
  env: Record<string, string | undefined>,
  base: string,
  at: (key: string) => string,
): GithubAppCredentials {
  if ((app.privateKeyFile === undefined) === (app.privateKeyEnv === undefined))
    throw new ConfigError(at('app'), 'needs exactly one of privateKeyFile and privateKeyEnv');
  const key = app.privateKeyFile === undefined ? 'app.privateKeyEnv' : 'app.privateKeyFile';
  let pem: string;
  if (app.privateKeyFile !== undefined) {
    pem = readSecretFile(resolve(base, app.privateKeyFile), at(key));
  } else {
    const name = app.privateKeyEnv as string;
    // A key in a variable often has its line breaks written as \n.
    pem = (env[name] ?? '').replace(/\\n/g, '\n');
    if (pem.trim() === '') throw new ConfigError(at(key), `${name} is not set`);
  }
  if (!/-----BEGIN (RSA )?PRIVATE KEY-----/.test(pem))
    throw new ConfigError(at(key), 'is not a PEM private key (GitHub gives a .pem file)');
  let privateKey: string;
  try {
    const parsed = createPrivateKey(pem);
    if (parsed.asymmetricKeyType !== 'rsa') throw new Error(`a ${parsed.asymmetricKeyType} key`);
    // PKCS#8, whichever of the two PEM forms GitHub's file had: the JWT signer takes it.
    privateKey = parsed.export({ type: 'pkcs8', format: 'pem' }).toString();
  } catch {
    throw new ConfigError(at(key), 'is not a readable RSA private key in PEM form');
  }
  return Object.freeze({ id: app.id, privateKey, installationId: app.installationId ?? null });
}

function readSecretFile(path: string, key: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      key,
      `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}
