// Verifies CI id tokens (JWTs) against each trusted issuer's JWKS with jose, then maps their
// claims to a principal by the configured policies.
import { createRemoteJWKSet, type JWTVerifyGetKey, errors as joseErrors, jwtVerify } from 'jose';
import { type OidcPolicy, principalFromOidcClaims } from '../../domain/auth/oidc-policy.js';
import type { Principal } from '../../domain/auth/principal.js';

export interface OidcIssuer {
  issuer: string;
  audience: readonly string[];
  /** Default: `<issuer>/.well-known/jwks`. */
  jwksUri?: string;
}

export type OidcFailure =
  | 'untrusted-issuer'
  | 'invalid-token'
  | 'expired'
  | 'wrong-audience'
  | 'no-matching-policy';

export interface OidcResult {
  principal?: Principal;
  failure?: OidcFailure;
  detail?: string;
}

/** Allowed clock difference between storyflow and the issuer, in seconds. */
const CLOCK_TOLERANCE_SECONDS = 30;

export class OidcVerifier {
  private readonly keySets = new Map<string, JWTVerifyGetKey>();

  constructor(
    private readonly issuers: readonly OidcIssuer[],
    private readonly policies: readonly OidcPolicy[],
    private readonly now: () => Date = () => new Date(),
  ) {}

  get enabled(): boolean {
    return this.issuers.length > 0;
  }

  async verify(jwt: string): Promise<OidcResult> {
    const issuerClaim = unverifiedIssuer(jwt);
    const issuer = this.issuers.find((candidate) => candidate.issuer === issuerClaim);
    if (issuer === undefined) {
      return { failure: issuerClaim === undefined ? 'invalid-token' : 'untrusted-issuer' };
    }
    try {
      const { payload } = await jwtVerify(jwt, this.keySet(issuer), {
        issuer: issuer.issuer,
        audience: [...issuer.audience],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: this.now(),
        // A token without exp would never expire; without iat its age is unknown. GitHub and
        // GitLab always set both.
        requiredClaims: ['exp', 'iat'],
        algorithms: ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'PS256'],
      });
      const principal = principalFromOidcClaims(issuer.issuer, payload, this.policies);
      return principal === undefined ? { failure: 'no-matching-policy' } : { principal };
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) return { failure: 'expired' };
      if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'aud') {
        return { failure: 'wrong-audience' };
      }
      return { failure: 'invalid-token', detail: (error as Error).message };
    }
  }

  private keySet(issuer: OidcIssuer): JWTVerifyGetKey {
    let keySet = this.keySets.get(issuer.issuer);
    if (keySet === undefined) {
      const uri = issuer.jwksUri ?? `${issuer.issuer.replace(/\/$/, '')}/.well-known/jwks`;
      // jose caches the keys and refetches (rate-limited) when a token names an unknown kid.
      keySet = createRemoteJWKSet(new URL(uri), { cooldownDuration: 30_000, cacheMaxAge: 600_000 });
      this.keySets.set(issuer.issuer, keySet);
    }
    return keySet;
  }
}

/** The `iss` of a JWT before verification, only to pick which issuer's keys to verify with. */
function unverifiedIssuer(jwt: string): string | undefined {
  const payload = jwt.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
      iss?: unknown;
    };
    return typeof claims.iss === 'string' ? claims.iss : undefined;
  } catch {
    return undefined;
  }
}

export function looksLikeJwt(credential: string): boolean {
  return /^[\w-]+\.[\w-]+\.[\w-]*$/.test(credential);
}
