// Patient/[id]/$everything (http://hl7.org/fhir/OperationDefinition/Patient-everything): the
// patient, the resources of its compartment, and the resources they refer to that hold no
// patient's data (practitioners, organizations, medications, locations …), as a searchset bundle
// paged like a search. The matches are the patient and what `Patient/[id]/*` finds: resources that
// refer to it through any of the compartment's parameters (one condition for all types, which
// every adapter answers quickly). What _include adds is held to the compartment exactly, as for a
// caller limited to the patient (compartment.ts): no other patient's data comes along. `start` and
// `end` (care dates) hold the compartment's resources to those whose clinical date (the `date`
// parameter: an observation's effective time, an encounter's period …) overlaps them; resources
// without one, of any type, stay in, since nothing tells when their care was.
import type { Ctx, FhirEngine } from './engine.js';
import { badRequest, forbidden, methodNotAllowed, notFound } from './errors.js';
import { dateTest } from './search/parse.js';
import { dateRange } from './search/values.js';
import type { FhirRequest, FhirResponse, Route } from './router.js';
import { operationInput, textInput } from './operation-input.js';
import { memberReferences } from './compartment.js';
import type { RangeTest, SearchExpr } from './search/expression.js';
import type { StoredVersion } from './persistence.js';

export const EVERYTHING_DEFINITION = 'http://hl7.org/fhir/OperationDefinition/Patient-everything';

export async function everythingOperation(engine: FhirEngine, route: Route, req: FhirRequest, ctx: Ctx): Promise<FhirResponse> {
  const method = req.method.toUpperCase();
  if (method !== 'GET' && method !== 'POST') throw methodNotAllowed('$everything takes GET or POST.');
  if (route.resourceType !== 'Patient' || !route.id) throw badRequest('$everything runs on one patient: [base]/Patient/[id]/$everything.');
  const id = route.id;
  if (ctx.limit && ctx.limit.id !== id) throw forbidden(`This caller's access is limited to the compartment of ${ctx.limit.compartment}/${ctx.limit.id}: $everything of Patient/${id} is not available.`);
  const raw = operationInput(req, 'everything');
  const input = new Map([...raw.keys()].map((k) => [k, textInput(raw, k)!]));
  const careDates = careDateFilter(input.get('start'), input.get('end'));
  const patient = await engine.session(ctx).read('Patient', id);
  if (!patient || patient.deleted) throw notFound(`Patient/${id} is not known.`);

  const members = Object.keys(engine.defs.compartments.Patient ?? {});
  const named = input.get('_type')?.split(',').map((t) => t.trim()).filter(Boolean);
  for (const t of named ?? []) if (!engine.defs.isResourceType(t)) throw badRequest(`Unknown resource type '${t}' in _type.`);
  const types = named ? members.filter((t) => named.includes(t)) : members;
  if (!types.length) throw badRequest(`None of the types in _type (${named!.join(', ')}) is in the Patient compartment.`);
  const params: [string, string][] = [['_include', '*']];
  const since = input.get('_since');
  if (since !== undefined) {
    if (!/^\d{4}-\d{2}-\d{2}T/.test(since)) throw badRequest(`_since must be an instant, got '${since}'.`);
    params.push(['_lastUpdated', `ge${since}`]);
  }
  for (const name of ['_count', '_ct']) if (input.has(name)) params.push([name, input.get(name)!]);
  const refs = types.flatMap((t) => memberReferences(engine.defs, 'Patient', id, t));
  const inCompartment: SearchExpr | undefined = refs.length ? (careDates ? { kind: 'and', exprs: [{ kind: 'or', exprs: refs }, careDates] } : { kind: 'or', exprs: refs }) : undefined;
  const branches: SearchExpr[] = [...(types.includes('Patient') ? [{ kind: 'and' as const, exprs: [{ kind: 'type' as const, types: ['Patient'] }, { kind: 'id' as const, ids: [id] }] }] : []), ...(inCompartment ? [inCompartment] : [])];
  const match: SearchExpr = branches.length === 1 ? branches[0] : { kind: 'or', exprs: branches };
  // What is included: of the types _type names, if any; inside the compartment, its members only;
  // outside it, whole.
  const compartment = { limit: { compartment: 'Patient', id, covers: () => true } };
  const includeIf = (v: StoredVersion) => (!named || named.includes(v.resourceType)) && engine.reachable(compartment, v);
  // (links carry the operation's own parameters; a caller limited to this patient is held by `match`)
  const own = [...input].filter(([k]) => k !== '_ct');
  return engine.search(types, params, req, { ...ctx, limit: undefined }, match, { path: `Patient/${id}/$everything`, params: own, includeIf });
}

/**
 * The care-date condition of `start` and `end` (dates, either may be absent): a `date` value that
 * overlaps [start, end], or no `date` value (which includes every type without that parameter: a
 * resource has no index values of a parameter its type does not define). Undefined without either.
 */
function careDateFilter(start: string | undefined, end: string | undefined): SearchExpr | undefined {
  if (start === undefined && end === undefined) return undefined;
  const bound = (name: string, value: string) => {
    const range = /^\d{4}(-\d{2}(-\d{2})?)?$/.test(value) ? dateRange(value) : null;
    if (!range) throw badRequest(`$everything's '${name}' must be a date (YYYY, YYYY-MM or YYYY-MM-DD), got '${value}'.`);
    return range;
  };
  const from = start === undefined ? undefined : bound('start', start);
  const to = end === undefined ? undefined : bound('end', end);
  if (from && to && from.low >= to.high) throw badRequest(`$everything's start (${start}) is after its end (${end}).`);
  // (as `date=ge<start>&date=le<end>`: a value whose range reaches into [start, end])
  const conds = [...(from ? dateTest('ge', from.low, from.high).conds : []), ...(to ? dateTest('le', to.low, to.high).conds : [])];
  const range: RangeTest = { prefix: from ? 'ge' : 'le', conds, negate: false };
  const param = { code: 'date', type: 'date' as const };
  return { kind: 'or', exprs: [{ kind: 'value', param, predicate: { type: 'date', range } }, { kind: 'missing', param, missing: true }] };
}
