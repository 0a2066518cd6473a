// OpenID Connect token validation: the authority's metadata gives the issuer and the keys (JWKS);
// tokens must be signed by one of those keys with an asymmetric algorithm, come from that issuer, be
// meant for one of the configured audiences and be within their lifetime (give or take the skew).
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';

/** Public-key algorithms only: `none` and HMAC (HS*, which a public key could forge) are refused. */
export const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

export interface OidcSettings {
  authority: string;
  audiences: string[];
  clockSkewSeconds: number;
  /** Least time between two JWKS fetches caused by tokens naming an unknown key id. */
  jwksCooldownSeconds: number;
}

/** The authority could not be asked (unreachable, bad metadata): a problem of the server, not of the token. */
export class DiscoveryError extends Error {}

interface Discovered {
  issuers: string[];
  keys: JWTVerifyGetKey;
  /** The discovery document as the authority published it. */
  metadata: Record<string, unknown>;
}

const WELL_KNOWN = '/.well-known/openid-configuration';
const HTTP_TIMEOUT_MS = 10_000;
/** After a failed discovery, requests fail at once for this long before the next try. */
const DISCOVERY_RETRY_MS = 5_000;

export class OidcVerifier {
  private discovery?: { at: number; failed: boolean; result: Promise<Discovered> };

  constructor(private readonly settings: OidcSettings) {}

  /** The authority's metadata, fetched once (and again after a failure, at most every few seconds). */
  discover(): Promise<Discovered> {
    const d = this.discovery;
    if (!d || (d.failed && Date.now() - d.at >= DISCOVERY_RETRY_MS)) {
      const entry = { at: Date.now(), failed: false, result: undefined as unknown as Promise<Discovered> };
      entry.result = this.fetchMetadata().catch((e: unknown) => {
        entry.failed = true;
        entry.at = Date.now();
        throw e instanceof DiscoveryError ? e : new DiscoveryError(`OpenID Connect discovery failed: ${(e as Error).message}`);
      });
      this.discovery = entry;
    }
    return this.discovery!.result;
  }

  /**
   * Fetches the metadata ahead of the first request. A failure is not held against the requests that
   * follow (the next one tries again at once): at startup the event loop may be too busy for a
   * connection to complete in time.
   */
  async prefetch(): Promise<void> {
    const entry = (this.discover(), this.discovery!);
    try {
      await entry.result;
    } catch (e) {
      if (this.discovery === entry) this.discovery = undefined;
      throw e;
    }
  }

  /** The token's claims when it is valid; throws (jose's errors, or DiscoveryError) otherwise. */
  async verify(token: string): Promise<JWTPayload> {
    const { issuers, keys } = await this.discover();
    const { payload } = await jwtVerify(token, keys, {
      issuer: issuers,
      audience: this.settings.audiences,
      clockTolerance: this.settings.clockSkewSeconds,
      algorithms: ASYMMETRIC_ALGORITHMS,
      requiredClaims: ['exp'],
    });
    return payload;
  }

  private async fetchMetadata(): Promise<Discovered> {
    const authority = this.settings.authority.replace(/\/+$/, '');
    const url = authority.endsWith(WELL_KNOWN) ? authority : authority + WELL_KNOWN;
    const res = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
    if (!res.ok) throw new DiscoveryError(`OpenID Connect discovery failed: ${url} answered ${res.status}.`);
    const doc = (await res.json().catch(() => undefined)) as { issuer?: unknown; jwks_uri?: unknown; [k: string]: unknown } | undefined;
    if (typeof doc?.issuer !== 'string' || typeof doc.jwks_uri !== 'string' || !URL.canParse(doc.jwks_uri)) {
      throw new DiscoveryError(`OpenID Connect discovery failed: ${url} has no issuer or jwks_uri.`);
    }
    if (doc.issuer.includes('{tenantid}')) {
      throw new DiscoveryError(`OpenID Connect discovery failed: ${url} is a multi-tenant Azure AD endpoint; use the authority of one tenant.`);
    }
    const keys = createRemoteJWKSet(new URL(doc.jwks_uri), {
      cooldownDuration: this.settings.jwksCooldownSeconds * 1000,
      timeoutDuration: HTTP_TIMEOUT_MS,
    });
    return { issuers: acceptedIssuers(doc.issuer), keys, metadata: doc };
  }
}

/**
 * The issuers accepted for a discovered one. Azure AD signs v1.0 and v2.0 access tokens with the same
 * keys but names itself differently in each, and which version a client gets depends on the API's
 * registration, not on the metadata used here: accept both forms of the same tenant.
 */
export function acceptedIssuers(issuer: string): string[] {
  const v2 = /^https:\/\/login\.microsoftonline\.com\/([0-9a-f-]{36})\/v2\.0\/?$/i.exec(issuer);
  if (v2) return [issuer, `https://sts.windows.net/${v2[1]}/`];
  const v1 = /^https:\/\/sts\.windows\.net\/([0-9a-f-]{36})\/?$/i.exec(issuer);
  if (v1) return [issuer, `https://login.microsoftonline.com/${v1[1]}/v2.0`];
  return [issuer];
}

/** Why a token was refused, for the application log: jose's error code and message (they never hold the token). */
export function refusalReason(e: unknown): string {
  if (!(e instanceof errors.JOSEError)) return (e as Error)?.message ?? String(e);
  const claim = (e as { claim?: unknown }).claim;
  return `${e.code}: ${e.message}${typeof claim === 'string' ? ` (claim ${claim})` : ''}`;
}

/** jose errors that come from fetching the keys, not from the token. */
const SERVER_SIDE_CODES = new Set(['ERR_JOSE_GENERIC', 'ERR_JWKS_TIMEOUT', 'ERR_JWKS_INVALID']);

/** Failures caused by the token itself, as opposed to the server failing to reach the authority or its keys. */
export function isTokenProblem(e: unknown): boolean {
  return e instanceof errors.JOSEError && !SERVER_SIDE_CODES.has(e.code);
}
