// What a 401 or 403 means for the person reading a CLI or CI log: no credential, a credential
// that is not (or no longer) valid, or a valid one that may not do this (RFC 6750).

/**
 * A sentence to add after the server's own detail, or undefined for other statuses.
 * @example describeAuthRefusal(401, false) // 'no token was sent: set STORYFLOW_TOKEN or pass --token'
 */
export function describeAuthRefusal(
  status: number,
  tokenSent: boolean,
  howToSend = 'set STORYFLOW_TOKEN or pass --token',
): string | undefined {
  if (status === 401) {
    return tokenSent
      ? 'the token is not valid (unknown, revoked or expired): use another one, e.g. from `storyflow token create`'
      : `no token was sent: ${howToSend}`;
  }
  if (status === 403) {
    return 'the token is valid but lacks the scope or repository this needs: use a token that has it';
  }
  return undefined;
}
