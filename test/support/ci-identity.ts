// A CI provider's identity side on loopback: a JWKS, RS256 id tokens shaped like GitHub's and
// GitLab's, and GitHub's ACTIONS_ID_TOKEN_REQUEST_URL endpoint (a runner asks it for a token
// with `?audience=…` and the job's request token as bearer).
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWTPayload, type KeyObject, SignJWT } from 'jose';

export const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';
export const GITLAB_ISSUER = 'https://gitlab.com';

export interface CiIdentity {
  /** Where storyflow's `oidc.issuers[].jwksUri` should point. */
  jwksUri: string;
  /** Signs claims like the provider (RS256, kid of the served key, valid five minutes). */
  sign(claims: JWTPayload): Promise<string>;
  /**
   * Registers the claims of one GitHub job; answers what the runner puts in
   * ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN for it.
   */
  githubJob(claims: JWTPayload): { url: string; token: string };
  /** Every token request GitHub's endpoint answered or refused. */
  requests: { audience: string | null; status: number }[];
  /** The claims of every id token signed, in order (GitHub's and GitLab's). */
  issued: JWTPayload[];
  close(): Promise<void>;
}

export async function startCiIdentity(): Promise<CiIdentity> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = `ci-${randomBytes(4).toString('hex')}`;
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  const issued: JWTPayload[] = [];
  const sign = (claims: JWTPayload) => {
    const now = Math.floor(Date.now() / 1000);
    issued.push(claims);
    return new SignJWT({ jti: randomUUID(), ...claims })
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + 300)
      .sign(privateKey as KeyObject);
  };
  const jobs = new Map<string, JWTPayload>();
  const requests: CiIdentity['requests'] = [];

  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const answer = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (url.pathname === '/jwks') return answer(200, { keys: [jwk] });
    if (url.pathname === '/_apis/pipelines/idtoken') {
      const audience = url.searchParams.get('audience');
      const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      const claims = bearer === undefined ? undefined : jobs.get(bearer);
      if (claims === undefined || url.searchParams.get('api-version') !== '2.0') {
        requests.push({ audience, status: 401 });
        return answer(401, { message: 'bad request token' });
      }
      requests.push({ audience, status: 200 });
      // GitHub's default audience is the repository owner's URL; `audience` replaces it.
      const aud = audience ?? `https://github.com/${String(claims.repository_owner)}`;
      sign({ ...claims, iss: GITHUB_ISSUER, aud }).then(
        (value) => answer(200, { count: 1, value }),
        (error: Error) => answer(500, { message: error.message }),
      );
      return;
    }
    answer(404, { message: 'not found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    jwksUri: `${base}/jwks`,
    sign,
    githubJob(claims) {
      const token = `runtime-${randomBytes(12).toString('hex')}`;
      jobs.set(token, claims);
      return { url: `${base}/_apis/pipelines/idtoken?api-version=2.0`, token };
    },
    requests,
    issued,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
