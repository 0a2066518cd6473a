// Authorization: each route (and each bundle entry's route) against the caller's roles, its token's
// SMART scopes (core's SmartScopes) and, when configured, the allowed object ids; and the compartment
// patient-level scopes keep the caller in. Refusals name the missing action or permission, never
// whether a resource exists.
import { forbidden, type Authorizer, type CompartmentLimit, type Route } from '@hestia/core';
import { actionFor, routeTypes } from './actions.js';
import type { Principal } from './principal.js';
import type { RoleSet } from './roles.js';

export interface AuthorizationPolicy {
  roles: RoleSet;
  /** Empty: any object id. */
  allowedObjectIds: readonly string[];
  /** Whether a token's SMART scopes narrow what its roles allow (config security.smartScopes). */
  smartScopes: boolean;
}

/** The authorizer for one caller; `principal` undefined: an anonymous request (the capability statement only). */
export function authorizerFor(policy: AuthorizationPolicy, principal: Principal | undefined): Authorizer {
  return (route: Route) => {
    if (route.interaction === 'capabilities') return;
    if (!principal) throw forbidden('This request needs an authenticated caller.');
    if (policy.allowedObjectIds.length && !(principal.oid && policy.allowedObjectIds.includes(principal.oid))) {
      throw forbidden("The caller's object ID is not allowed to use this server.");
    }
    const action = actionFor(route);
    if (action === null) return;
    if (!policy.roles.allows(principal.roles, action, () => routeTypes(route))) {
      const types = routeTypes(route);
      throw forbidden(`The caller's roles do not allow the action '${action}'${types ? ` on ${types.join(', ')}` : ''}.`);
    }
    const refusal = policy.smartScopes ? principal.smartScopes?.refusal(route, principal.patient) : undefined;
    if (refusal) throw forbidden(refusal);
    if (action === 'subscribe' && limitFor(policy, principal)) {
      throw forbidden("A caller kept to one patient's compartment may not manage Subscriptions: their notifications would reach beyond it.");
    }
  };
}

/** The compartment a caller's patient-level SMART scopes keep it in, if any. */
export function limitFor(policy: AuthorizationPolicy, principal: Principal | undefined): CompartmentLimit | undefined {
  return policy.smartScopes ? principal?.smartScopes?.limit(principal.patient) : undefined;
}
