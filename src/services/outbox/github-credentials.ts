// The Authorization header of each call storyflow makes to GitHub for one `forges:` entry: its
// token, or, with `app:`, an installation token that @octokit/auth-app mints with the app's JWT
// and that is minted again before it expires; the app's JWT itself for the /app/… routes (the
// App's webhook deliveries). Token requests go to the entry's apiUrl (GitHub Enterprise, a test
// double). Without `installationId` the installation is looked up once per owner:
//   POST /app/installations/{installation_id}/access_tokens
//        https://docs.github.com/en/rest/apps/apps#create-an-installation-access-token-for-an-app
//   GET  /repos/{owner}/{repo}/installation, /orgs/{org}/installation, /users/{username}/installation
//        https://docs.github.com/en/rest/apps/apps#get-a-repository-installation-for-the-authenticated-app
// Neither the key nor a token is ever put in an error message.
import { createAppAuth } from '@octokit/auth-app';
import { request as octokitRequest } from '@octokit/request';
import type { ForgeConfig, GithubAppCredentials } from '../../config/config.js';
import { CALL_TIMEOUT_MS, type FetchLike } from './forge-client.js';

/** An installation token is minted again when less than this is left of its life (GitHub: 1 h). */
export const TOKEN_REFRESH_MARGIN_MS = 5 * 60_000;

/** GitHub refused a credential request, or did not answer; `status` is 0 without an answer. */
export class GithubCredentialError extends Error {
  override name = 'GithubCredentialError';
  constructor(
    message: string,
    readonly status: number,
    readonly headers: Record<string, string | undefined> = {},
  ) {
    super(message);
  }
}

type Request = typeof octokitRequest;

export class GithubCredentials {
  private readonly request: Request;
  private readonly auth: ReturnType<typeof createAppAuth> | null;
  /** Owner (lower case) → installation id, when the config does not name it. */
  private readonly installations = new Map<string, number>();

  constructor(
    private readonly forge: Pick<ForgeConfig, 'apiUrl' | 'token' | 'app'>,
    fetchImpl: FetchLike = fetch,
    /** When an installation token counts as near its expiry. */
    now: () => number = Date.now,
  ) {
    const timed: FetchLike = (input, init) =>
      fetchImpl(input, {
        ...init,
        signal:
          init?.signal == null
            ? AbortSignal.timeout(CALL_TIMEOUT_MS)
            : AbortSignal.any([AbortSignal.timeout(CALL_TIMEOUT_MS), init.signal]),
      });
    this.request = octokitRequest.defaults({
      baseUrl: forge.apiUrl,
      headers: { 'user-agent': 'storyflow', 'x-github-api-version': '2022-11-28' },
      request: { fetch: timed },
    });
    const app = forge.app;
    this.auth =
      app === undefined
        ? null
        : createAppAuth({
            appId: app.id,
            privateKey: app.privateKey,
            ...(app.installationId === null ? {} : { installationId: app.installationId }),
            request: this.request,
            cache: new ExpiringTokenCache(now),
            log: { warn: () => {} },
          });
  }

  /** Whether this entry is a GitHub App (else a token). */
  get isApp(): boolean {
    return this.auth !== null;
  }

  /** For a call about `owner/name` (or, for an owner's own routes, about `owner`). */
  async authorization(repositoryOrOwner: string): Promise<string> {
    if (this.auth === null) return `Bearer ${this.forge.token ?? ''}`;
    const installationId = await this.installationFor(repositoryOrOwner);
    const { token } = await this.guard(
      'POST /app/installations/{installation_id}/access_tokens',
      () =>
        (this.auth as ReturnType<typeof createAppAuth>)({ type: 'installation', installationId }),
    );
    return `Bearer ${token}`;
  }

  /** The app's JWT, for the /app/… routes; only for an `app:` entry. */
  async appAuthorization(): Promise<string> {
    if (this.auth === null) throw new GithubCredentialError('not a GitHub App entry', 0);
    const { token } = await this.auth({ type: 'app' });
    return `Bearer ${token}`;
  }

  private async installationFor(repositoryOrOwner: string): Promise<number> {
    const configured = (this.forge.app as GithubAppCredentials).installationId;
    if (configured !== null) return configured;
    const [owner = '', repo] = repositoryOrOwner.split('/');
    const cached = this.installations.get(owner.toLowerCase());
    if (cached !== undefined) return cached;
    const routes =
      repo === undefined
        ? [
            `/orgs/${encodeURIComponent(owner)}/installation`,
            `/users/${encodeURIComponent(owner)}/installation`,
          ]
        : [`/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/installation`];
    let last: GithubCredentialError | undefined;
    for (const route of routes) {
      try {
        const jwt = await this.appAuthorization();
        const { data } = await this.guard(`GET ${route}`, () =>
          this.request(`GET ${route}`, { headers: { authorization: jwt } }),
        );
        const id = Number((data as { id?: unknown }).id);
        this.installations.set(owner.toLowerCase(), id);
        return id;
      } catch (error) {
        if (!(error instanceof GithubCredentialError) || error.status !== 404) throw error;
        last = error;
      }
    }
    throw new GithubCredentialError(
      `the GitHub App is not installed on ${repositoryOrOwner} (${last?.message ?? '404'})`,
      404,
    );
  }

  /** Runs a credential request; GitHub's refusal becomes an error naming the call, no secret. */
  private async guard<T>(call: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      const status = (error as { status?: unknown }).status;
      const response = (
        error as {
          response?: { data?: { message?: unknown }; headers?: Record<string, string | undefined> };
        }
      ).response;
      const message = response?.data?.message;
      throw new GithubCredentialError(
        typeof status === 'number' && status > 0
          ? `${call}: ${status}${typeof message === 'string' ? ` ${message.slice(0, 300)}` : ''}`
          : `${call}: ${(error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name}`,
        typeof status === 'number' ? status : 0,
        response?.headers ?? {},
      );
    }
  }
}

/**
 * auth-app's token cache, keyed as auth-app keys it, that forgets a token once less than
 * TOKEN_REFRESH_MARGIN_MS is left before the `expires_at` GitHub gave (auth-app's own cache
 * keeps every token 59 minutes, whatever its expiry). auth-app 7 stores
 * `token|createdAt|expiresAt|…`.
 */
class ExpiringTokenCache {
  private readonly entries = new Map<string, string>();
  constructor(private readonly now: () => number) {}

  /** '' when there is none worth using (auth-app's "not cached"). */
  async get(key: string): Promise<string> {
    const value = this.entries.get(key);
    if (value === undefined) return '';
    const expiresAt = Date.parse(value.split('|')[2] ?? '');
    if (Number.isFinite(expiresAt) && expiresAt - this.now() > TOKEN_REFRESH_MARGIN_MS)
      return value;
    this.entries.delete(key);
    return '';
  }

  async set(key: string, value: string): Promise<void> {
    this.entries.set(key, value);
  }
}

const shared = new WeakMap<FetchLike, WeakMap<object, GithubCredentials>>();

/** The credentials of `forge`, one per forge entry (and fetch), so its tokens are reused. */
export function githubCredentialsOf(
  forge: Pick<ForgeConfig, 'apiUrl' | 'token' | 'app'>,
  fetchImpl: FetchLike = fetch,
): GithubCredentials {
  let byForge = shared.get(fetchImpl);
  if (byForge === undefined) {
    byForge = new WeakMap();
    shared.set(fetchImpl, byForge);
  }
  let credentials = byForge.get(forge);
  if (credentials === undefined) {
    credentials = new GithubCredentials(forge, fetchImpl);
    byForge.set(forge, credentials);
  }
  return credentials;
}
