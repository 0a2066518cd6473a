// Compartments (https://hl7.org/fhir/R4/compartmentdefinition.html): which resources belong to one
// compartment (Patient/123), as a search condition and as a check of one resource. Compartment
// searches use them, and so does a caller whose access is limited to one compartment (SMART
// patient-level scopes, smart-scopes.ts).
import type { FhirDefinitions } from './definitions.js';
import type { Indexer } from './search/indexer.js';
import type { SearchExpr } from './search/expression.js';
import type { Resource } from './types.js';

/** A caller's access limited, for some types, to the resources of one compartment. */
export interface CompartmentLimit {
  /** The compartment type ('Patient') and the id of its focal resource. */
  compartment: string;
  id: string;
  /** Whether resources of this type are limited to the compartment (other types are not). */
  covers(type: string): boolean;
}

/** The reference parameters of `type` that put its resources in a `compartment` ('{def}', the focal resource itself, excluded). */
function memberParams(defs: FhirDefinitions, compartment: string, type: string): string[] {
  return defs.compartmentParams(compartment, type).filter((code) => code !== '{def}');
}

/** One condition per compartment parameter of `type`: it references compartment/id. */
export function memberReferences(defs: FhirDefinitions, compartment: string, id: string, type: string): SearchExpr[] {
  return memberParams(defs, compartment, type)
    .map((code) => ({ kind: 'value', param: { code, type: 'reference' }, predicate: { type: 'reference', targetType: compartment, targetId: id } }));
}

/**
 * The search condition for resources of `type` in compartment/id: the focal resource by its id,
 * others by any of their compartment parameters; undefined when `type` has no place in it.
 */
export function membership(defs: FhirDefinitions, compartment: string, id: string, type: string): SearchExpr | undefined {
  if (type === compartment) return { kind: 'id', ids: [id] };
  const exprs = memberReferences(defs, compartment, id, type);
  if (!exprs.length) return undefined;
  return exprs.length === 1 ? exprs[0] : { kind: 'or', exprs };
}

/**
 * What a limit adds to a search over `types`: each covered type with a place in the compartment is
 * narrowed to its members; undefined when nothing is narrowed. (Types with no place in the
 * compartment, e.g. Medication for Patient, hold nobody's data and stay whole.)
 */
export function limitFilter(defs: FhirDefinitions, limit: CompartmentLimit, types: readonly string[]): SearchExpr | undefined {
  // Types whose members are found the same way share one branch (the Patient compartment's 66 types make 24).
  const branches = new Map<string, { types: string[]; member?: SearchExpr }>();
  for (const t of types) {
    const member = limit.covers(t) ? membership(defs, limit.compartment, limit.id, t) : undefined;
    const key = member ? JSON.stringify(member) : '';
    const branch = branches.get(key);
    if (branch) branch.types.push(t);
    else branches.set(key, { types: [t], member });
  }
  const list = [...branches.values()];
  if (!list.some((b) => b.member)) return undefined;
  if (list.length === 1) return list[0].member;
  return {
    kind: 'or',
    exprs: list.map(({ types: group, member }): SearchExpr => (member ? { kind: 'and', exprs: [{ kind: 'type', types: group }, member] } : { kind: 'type', types: group })),
  };
}

/** Whether a limit narrows `type`: it covers the type, and the type has a place in the compartment. */
export function narrows(defs: FhirDefinitions, limit: CompartmentLimit, type: string): boolean {
  return limit.covers(type) && (type === limit.compartment || memberParams(defs, limit.compartment, type).length > 0);
}

/** Whether a caller under `limit` may reach `resource`: the same rule as limitFilter, for one resource in hand. */
export function withinLimit(defs: FhirDefinitions, indexer: Indexer, limit: CompartmentLimit, resource: Resource): boolean {
  const type = resource.resourceType;
  if (!narrows(defs, limit, type)) return true;
  if (type === limit.compartment) return resource.id === limit.id;
  return memberParams(defs, limit.compartment, type).some((code) => indexer.valuesOf(resource, code).some((v) => v.type === 'reference' && v.targetType === limit.compartment && v.targetId === limit.id));
}
