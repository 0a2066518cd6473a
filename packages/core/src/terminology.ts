// Token searches that need terminology (:in, :not-in, :below, :above), answered from the ValueSets and
// CodeSystems stored in this server: core rewrites them into plain token predicates, so adapters
// never see them. The terminology operations (terminology-operations.ts) expand the same way.
import { badRequest } from './errors.js';
import type { PersistenceSession } from './persistence.js';
import type { Predicate, SearchExpr } from './search/expression.js';
import type { Resource } from './types.js';

export interface Concept { code?: string; display?: string; concept?: Concept[] }
interface Include { system?: string; concept?: { code?: string; display?: string }[]; filter?: { property?: string; op?: string; value?: string }[]; valueSet?: string[] }
interface Contains { system?: string; code?: string; display?: string; contains?: Contains[] }
/** A code of a value set; without `code`, any code of the system (a whole code system not enumerated). */
export type Code = { system?: string; code?: string; display?: string };
export type ValueSetResource = Resource & { url?: string; compose?: { include?: Include[]; exclude?: Include[] }; expansion?: { contains?: Contains[] } };
export type CodeSystemResource = Resource & { url?: string; name?: string; title?: string; version?: string; concept?: Concept[] };

const MAX_CODES = 10_000;

export async function resolveTerminology(expr: SearchExpr | undefined, s: PersistenceSession): Promise<SearchExpr | undefined> {
  if (!expr) return expr;
  switch (expr.kind) {
    case 'and':
    case 'or':
      return { ...expr, exprs: await Promise.all(expr.exprs.map((e) => resolveTerminology(e, s) as Promise<SearchExpr>)) };
    case 'not':
      return { ...expr, expr: (await resolveTerminology(expr.expr, s))! };
    case 'chain':
    case 'has':
      return { ...expr, expr: (await resolveTerminology(expr.expr, s))! };
    case 'value': {
      const p = expr.predicate;
      if (p.type !== 'token-in' && p.type !== 'token-hierarchy') return expr;
      const codes = p.type === 'token-in' ? await valueSetCodes(s, p.valueSet, new Set()) : await hierarchyCodes(s, p.system, p.code, p.direction);
      const preds: Predicate[] = codes.map((c) => ({ type: 'token', ...(c.system !== undefined ? { system: c.system } : {}), ...(c.code !== undefined ? { code: c.code } : {}) }));
      return { kind: 'or', exprs: preds.map((predicate) => ({ kind: 'value', param: expr.param, predicate })) };
    }
    default:
      return expr;
  }
}

/** A stored ValueSet or CodeSystem by `Type/id`, `url` or `url|version`. */
export async function byUrl(s: PersistenceSession, type: 'ValueSet' | 'CodeSystem', ref: string): Promise<Resource | undefined> {
  const local = new RegExp(`^${type}/([A-Za-z0-9\\-.]{1,64})$`).exec(ref);
  if (local) {
    const v = await s.read(type, local[1]);
    return v?.resource;
  }
  const [url, version] = ref.split('|');
  const page = await s.search({
    types: [type], sort: [], count: 2, total: 'none', include: [], revinclude: [],
    where: { kind: 'and', exprs: [
      { kind: 'value', param: { code: 'url', type: 'uri' }, predicate: { type: 'uri', match: 'eq', value: url } },
      ...(version ? [{ kind: 'value' as const, param: { code: 'version', type: 'token' as const }, predicate: { type: 'token' as const, code: version } }] : []),
    ] },
  });
  return page.rows[0]?.version.resource;
}

async function valueSetCodes(s: PersistenceSession, ref: string, seen: Set<string>, enumerate = false): Promise<Code[]> {
  if (seen.has(ref)) return [];
  seen.add(ref);
  const vs = await byUrl(s, 'ValueSet', ref) as ValueSetResource | undefined;
  if (!vs) throw badRequest(`ValueSet '${ref}' is not stored in this server.`);
  return valueSetContents(s, vs, seen, enumerate);
}

/**
 * The codes of a ValueSet: its expansion's and its compose's, less what it excludes. `enumerate`:
 * a whole code system included is listed code by code (it must be stored), instead of standing for
 * any code of the system.
 */
export async function valueSetContents(s: PersistenceSession, vs: ValueSetResource, seen = new Set<string>(), enumerate = false): Promise<Code[]> {
  const out: Code[] = [];
  const flatten = (items: Contains[] = []) => {
    for (const c of items) {
      if (c.code) out.push({ system: c.system, code: c.code, ...(c.display ? { display: c.display } : {}) });
      flatten(c.contains);
    }
  };
  flatten(vs.expansion?.contains);
  for (const inc of vs.compose?.include ?? []) out.push(...(await includeCodes(s, inc, seen, enumerate)));
  const excluded = new Set<string>();
  for (const exc of vs.compose?.exclude ?? []) for (const c of await includeCodes(s, exc, seen, enumerate)) excluded.add(`${c.system}|${c.code}`);
  const unique = new Map<string, Code>();
  for (const c of out) if (!excluded.has(`${c.system}|${c.code}`) && !unique.has(`${c.system}|${c.code}`)) unique.set(`${c.system}|${c.code}`, c);
  const result = [...unique.values()];
  if (result.length > MAX_CODES) throw badRequest(`ValueSet '${vs.url ?? vs.id}' has more than ${MAX_CODES} codes.`, 'too-costly');
  return result;
}

async function includeCodes(s: PersistenceSession, inc: Include, seen: Set<string>, enumerate: boolean): Promise<Code[]> {
  const out: Code[] = [];
  if (inc.concept?.length) out.push(...inc.concept.filter((c) => c.code).map((c) => ({ system: inc.system, code: c.code, ...(c.display ? { display: c.display } : {}) })));
  for (const f of inc.filter ?? []) {
    if (!inc.system || (f.op !== 'is-a' && f.op !== 'descendent-of') || !f.value) throw badRequest(`ValueSet filters other than is-a / descendent-of are not supported.`);
    const codes = await hierarchyCodes(s, inc.system, f.value, 'below');
    out.push(...(f.op === 'descendent-of' ? codes.filter((c) => c.code !== f.value) : codes));
  }
  for (const ref of inc.valueSet ?? []) out.push(...(await valueSetCodes(s, ref, seen, enumerate)));
  if (inc.system && !inc.concept?.length && !inc.filter?.length && !inc.valueSet?.length) {
    if (!enumerate) out.push({ system: inc.system }); // any code in it
    else {
      const cs = await byUrl(s, 'CodeSystem', inc.system) as CodeSystemResource | undefined;
      if (!cs) throw badRequest(`CodeSystem '${inc.system}' is not stored in this server, so its codes cannot be listed.`, 'not-supported');
      out.push(...allConcepts(cs).map((c) => ({ system: inc.system, code: c.code, ...(c.display ? { display: c.display } : {}) })));
    }
  }
  return out;
}

/** Every concept of a code system, nested ones too, in order. */
export function allConcepts(cs: CodeSystemResource): Concept[] {
  const out: Concept[] = [];
  const walk = (list: Concept[] = []) => {
    for (const c of list) {
      out.push(c);
      walk(c.concept);
    }
  };
  walk(cs.concept);
  return out;
}

async function hierarchyCodes(s: PersistenceSession, system: string, code: string, direction: 'below' | 'above'): Promise<Code[]> {
  const cs = await byUrl(s, 'CodeSystem', system) as (Resource & { concept?: Concept[] }) | undefined;
  if (!cs) throw badRequest(`CodeSystem '${system}' is not stored in this server.`);
  const path = conceptPath(cs, code);
  if (!path) throw badRequest(`Code '${code}' is not in CodeSystem '${system}'.`);
  const target = path[path.length - 1];
  const asCode = (c: Concept): Code => ({ system, code: c.code, ...(c.display ? { display: c.display } : {}) });
  if (direction === 'above') return path.map(asCode);
  const out: Code[] = [];
  const walk = (c: Concept) => {
    out.push(asCode(c));
    for (const child of c.concept ?? []) walk(child);
  };
  walk(target);
  return out;
}

/** The concepts from the top of a code system's hierarchy down to `code`'s; undefined when it has no such code. */
export function conceptPath(cs: { concept?: Concept[] }, code: string | undefined): Concept[] | undefined {
  const path: Concept[] = [];
  const find = (list: Concept[] = []): boolean => {
    for (const c of list) {
      path.push(c);
      if (c.code === code || find(c.concept)) return true;
      path.pop();
    }
    return false;
  };
  return find(cs.concept) ? path : undefined;
}
