// Ids and secrets are injected (like the clock) so tests can make them predictable.
export interface IdGenerator {
  /** A new unique id with a readable prefix, e.g. `tok_5f2c…`. */
  next(prefix: string): string;
  /** `bytes` random bytes, base64url-encoded, for secrets. */
  secret(bytes: number): string;
}
