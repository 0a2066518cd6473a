// Authentication: a passport strategy that takes the bearer token from the Authorization header and
// validates it with the OIDC verifier. Refusals are a 401 with the seed's OperationOutcome and a
// WWW-Authenticate challenge; the reason goes to the application log only.
import type { Request, RequestHandler } from 'express';
import passport from 'passport';
import CustomStrategy from 'passport-custom';
import { FhirError } from '@hestia/core';
import { appLogger } from '../observability/index.js';
import { isAnonymous } from './anonymous.js';
import { isTokenProblem, refusalReason, type OidcVerifier } from './oidc.js';
import { principalFrom, type Principal } from './principal.js';

const STRATEGY = 'oidc-bearer';
export const REALM = 'hestia';

/** RFC 6750 error codes: none when no bearer token was offered at all. */
type Challenge = { error?: 'invalid_request' | 'invalid_token' };

/** The token of an `Authorization: Bearer <token>` header, or the challenge for a missing or malformed one. */
export function bearerToken(header: string | undefined): { token: string } | Challenge {
  const m = /^(\S+)(?:[ \t]+(.*))?$/.exec(header?.trim() ?? '');
  if (!m || m[1].toLowerCase() !== 'bearer') return {};
  const token = m[2]?.trim() ?? '';
  return /^[A-Za-z0-9\-._~+/]+=*$/.test(token) ? { token } : { error: 'invalid_request' };
}

export function wwwAuthenticate(challenge: Challenge | undefined): string {
  return `Bearer realm="${REALM}"${challenge?.error ? `, error="${challenge.error}"` : ''}`;
}

export function authenticationFailed(): FhirError {
  return new FhirError(401, 'login', 'Authentication failed.');
}

function bearerStrategy(verifier: OidcVerifier, rolesClaim: string): passport.Strategy {
  return new CustomStrategy((req: Request, done) => {
    const found = bearerToken(req.get('authorization'));
    if (!('token' in found)) {
      appLogger.warn(`Authentication failed: ${found.error ? 'malformed Authorization header' : 'no bearer token'}.`);
      return done(null, false, found);
    }
    verifier.verify(found.token).then(
      (claims) => done(null, principalFrom(claims, rolesClaim)),
      (e: unknown) => {
        if (isTokenProblem(e)) appLogger.warn(`Authentication failed: ${refusalReason(e)}`);
        else appLogger.error(`Authentication failed: the token could not be checked: ${refusalReason(e)}`);
        done(null, false, { error: 'invalid_token' } satisfies Challenge);
      },
    );
  });
}

/** Middleware: anonymous requests pass; any other needs a valid bearer token, whose principal goes on req.user. */
export function bearerAuthentication(verifier: OidcVerifier, rolesClaim: string): RequestHandler {
  const authenticator = new passport.Passport();
  authenticator.use(STRATEGY, bearerStrategy(verifier, rolesClaim));
  return (req, res, next) => {
    if (isAnonymous(req)) return next();
    const run = authenticator.authenticate(STRATEGY, { session: false }, (err: unknown, user: Principal | false, challenge?: Challenge) => {
      if (err || !user) {
        res.setHeader('WWW-Authenticate', wwwAuthenticate(challenge));
        return next(authenticationFailed());
      }
      req.user = user;
      next();
    }) as RequestHandler;
    run(req, res, next);
  };
}
