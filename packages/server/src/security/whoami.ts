// GET /$whoami: what the server makes of the caller's own token, as a FHIR Parameters resource. Its
// identity, the roles found in the configured claim (and whether the roles file defines them), the
// actions they allow, whether the object-id allow-list lets it in, and its SMART scopes as read, with
// the patient they keep it to. A caller refused with 403 can see why without the server's logs; a
// token that fails validation still gets only the 401. Any authenticated caller may ask about itself.
import { parseScope, scopeNames, type Resource } from '@hestia/core';
import { ACTIONS, type Action } from './actions.js';
import type { AuthorizationPolicy } from './authorization.js';
import type { Principal } from './principal.js';

export const WHOAMI_PATH = '/$whoami';

type Part = { name: string; [value: `value${string}`]: unknown; part?: Part[] };

/** The actions of the roles file; '*' stands for all of them. */
const NAMED_ACTIONS = ACTIONS.filter((a): a is Exclude<Action, '*'> => a !== '*');

const str = (name: string, value: string | undefined): Part[] => (value === undefined ? [] : [{ name, valueString: value }]);
const codes = (name: string, values: readonly string[] | undefined): Part[] => (values ?? []).map((v) => ({ name, valueCode: v }));

/** The answer when security is off: nobody is authenticated and everything is allowed. */
export function whoamiWithoutSecurity(): Resource {
  return {
    resourceType: 'Parameters',
    parameter: [{ name: 'securityEnabled', valueBoolean: false }, ...NAMED_ACTIONS.map((a) => ({ name: 'action', part: [{ name: 'name', valueCode: a }] }))],
  };
}

export function whoami(policy: AuthorizationPolicy, rolesClaim: string, p: Principal): Resource {
  const allowed = !policy.allowedObjectIds.length || (p.oid !== undefined && policy.allowedObjectIds.includes(p.oid));
  const parameter: Part[] = [
    { name: 'securityEnabled', valueBoolean: true },
    ...str('issuer', p.iss), ...str('subject', p.sub), ...str('objectId', p.oid), ...str('clientId', p.clientId), ...str('name', p.name),
    ...(policy.allowedObjectIds.length ? [{ name: 'objectIdAllowed', valueBoolean: allowed }] : []),
    { name: 'rolesClaim', valueString: rolesClaim },
    ...p.roles.map((role): Part => {
      const def = policy.roles.definition(role);
      return { name: 'role', part: [{ name: 'name', valueString: role }, { name: 'defined', valueBoolean: !!def }, ...codes('action', def?.actions), ...codes('resourceType', def?.resourceTypes)] };
    }),
    ...(allowed ? actionsOf(policy, p.roles) : []),
    { name: 'smartScopesEnforced', valueBoolean: policy.smartScopes },
    ...scopesOf(p.claims.scp ?? p.claims.scope),
    ...(p.patient !== undefined ? [{ name: 'patient', valueReference: { reference: `Patient/${p.patient}` } }] : []),
  ];
  const limit = policy.smartScopes ? p.smartScopes?.limit(p.patient) : undefined;
  if (limit) parameter.push({ name: 'compartment', valueReference: { reference: `${limit.compartment}/${limit.id}` } });
  return { resourceType: 'Parameters', parameter };
}

/** Each action the roles allow, on every type (no resourceType part) or on the types named. */
function actionsOf(policy: AuthorizationPolicy, roles: readonly string[]): Part[] {
  return NAMED_ACTIONS.flatMap((action): Part[] => {
    const granting = roles.map((r) => policy.roles.definition(r)).filter((d) => d && (d.actions.includes('*') || d.actions.includes(action)));
    if (!granting.length) return [];
    const everyType = granting.some((d) => !d!.resourceTypes);
    const types = everyType ? [] : [...new Set(granting.flatMap((d) => d!.resourceTypes!))].sort();
    return [{ name: 'action', part: [{ name: 'name', valueCode: action }, ...codes('resourceType', types)] }];
  });
}

/** Each scope of the token: the SMART resource scopes with what they grant, the others as not read. */
function scopesOf(claim: unknown): Part[] {
  return scopeNames(claim).map((name): Part => {
    const s = parseScope(name);
    if (!s) return { name: 'scope', part: [{ name: 'value', valueString: name }, { name: 'note', valueString: 'not a SMART resource scope' }] };
    const perms = ['c', 'r', 'u', 'd', 's'].filter((x) => s.permissions.has(x as never)).join('');
    return {
      name: 'scope',
      part: [
        { name: 'value', valueString: name }, { name: 'level', valueCode: s.level }, { name: 'resourceType', valueCode: s.type },
        perms ? { name: 'permissions', valueString: perms } : { name: 'note', valueString: 'grants nothing: Hestia cannot apply the search restrictions of a v2 scope' },
      ],
    };
  });
}
