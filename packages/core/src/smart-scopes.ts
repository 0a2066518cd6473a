// SMART on FHIR scopes (App Launch v1 and v2, https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html):
// what a token's clinical scopes let a request do. v1 `read`/`write`/`*` and v2 `cruds` permissions,
// levels patient/user/system, a type or `*`. Azure AD cannot carry `/` in scope names, so its form
// `patient.Observation.read` (`all` for `*`, as the SMART proxy writes them) is read too.
// Patient-level scopes reach only the launch patient's compartment (compartment.ts).
import type { CompartmentLimit } from './compartment.js';
import { routeTypeSets, type Route } from './router.js';

export type ScopeLevel = 'patient' | 'user' | 'system';
export type ScopePermission = 'c' | 'r' | 'u' | 'd' | 's';

export interface ResourceScope {
  level: ScopeLevel;
  /** A resource type or '*'. */
  type: string;
  /** Empty for a v2 scope with search restrictions (`?category=…`), which Hestia cannot apply: it grants nothing. */
  permissions: ReadonlySet<ScopePermission>;
}

const SCOPE = /^(patient|user|system)[/.]([A-Za-z]+|\*)\.([a-z*]+)(\?.*)?$/;
const V1: Record<string, string> = { read: 'rs', write: 'cud', '*': 'cruds' };
const V2 = /^c?r?u?d?s?$/;

/** One scope, or undefined when it is not a SMART resource scope (openid, launch, fhirUser, offline_access …). */
export function parseScope(scope: string): ResourceScope | undefined {
  const m = SCOPE.exec(scope);
  if (!m) return undefined;
  const [, level, type, perms, query] = m;
  const letters = V1[perms] ?? (V2.test(perms) && perms !== '' ? perms : undefined);
  if (letters === undefined) return undefined;
  return { level: level as ScopeLevel, type: type === 'all' ? '*' : type, permissions: new Set(query ? [] : ([...letters] as ScopePermission[])) };
}

/** The scope names of a token's `scope` or `scp` claim: a space-separated string or a list. */
export function scopeNames(claim: unknown): string[] {
  if (typeof claim === 'string') return claim.split(' ').filter((s) => s !== '');
  return Array.isArray(claim) ? claim.filter((s): s is string => typeof s === 'string') : [];
}

/** The permissions an interaction needs on its own types (its criteria's other types need `s`); null: none (a bundle's entries are checked one by one). */
export function permissionsFor(route: Route): ScopePermission[] | null {
  switch (route.interaction) {
    case 'capabilities': case 'batch': case 'transaction': return null;
    case 'read': case 'vread': case 'history-instance': return ['r'];
    case 'search-type': case 'search-system': case 'search-compartment': case 'history-type': case 'history-system': return ['s'];
    case 'create': return ['c'];
    case 'update': case 'patch': case 'conditional-update': case 'conditional-patch': return ['u'];
    case 'delete': case 'conditional-delete': case 'hard-delete': return ['d'];
    case 'operation':
      switch (route.operation) {
        case 'validate': case 'meta': case 'expand': case 'lookup': case 'validate-code': return ['r'];
        case 'meta-add': case 'meta-delete': return ['u'];
        case 'export': case 'export-status': case 'export-cancel': case 'export-download': case 'everything': return ['r', 's'];
        default: return ['c', 'r', 'u', 'd', 's'];
      }
  }
}

/** The SMART resource scopes of a token, and what they allow. */
export class SmartScopes {
  private constructor(readonly scopes: readonly ResourceScope[]) {}

  /** The scopes of a token (`scope` or `scp` claim: a space-separated string or a list); undefined when none is a SMART resource scope. */
  static fromToken(scope: unknown): SmartScopes | undefined {
    const scopes = scopeNames(scope).map(parseScope).filter((s): s is ResourceScope => !!s);
    return scopes.length ? new SmartScopes(scopes) : undefined;
  }

  /** The permissions scopes of these levels grant on `type` (a type scope and the `*` scopes together). */
  private granted(type: string, levels: readonly ScopeLevel[]): Set<ScopePermission> {
    const out = new Set<ScopePermission>();
    for (const s of this.scopes) if (levels.includes(s.level) && (s.type === '*' || s.type === type)) for (const p of s.permissions) out.add(p);
    return out;
  }

  /**
   * Why the scopes refuse `route`, or undefined when they allow it. Patient-level scopes count only
   * with a patient (`patient`: the token's launch patient).
   */
  refusal(route: Route, patient: string | undefined): string | undefined {
    const perms = permissionsFor(route);
    if (!perms) return undefined;
    const { own, reads } = routeTypeSets(route);
    const needs: [string, ScopePermission[]][] = [...(own ?? ['*']).map((t): [string, ScopePermission[]] => [t, perms]), ...(reads ?? ['*']).map((t): [string, ScopePermission[]] => [t, ['s']])];
    const levels: ScopeLevel[] = patient === undefined ? ['user', 'system'] : ['patient', 'user', 'system'];
    for (const [type, needed] of needs) {
      const granted = this.granted(type, levels);
      const missing = needed.filter((p) => !granted.has(p));
      if (!missing.length) continue;
      const what = `'${missing.join('')}' on ${type === '*' ? 'every resource type' : type}`;
      const patientLevel = patient === undefined ? this.granted(type, ['patient']) : undefined;
      if (patientLevel && missing.every((p) => patientLevel.has(p))) {
        return `The token's patient-level scopes allow ${what} only with a patient context, and the token names no patient (claim 'patient', or 'fhirUser' naming a Patient).`;
      }
      return `The token's SMART scopes do not allow ${what}.`;
    }
    return undefined;
  }

  /**
   * The limit patient-level scopes put on a caller: a type they grant anything on that user- or
   * system-level scopes do not is reached only inside Patient/<patient>, for every interaction.
   * Undefined without a patient or patient-level scopes.
   */
  limit(patient: string | undefined): CompartmentLimit | undefined {
    if (patient === undefined || !this.scopes.some((s) => s.level === 'patient' && s.permissions.size)) return undefined;
    const covers = (type: string) => {
      const wider = this.granted(type, ['user', 'system']);
      return [...this.granted(type, ['patient'])].some((p) => !wider.has(p));
    };
    return { compartment: 'Patient', id: patient, covers };
  }
}
