// Security layer: CORS, authentication (OpenID Connect bearer tokens) and role-based authorization.
import type { Express, Request, RequestHandler } from 'express';
import { definitions, forbidden, type Authorizer, type CompartmentLimit } from '@hestia/core';
import { audiencesOf, type HestiaConfig } from '../config.js';
import { appLogger } from '../observability/index.js';
import { authorizerFor, limitFor } from './authorization.js';
import { bearerAuthentication } from './bearer.js';
import { corsMiddleware } from './cors.js';
import { OidcVerifier } from './oidc.js';
import { principalOf } from './principal.js';
import { loadRoles } from './roles.js';
import { SMART_CONFIGURATION_PATH, smartConfigurationHandler } from './smart.js';
import { SMART_PROXY_PATH, mountSmartProxy } from './smart-proxy.js';
import { requestBaseUrl, sendResource } from '../app.js';
import { WHOAMI_PATH, whoami, whoamiWithoutSecurity } from './whoami.js';

export type { Principal } from './principal.js';
export { principalOf, callerKey } from './principal.js';

export interface SecurityLayer {
  /** Middleware run before the FHIR handler (CORS, authentication). */
  middleware: RequestHandler[];
  /** The authorizer for a request's interactions (undefined: everything allowed). */
  authorizerFor?: (req: Request) => Authorizer | undefined;
  /** The compartment a request's caller is kept in (SMART patient-level scopes), if any. */
  limitFor?: (req: Request) => CompartmentLimit | undefined;
  /** Routes answered before the FHIR handler (the SMART configuration, when security is on). */
  routes(app: Express): void;
  /** Middleware that lets through only authenticated callers whose token carries `role` (everyone when security is off). */
  requireRole(role: string): RequestHandler;
  /** Starts fetching what requests will need (the authority's metadata), once the server is otherwise ready. */
  warmUp?: () => void;
  close?: () => Promise<void>;
}

export async function createSecurity(config: HestiaConfig): Promise<SecurityLayer> {
  const cors = corsMiddleware(config.cors);
  const middleware = cors ? [cors] : [];
  const s = config.security;
  const defs = definitions(config.fhirVersion);
  if (!s.enabled) {
    appLogger.warn('Security is disabled: every request is served without authentication or authorization. Set security.enabled (HESTIA_SECURITY_ENABLED=true) with an authority and an audience to protect this server.');
    return {
      middleware,
      routes: (app) => app.get(WHOAMI_PATH, (req, res) => sendResource(req, res, defs, whoamiWithoutSecurity())),
      requireRole: () => (_req, _res, next) => next(),
    };
  }
  const roles = loadRoles(s.rolesFile, (t) => defs.isResourceType(t));
  const verifier = new OidcVerifier({
    authority: s.authority,
    audiences: audiencesOf(s),
    clockSkewSeconds: s.clockSkewSeconds,
    jwksCooldownSeconds: s.jwksCooldownSeconds,
  });
  const policy = { roles, allowedObjectIds: s.allowedObjectIds, smartScopes: s.smartScopes };
  return {
    middleware: [...middleware, bearerAuthentication(verifier, s.rolesClaim)],
    authorizerFor: (req) => authorizerFor(policy, principalOf(req)),
    limitFor: (req) => limitFor(policy, principalOf(req)),
    routes: (app) => {
      const baseUrl = (req: Request) => requestBaseUrl(config, req);
      app.get(WHOAMI_PATH, (req, res) => sendResource(req, res, defs, whoami(policy, s.rolesClaim, principalOf(req)!)));
      app.get(SMART_CONFIGURATION_PATH, smartConfigurationHandler(verifier, s.smartProxy ? (req) => `${baseUrl(req)}${SMART_PROXY_PATH}` : undefined, s.smartScopes));
      if (s.smartProxy) mountSmartProxy(app, { verifier, audience: audiencesOf(s)[0], baseUrl, secret: config.pagingSecret || undefined });
    },
    requireRole: (role) => (req, _res, next) => {
      next(principalOf(req)?.roles.includes(role) ? undefined : forbidden(`This endpoint needs the role '${role}'.`));
    },
    // (not while the storage opens: the embedded database's start blocks the event loop for seconds,
    // which fails a connection in flight; a failure is logged and the next request tries again)
    warmUp: () => void verifier.prefetch().catch((e: Error) => appLogger.warn(`${e.message} (at startup; the next request tries again)`)),
  };
}
