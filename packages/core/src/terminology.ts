// Token searches that need terminology (:in, :not-in, :below, :above), answered from the ValueSets and
// CodeSystems stored in this server: core rewrites them into plain token predicates, so adapters
// never see them.
import { badRequest } from './errors.js';
import type { PersistenceSession } from './persistence.js';
import type { Predicate, SearchExpr } from './search/expression.js';
import type { Resource } from './types.js';

interface Concept { code?: string; concept?: Concept[] }
interface Include { system?: string; concept?: { code?: string }[]; filter?: { property?: string; op?: string; value?: string }[]; valueSet?: string[] }
interface Contains { system?: string; code?: string; contains?: Contains[] }
type Code = { system?: string; code?: string };

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

async function byUrl(s: PersistenceSession, type: 'ValueSet' | 'CodeSystem', ref: string): Promise<Resource | undefined> {
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

async function valueSetCodes(s: PersistenceSession, ref: string, seen: Set<string>): Promise<Code[]> {
  if (seen.has(ref)) return [];
  seen.add(ref);
  const vs = await byUrl(s, 'ValueSet', ref) as (Resource & { compose?: { include?: Include[]; exclude?: Include[] }; expansion?: { contains?: Contains[] } }) | undefined;
  if (!vs) throw badRequest(`ValueSet '${ref}' is not stored in this server, so :in/:not-in cannot use it.`);
  const out: Code[] = [];
  const flatten = (items: Contains[] = []) => {
    for (const c of items) {
      if (c.code) out.push({ system: c.system, code: c.code });
      flatten(c.contains);
    }
  };
  flatten(vs.expansion?.contains);
  for (const inc of vs.compose?.include ?? []) out.push(...(await includeCodes(s, inc, seen)));
  const excluded = new Set<string>();
  for (const exc of vs.compose?.exclude ?? []) for (const c of await includeCodes(s, exc, seen)) excluded.add(`${c.system}|${c.code}`);
  const result = out.filter((c) => !excluded.has(`${c.system}|${c.code}`));
  if (result.length > MAX_CODES) throw badRequest(`ValueSet '${ref}' has more than ${MAX_CODES} codes; narrow the search.`, 'too-costly');
  return result;
}

async function includeCodes(s: PersistenceSession, inc: Include, seen: Set<string>): Promise<Code[]> {
  const out: Code[] = [];
  if (inc.concept?.length) out.push(...inc.concept.filter((c) => c.code).map((c) => ({ system: inc.system, code: c.code })));
  for (const f of inc.filter ?? []) {
    if (!inc.system || (f.op !== 'is-a' && f.op !== 'descendent-of') || !f.value) throw badRequest(`ValueSet filters other than is-a / descendent-of are not supported.`);
    const codes = await hierarchyCodes(s, inc.system, f.value, 'below');
    out.push(...(f.op === 'descendent-of' ? codes.filter((c) => c.code !== f.value) : codes));
  }
  for (const ref of inc.valueSet ?? []) out.push(...(await valueSetCodes(s, ref, seen)));
  // A whole code system: any code in it.
  if (inc.system && !inc.concept?.length && !inc.filter?.length && !inc.valueSet?.length) out.push({ system: inc.system });
  return out;
}

async function hierarchyCodes(s: PersistenceSession, system: string, code: string, direction: 'below' | 'above'): Promise<Code[]> {
  const cs = await byUrl(s, 'CodeSystem', system) as (Resource & { concept?: Concept[] }) | undefined;
  if (!cs) throw badRequest(`CodeSystem '${system}' is not stored in this server, so :${direction} cannot use it.`);
  const path: Concept[] = [];
  const find = (list: Concept[] = []): Concept | undefined => {
    for (const c of list) {
      path.push(c);
      if (c.code === code) return c;
      const hit = find(c.concept);
      if (hit) return hit;
      path.pop();
    }
    return undefined;
  };
  const target = find(cs.concept);
  if (!target) throw badRequest(`Code '${code}' is not in CodeSystem '${system}'.`);
  if (direction === 'above') return path.map((c) => ({ system, code: c.code }));
  const out: Code[] = [];
  const walk = (c: Concept) => {
    out.push({ system, code: c.code });
    for (const child of c.concept ?? []) walk(child);
  };
  walk(target);
  return out;
}
