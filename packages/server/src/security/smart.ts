// SMART App Launch discovery (https://hl7.org/fhir/smart-app-launch/conformance.html):
// /.well-known/smart-configuration, anonymous, built from the authority's OpenID Connect metadata,
// so that SMART apps find where to authorize and get tokens for this server.
import type { Request, RequestHandler } from 'express';
import { FhirError } from '@hestia/core';
import { appLogger } from '../observability/logger.js';
import type { OidcVerifier } from './oidc.js';

export const SMART_CONFIGURATION_PATH = '/.well-known/smart-configuration';

/** Endpoints and lists taken from the authority's metadata when it has them. */
const FROM_AUTHORITY = [
  'issuer', 'jwks_uri', 'authorization_endpoint', 'token_endpoint', 'token_endpoint_auth_methods_supported', 'grant_types_supported',
  'registration_endpoint', 'scopes_supported', 'response_types_supported', 'introspection_endpoint', 'revocation_endpoint',
  'userinfo_endpoint', 'code_challenge_methods_supported',
];

/**
 * What Hestia itself can claim: the authority runs the launch, Hestia accepts its tokens for
 * standalone apps, public and confidential (shared secret) clients, with OpenID Connect sign-in.
 */
const CAPABILITIES = ['launch-standalone', 'client-public', 'client-confidential-symmetric', 'sso-openid-connect'];

/** The answer when the authority's metadata or endpoints cannot be reached. */
export const authorityUnreachable = () => new FhirError(503, 'transient', 'The authorization server cannot be reached; try again later.');

/** Scopes Hestia enforces itself (config security.smartScopes): v1 and v2 syntax, patient and user level. */
const SCOPE_CAPABILITIES = ['permission-v1', 'permission-v2', 'permission-patient', 'permission-user'];

/** With the SMART proxy, apps also get their launch context (EHR launch) in the token response. */
const PROXY_CAPABILITIES = ['launch-ehr', 'context-ehr-patient', 'context-ehr-encounter'];

/**
 * `proxy`: the SMART proxy's URL (smart-proxy.ts) when it is on: apps authorize and get tokens
 * through it. `scopes`: whether Hestia enforces SMART scopes.
 */
export function smartConfiguration(metadata: Record<string, unknown>, proxy?: string, scopes = false): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of FROM_AUTHORITY) if (metadata[k] !== undefined) out[k] = metadata[k];
  out.grant_types_supported ??= ['authorization_code', 'client_credentials'];
  out.response_types_supported ??= ['code'];
  out.code_challenge_methods_supported ??= ['S256'];
  out.capabilities = [...CAPABILITIES, ...(scopes ? SCOPE_CAPABILITIES : [])];
  if (proxy) {
    out.authorization_endpoint = `${proxy}/authorize`;
    out.token_endpoint = `${proxy}/token`;
    out.capabilities = [...(out.capabilities as string[]), ...PROXY_CAPABILITIES];
  }
  return out;
}

/** The handler; when the authority cannot be reached, a 503 OperationOutcome (the app's error handler writes it). */
export function smartConfigurationHandler(verifier: OidcVerifier, proxyFor?: (req: Request) => string, scopes = false): RequestHandler {
  return async (req, res, next) => {
    try {
      const { metadata } = await verifier.discover();
      res.status(200).type('application/json').send(JSON.stringify(smartConfiguration(metadata, proxyFor?.(req), scopes)));
    } catch (e) {
      appLogger.error((e as Error).message);
      next(authorityUnreachable());
    }
  };
}
