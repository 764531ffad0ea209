// The credential a pipeline step sends: STORYFLOW_TOKEN, or the runner's OIDC id token
// (GitHub Actions: requested from ACTIONS_ID_TOKEN_REQUEST_URL; GitLab CI: an `id_tokens`
// variable), so the pipeline stores no secret.

type Env = Record<string, string | undefined>;

export interface CredentialOptions {
  token?: string;
  /** Use the runner's OIDC id token with this audience. */
  oidcAudience?: string;
  /** GitLab: the name of the id_tokens variable (default STORYFLOW_ID_TOKEN). */
  oidcVariable?: string;
}

export async function resolveCredential(
  env: Env,
  options: CredentialOptions,
): Promise<string | undefined> {
  if (options.token) return options.token;
  const audience = options.oidcAudience ?? env.STORYFLOW_OIDC_AUDIENCE;
  if (audience === undefined || audience === '') return env.STORYFLOW_TOKEN || undefined;
  const gitlabVariable = options.oidcVariable ?? 'STORYFLOW_ID_TOKEN';
  const fromVariable = env[gitlabVariable];
  if (fromVariable) return fromVariable;
  const requestUrl = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const requestToken = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (requestUrl && requestToken) {
    const url = new URL(requestUrl);
    url.searchParams.set('audience', audience);
    const response = await fetch(url, {
      headers: { authorization: `Bearer ${requestToken}`, accept: 'application/json' },
      signal: AbortSignal.timeout(15_000),
    });
    if (!response.ok)
      throw new Error(
        `the runner refused an OIDC id token (${response.status}); does the job have "permissions: id-token: write"?`,
      );
    const body = (await response.json()) as { value?: unknown };
    if (typeof body.value !== 'string') throw new Error('the runner answered without an id token');
    return body.value;
  }
  throw new Error(
    `no OIDC id token: on GitHub Actions give the job "permissions: id-token: write"; on GitLab CI declare id_tokens: ${gitlabVariable}: aud: ${audience}`,
  );
}
