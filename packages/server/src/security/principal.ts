// The authenticated caller, as put on req.user for authorization, audit and SMART.
import type { Request } from 'express';
import type { JWTPayload } from 'jose';
import { ID_RE, SmartScopes } from '@hestia/core';

export interface Principal {
  /** Subject. */
  sub?: string;
  /** Object id (Azure AD's `oid` claim). */
  oid?: string;
  /** Issuer. */
  iss?: string;
  /** Role names from the configured roles claim. */
  roles: string[];
  /** The client application: appid (Azure AD v1), azp (v2, OIDC) or client_id (RFC 9068). */
  clientId?: string;
  /** A display name: name, preferred_username, upn or unique_name. */
  name?: string;
  /** The token's SMART resource scopes (claim `scp`, Azure AD, or `scope`); undefined when it has none. */
  smartScopes?: SmartScopes;
  /** The patient in context: the `patient` claim, or a `fhirUser` that names a Patient. */
  patient?: string;
  /** Every claim of the token. */
  claims: Record<string, unknown>;
}

/** A stable key for the caller (issuer and object id or subject); '' for anonymous requests. */
export function callerKey(p: Principal | undefined): string {
  return p ? `${p.iss ?? ''}#${p.oid ?? p.sub ?? ''}` : '';
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export function principalFrom(claims: JWTPayload, rolesClaim: string): Principal {
  return {
    sub: str(claims.sub),
    oid: str(claims.oid),
    iss: str(claims.iss),
    roles: rolesFrom(claims, rolesClaim),
    clientId: str(claims.appid) ?? str(claims.azp) ?? str(claims.client_id),
    name: str(claims.name) ?? str(claims.preferred_username) ?? str(claims.upn) ?? str(claims.unique_name),
    smartScopes: SmartScopes.fromToken(claims.scp ?? claims.scope),
    patient: patientOf(claims),
    claims: { ...claims },
  };
}

/** `fhirUser` as a relative or absolute reference to a Patient. */
const PATIENT_USER = /(?:^|\/)Patient\/([A-Za-z0-9\-.]{1,64})$/;

function patientOf(claims: JWTPayload): string | undefined {
  const patient = str(claims.patient);
  if (patient !== undefined) return ID_RE.test(patient) ? patient : undefined;
  return PATIENT_USER.exec(str(claims.fhirUser) ?? '')?.[1];
}

/** Roles from a claim holding an array of names or a space-separated string; `a.b` also finds nested claims. */
export function rolesFrom(claims: Record<string, unknown>, claim: string): string[] {
  let value: unknown = claims[claim];
  if (value === undefined && claim.includes('.')) {
    value = claim.split('.').reduce<unknown>((obj, key) => (obj && typeof obj === 'object' ? (obj as Record<string, unknown>)[key] : undefined), claims);
  }
  if (typeof value === 'string') return value.split(' ').filter((r) => r !== '');
  if (Array.isArray(value)) return value.filter((r): r is string => typeof r === 'string');
  return [];
}

/** The principal of an authenticated request; undefined for anonymous ones. */
export function principalOf(req: Request): Principal | undefined {
  return (req as { user?: Principal }).user;
}
