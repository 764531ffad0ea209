// Helpers for the console's HTTP tests: a browser's cookie and form posts, over real HTTP.

export interface ConsoleClient {
  cookie: string;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  post(
    path: string,
    form: Record<string, string>,
    headers?: Record<string, string>,
  ): Promise<Response>;
  /** The CSRF token the pages of this session carry. */
  csrf(): Promise<string>;
}

export function setCookieOf(response: Response): string {
  return response.headers.get('set-cookie') ?? '';
}

export async function signIn(baseUrl: string, token: string): Promise<ConsoleClient> {
  const response = await postForm(baseUrl, '/sign-in', { token }, '');
  if (response.status !== 303) throw new Error(`sign-in answered ${response.status}`);
  const cookie = (setCookieOf(response).split(';')[0] ?? '').trim();
  return clientWith(baseUrl, cookie);
}

export function clientWith(baseUrl: string, cookie: string): ConsoleClient {
  const client: ConsoleClient = {
    cookie,
    get: (path, headers = {}) =>
      fetch(`${baseUrl}${path}`, { headers: { cookie, ...headers }, redirect: 'manual' }),
    post: (path, form, headers = {}) => postForm(baseUrl, path, form, cookie, headers),
    async csrf() {
      const page = await (await client.get('/')).text();
      const match = /data-csrf="([^"]+)"/.exec(page);
      if (match?.[1] === undefined) throw new Error('no CSRF token on the board');
      return match[1];
    },
  };
  return client;
}

export function postForm(
  baseUrl: string,
  path: string,
  form: Record<string, string>,
  cookie: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, ...headers },
    body: new URLSearchParams(form).toString(),
    redirect: 'manual',
  });
}
