// A GitHub App in the fake GitHub (fake-github.ts): the app's JWT (RS256, signed with the app's
// private key; checked here with its public key as GitHub does) may ask for an installation's
// access token and look installations up; the tokens it hands out then authorize the other calls
// until they expire. Answers are the OpenAPI description's examples with the fields that matter.
//   https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-json-web-token-jwt-for-a-github-app
//   https://docs.github.com/en/rest/apps/apps#create-an-installation-access-token-for-an-app
//   https://docs.github.com/en/rest/apps/apps#get-a-repository-installation-for-the-authenticated-app
import { createVerify, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { githubAnswer } from './github-openapi.js';

export interface FakeGithubApp {
  id: number;
  publicKey: KeyObject;
  /** Installation id by account login (lower case): which owners installed the app. */
  installations: Map<string, number>;
  /** How long a token lives from when it is minted (GitHub: one hour). */
  tokenLifetimeMs: number;
  /** The time the fake GitHub lives in (tokens' expiry). */
  now: () => number;
  /** Tokens handed out: token → installation id and expiry. */
  tokens: Map<string, { installationId: number; expiresAt: number }>;
  /** JWTs seen on requests, to prove none leaks. */
  jwts: string[];
}

export interface AppAnswer {
  status: number;
  body: unknown;
}

/** A fresh RSA key pair for an app (GitHub's keys are 2048-bit RSA, PKCS#1 PEM). */
export function appKeyPair(): { privateKeyPem: string; publicKey: KeyObject } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    publicKey,
  };
}

export function fakeGithubApp(
  id: number,
  publicKey: KeyObject,
  installations: Record<string, number>,
): FakeGithubApp {
  return {
    id,
    publicKey,
    installations: new Map(Object.entries(installations).map(([k, v]) => [k.toLowerCase(), v])),
    tokenLifetimeMs: 60 * 60_000,
    now: Date.now,
    tokens: new Map(),
    jwts: [],
  };
}

/** Why `authorization` is not a valid JWT of `app` (undefined when it is). */
export function jwtProblem(
  app: FakeGithubApp,
  authorization: string | undefined,
): string | undefined {
  const match = /^bearer (\S+)$/i.exec(authorization ?? '');
  if (match === null) return 'no bearer JWT';
  const jwt = match[1] as string;
  app.jwts.push(jwt);
  const [header, payload, signature] = jwt.split('.');
  if (header === undefined || payload === undefined || signature === undefined) return 'not a JWT';
  const head = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
  if (head.alg !== 'RS256') return `alg ${head.alg}, not RS256`;
  const verified = createVerify('RSA-SHA256')
    .update(`${header}.${payload}`)
    .verify(app.publicKey, Buffer.from(signature, 'base64url'));
  if (!verified) return 'the signature is not the app key’s';
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  const now = Date.now() / 1000;
  if (String(claims.iss) !== String(app.id)) return `iss ${claims.iss} is not app ${app.id}`;
  if (!(claims.exp > now) || claims.exp - claims.iat > 600) return 'expired, or lives over 10 min';
  if (!(claims.iat <= now + 60)) return 'issued in the future';
  return undefined;
}

/** The installation a token is valid for now, if it is one the app handed out. */
export function installationOfToken(
  app: FakeGithubApp,
  authorization: string | undefined,
): number | undefined {
  const token = /^(?:bearer|token) (\S+)$/i.exec(authorization ?? '')?.[1];
  const found = token === undefined ? undefined : app.tokens.get(token);
  return found !== undefined && found.expiresAt > app.now() ? found.installationId : undefined;
}

let minted = 0;

/** Answers the app's own routes (token minting, installation look-ups), or undefined. */
export function handleAppRoute(
  app: FakeGithubApp,
  method: string,
  path: string,
  authorization: string | undefined,
): AppAnswer | undefined {
  const url = new URL(path, 'http://fake');
  const tokenRoute = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(url.pathname);
  const lookup =
    /^\/repos\/([^/]+)\/[^/]+\/installation$/.exec(url.pathname) ??
    /^\/orgs\/([^/]+)\/installation$/.exec(url.pathname) ??
    /^\/users\/([^/]+)\/installation$/.exec(url.pathname);
  if (!((tokenRoute && method === 'POST') || (lookup && method === 'GET'))) return undefined;
  const problem = jwtProblem(app, authorization);
  if (problem !== undefined)
    return { status: 401, body: { message: `A JSON web token could not be decoded: ${problem}` } };
  if (tokenRoute) {
    const installationId = Number(tokenRoute[1]);
    if (![...app.installations.values()].includes(installationId))
      return { status: 404, body: { message: 'Not Found' } };
    minted += 1;
    const token = `ghs_fake${String(minted).padStart(4, '0')}${Math.random().toString(36).slice(2, 12)}`;
    const expiresAt = app.now() + app.tokenLifetimeMs;
    app.tokens.set(token, { installationId, expiresAt });
    return {
      status: 201,
      body: githubAnswer('apps/create-installation-access-token', 201, {
        token,
        expires_at: new Date(expiresAt).toISOString().replace(/\.\d+Z$/, 'Z'),
      }),
    };
  }
  const owner = decodeURIComponent(lookup?.[1] ?? '').toLowerCase();
  const installationId = app.installations.get(owner);
  if (installationId === undefined) return { status: 404, body: { message: 'Not Found' } };
  return {
    status: 200,
    body: githubAnswer('apps/get-repo-installation', 200, { id: installationId, app_id: app.id }),
  };
}
