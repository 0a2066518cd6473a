// Parses FHIR search parameters (https://hl7.org/fhir/R4/search.html) into the expression tree, once.
import type { FhirDefinitions, SearchParamDef } from '../definitions.js';
import { badRequest, notSupported } from '../errors.js';
import { singleValuedDate } from './indexer.js';
import { dateRange, normalizeString, numberRange } from './values.js';
import type { IncludeSpec, ParamRef, Predicate, Prefix, RangeTest, SearchExpr, SearchQuery, SortKey, SummaryMode, TotalMode } from './expression.js';

export interface SearchLimits { defaultCount: number; maxCount: number; fullText?: boolean }
export interface ParsedSearch { query: SearchQuery; ignored: string[]; continuation?: string }

/** Parameters that shape results or transport rather than filter. */
const CONTROL = new Set(['_count', '_sort', '_total', '_summary', '_elements', '_include', '_include:iterate', '_revinclude', '_revinclude:iterate', '_format', '_pretty', '_ct', '_contained', '_containedType', '_type']);
const PREFIXES: Prefix[] = ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap'];

/** Splits on an unescaped separator and unescapes `\,` `\$` `\|` `\\`. */
export function splitEscaped(value: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\' && i + 1 < value.length) { cur += value[++i]; continue; }
    if (c === sep) { out.push(cur); cur = ''; continue; }
    cur += c;
  }
  out.push(cur);
  return out;
}

function splitRaw(value: string, sep: string): string[] {
  // Split on unescaped sep but keep escapes (for nested splitting: ',' then '$' then '|').
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\' && i + 1 < value.length) { cur += c + value[++i]; continue; }
    if (c === sep) { out.push(cur); cur = ''; continue; }
    cur += c;
  }
  out.push(cur);
  return out;
}
const unescape = (s: string) => s.replace(/\\(.)/g, '$1');

export class SearchParser {
  constructor(private readonly defs: FhirDefinitions, private readonly limits: SearchLimits, private readonly indexed: (type: string) => ReadonlySet<string>) {}

  /**
   * Parses a search over `types` (one type, or the system-level `_type` list) from name/value pairs
   * as they appeared in the query string (repeats allowed).
   */
  parse(types: string[], params: [string, string][], opts: { strict?: boolean } = {}): ParsedSearch {
    const query: SearchQuery = { types: [...types], sort: [], count: this.limits.defaultCount, total: 'none', include: [], revinclude: [] };
    const ignored: string[] = [];
    const filters: SearchExpr[] = [];
    let continuation: string | undefined;

    const typeParam = params.filter(([n]) => n === '_type').flatMap(([, v]) => v.split(',')).map((t) => t.trim()).filter(Boolean);
    if (typeParam.length) {
      for (const t of typeParam) if (!this.defs.isResourceType(t)) throw badRequest(`Unknown resource type '${t}' in _type.`);
      if (types.length === 0) query.types = [...new Set(typeParam)];
      else filters.push({ kind: 'type', types: typeParam });
    }

    for (const [rawName, value] of params) {
      const name = rawName.trim();
      if (name === '_type') continue;
      if (CONTROL.has(name)) {
        continuation = this.control(query, name, value) ?? continuation;
        continue;
      }
      try {
        const expr = this.filter(query.types, name, value);
        if (expr) filters.push(expr);
        else ignored.push(name);
      } catch (e) {
        if (e instanceof UnknownParam) {
          if (opts.strict) throw badRequest(`Unknown search parameter '${e.param}'${e.onType ? ` for ${e.onType}` : ''}.`);
          ignored.push(name);
        } else throw e;
      }
    }
    const merged = this.mergeRanges(query.types, filters);
    if (merged.length === 1) query.where = merged[0];
    else if (merged.length > 1) query.where = { kind: 'and', exprs: merged };
    return { query, ignored, continuation };
  }

  /** Whether `code` is a date parameter with at most one value per resource of every one of `types`. */
  private singleDate(types: string[], code: string): boolean {
    return types.length > 0 && types.every((t) => {
      const def = this.defs.searchParam(t, code);
      return !!def && singleValuedDate(this.defs, t, def);
    });
  }

  /**
   * Repeated parameters are ANDed, each over all of a resource's values. For a date parameter with
   * one value per resource they test the same value, so `date=ge2020&date=lt2021` becomes one range
   * test, which an index answers with one range scan instead of intersecting two half-open ones.
   * Only plain (not negated) tests at the top level: in a chain or _has each test may be met by a
   * different referenced resource.
   */
  private mergeRanges(types: string[], filters: SearchExpr[]): SearchExpr[] {
    const out: SearchExpr[] = [];
    const first = new Map<string, number>();
    for (const f of filters) {
      if (!isDateTest(f) || f.predicate.range.negate || !this.singleDate(types, f.param.code)) {
        out.push(f);
        continue;
      }
      const at = first.get(f.param.code);
      if (at === undefined) {
        first.set(f.param.code, out.length);
        out.push(f);
        continue;
      }
      const prev = out[at] as DateTest;
      out[at] = { ...prev, predicate: { type: 'date', range: { ...prev.predicate.range, conds: [...prev.predicate.range.conds, ...f.predicate.range.conds] } } };
    }
    return out;
  }

  private control(q: SearchQuery, name: string, value: string): string | undefined {
    switch (name) {
      case '_count': {
        if (!/^\d+$/.test(value)) throw badRequest(`_count must be a non-negative integer, got '${value}'.`);
        q.count = Math.min(Number(value), this.limits.maxCount);
        return undefined;
      }
      case '_total':
        if (!['none', 'estimate', 'accurate'].includes(value)) throw badRequest(`_total must be none, estimate or accurate, got '${value}'.`);
        q.total = value as TotalMode;
        return undefined;
      case '_summary':
        if (!['true', 'text', 'data', 'count', 'false'].includes(value)) throw badRequest(`_summary must be true, text, data, count or false, got '${value}'.`);
        q.summary = value as SummaryMode;
        if (value === 'count') q.total = 'accurate';
        return undefined;
      case '_elements':
        q.elements = [...new Set([...(q.elements ?? []), ...value.split(',').map((e) => e.trim()).filter(Boolean)])];
        return undefined;
      case '_sort':
        q.sort = value.split(',').map((s) => s.trim()).filter(Boolean).map((s) => this.sortKey(q.types, s));
        return undefined;
      case '_include':
      case '_include:iterate':
      case '_revinclude':
      case '_revinclude:iterate':
        (name.startsWith('_include') ? q.include : q.revinclude).push(this.includeSpec(name, value));
        return undefined;
      case '_ct':
        return value;
      default:
        return undefined;
    }
  }

  private sortKey(types: string[], s: string): SortKey {
    const descending = s.startsWith('-');
    const code = descending ? s.slice(1) : s;
    if (code === '_id' || code === '_lastUpdated') return { param: { code, type: 'special' }, descending };
    const def = this.paramFor(types, code);
    if (!def) throw badRequest(`Unknown sort parameter '${code}'.`);
    if (def.type === 'composite' || def.type === 'special') throw badRequest(`Cannot sort on ${def.type} parameter '${code}'.`);
    return { param: { code, type: def.type }, descending, ...(this.singleDate(types, code) ? { single: true } : {}) };
  }

  private includeSpec(name: string, value: string): IncludeSpec {
    const iterate = name.endsWith(':iterate');
    const parts = value.split(':');
    // (a reverse include names the parameter to look up: there is no index of "every reference to")
    if (name.startsWith('_revinclude') && (value === '*' || parts[1] === '*')) throw badRequest(`${name} needs an explicit Type:parameter, got '${value}'.`);
    if (value === '*') return { sourceType: '*', param: '*', iterate };
    if (parts.length < 2 || parts.length > 3) throw badRequest(`${name} must be Type:param[:targetType] or *, got '${value}'.`);
    const [sourceType, param, targetType] = parts;
    if (!this.defs.isResourceType(sourceType)) throw badRequest(`Unknown resource type '${sourceType}' in ${name}.`);
    if (param !== '*') {
      const def = this.defs.searchParam(sourceType, param);
      if (!def || def.type !== 'reference') throw badRequest(`'${param}' is not a reference parameter of ${sourceType} (${name}).`);
    }
    if (targetType && !this.defs.isResourceType(targetType)) throw badRequest(`Unknown target type '${targetType}' in ${name}.`);
    return { sourceType, param, targetType, iterate };
  }

  /** The parameter definition shared by all searched types (system search needs it on each). */
  private paramFor(types: string[], code: string): SearchParamDef | undefined {
    if (types.length === 0) return this.defs.searchParam('Resource', code);
    let found: SearchParamDef | undefined;
    for (const t of types) {
      const d = this.defs.searchParam(t, code);
      if (!d) return undefined;
      if (found && found.type !== d.type) throw badRequest(`Parameter '${code}' has different types across the searched resource types.`);
      found = found ?? d;
    }
    return found;
  }

  /** One filter parameter (name may carry modifiers, chains or _has) into an expression; null if not a filter. */
  filter(types: string[], name: string, value: string): SearchExpr | null {
    if (name.startsWith('_has:')) return this.has(types, name, value);
    const dot = name.indexOf('.');
    if (dot > 0) return this.chain(types, name.slice(0, dot), name.slice(dot + 1), value);

    const [code, modifier] = splitModifier(name);
    if (code === '_id') return this.idFilter(value, modifier);
    if (code === '_lastUpdated') {
      if (modifier) throw badRequest(`Modifier ':${modifier}' is not valid on _lastUpdated.`);
      return or(splitRaw(value, ',').map((v) => ({ kind: 'lastUpdated' as const, range: this.rangeFor('date', unescape(v), '_lastUpdated') })));
    }
    if (code === '_text' || code === '_content') {
      if (!this.limits.fullText) throw notSupported(`${code} (full-text search) is not supported by this server's storage.`);
      if (modifier) throw badRequest(`Modifier ':${modifier}' is not valid on ${code}.`);
      return or(splitRaw(value, ',').map((v) => ({ kind: 'value' as const, param: { code, type: 'special' as const }, predicate: { type: 'text' as const, query: unescape(v) } })));
    }
    if (code === '_list') {
      // Resources that List/<id> refers to (List.entry.item, the List 'item' parameter).
      if (modifier) throw badRequest(`Modifier ':${modifier}' is not valid on _list.`);
      if (!/^[A-Za-z0-9\-.]{1,64}$/.test(value)) throw badRequest(`_list takes the id of a List, got '${value}'.`);
      return { kind: 'has', sourceType: 'List', param: { code: 'item', type: 'reference' }, expr: { kind: 'id', ids: [value] } };
    }
    if (code === '_query' || code === '_filter') throw notSupported(`${code} is not supported by this server.`);
    const def = this.paramFor(types, code);
    if (!def) throw new UnknownParam(code, types.length === 1 ? types[0] : undefined);
    for (const t of types) if (!this.indexed(t).has(code)) throw notSupported(`Search parameter '${code}' of ${t} is not supported by this server.`);
    const param: ParamRef = { code, type: def.type };

    if (modifier === 'missing') {
      if (value !== 'true' && value !== 'false') throw badRequest(`:missing takes true or false, got '${value}'.`);
      return { kind: 'missing', param, missing: value === 'true' };
    }
    if (modifier === 'not') {
      if (def.type !== 'token') throw badRequest(`:not is only valid on token parameters ('${code}' is ${def.type}).`);
      // :not: no value of the parameter matches any of the listed values.
      return { kind: 'not', expr: or(splitRaw(value, ',').map((v) => this.value(def, param, undefined, v))) };
    }
    return or(splitRaw(value, ',').map((v) => this.value(def, param, modifier, v)));
  }

  private idFilter(value: string, modifier?: string): SearchExpr {
    if (modifier && modifier !== 'not') throw badRequest(`Modifier ':${modifier}' is not valid on _id.`);
    const ids = value.split(',').map((v) => v.trim()).filter(Boolean);
    for (const id of ids) if (!/^[A-Za-z0-9\-.]{1,64}$/.test(id)) throw badRequest(`Invalid id '${id}' in _id.`);
    const expr: SearchExpr = { kind: 'id', ids };
    return modifier === 'not' ? { kind: 'not', expr } : expr;
  }

  private value(def: SearchParamDef, param: ParamRef, modifier: string | undefined, raw: string): SearchExpr {
    if (raw === '') throw badRequest(`Empty value for search parameter '${def.code}'.`);
    if (modifier === 'identifier') {
      // Reference.identifier is indexed as token values under code `<param>:identifier`.
      if (def.type !== 'reference') throw badRequest(`:identifier is only valid on reference parameters ('${def.code}' is ${def.type}).`);
      const tokenDef: SearchParamDef = { ...def, type: 'token' };
      return { kind: 'value', param: { code: `${def.code}:identifier`, type: 'token' }, predicate: this.predicate(tokenDef, undefined, raw) };
    }
    if (modifier === 'not-in') {
      if (def.type !== 'token') throw badRequest(`:not-in is only valid on token parameters ('${def.code}' is ${def.type}).`);
      return { kind: 'not', expr: { kind: 'value', param, predicate: this.predicate(def, 'not-in', raw) } };
    }
    if (modifier === 'of-type') {
      if (def.type !== 'token') throw badRequest(`:of-type is only valid on token parameters ('${def.code}' is ${def.type}).`);
      return { kind: 'value', param: { code: `${def.code}:of-type`, type: 'token' }, predicate: this.predicate(def, modifier, raw) };
    }
    return { kind: 'value', param, predicate: this.predicate(def, modifier, raw) };
  }

  private predicate(def: SearchParamDef, modifier: string | undefined, raw: string): Predicate {
    const v = unescape(raw);
    const bad = () => badRequest(`Modifier ':${modifier}' is not valid on ${def.type} parameter '${def.code}'.`);
    switch (def.type) {
      case 'string':
        if (modifier && modifier !== 'exact' && modifier !== 'contains') throw bad();
        return { type: 'string', match: modifier === 'exact' ? 'exact' : modifier === 'contains' ? 'contains' : 'starts', value: modifier === 'exact' ? v : normalizeString(v) };
      case 'token': {
        if (modifier === 'text') return { type: 'token-text', text: normalizeString(v) };
        if (modifier === 'in' || modifier === 'not-in') return { type: 'token-in', valueSet: v };
        if (modifier === 'above' || modifier === 'below') {
          const parts = splitEscaped(raw, '|');
          if (parts.length !== 2 || !parts[0] || !parts[1]) throw badRequest(`:${modifier} takes system|code (the CodeSystem must be stored in this server), got '${v}'.`);
          return { type: 'token-hierarchy', direction: modifier, system: parts[0], code: parts[1] };
        }
        if (modifier === 'of-type') {
          // Indexed as code `<param>:of-type` with system = the type's system and code = 'typeCode|value'.
          const parts = splitEscaped(raw, '|');
          if (parts.length !== 3 || parts.some((p) => p === '')) throw badRequest(`:of-type takes system|code|value, got '${v}'.`);
          return { type: 'token', system: parts[0], code: `${parts[1]}|${parts[2]}` };
        }
        if (modifier) throw bad();
        const parts = splitEscaped(raw, '|');
        if (parts.length === 1) return { type: 'token', code: parts[0] };
        if (parts.length !== 2) throw badRequest(`Invalid token '${v}' for '${def.code}'.`);
        const [system, code] = parts;
        if (system === '' && code === '') throw badRequest(`Invalid token '|' for '${def.code}'.`);
        if (code === '') return { type: 'token', system };
        return { type: 'token', system: system === '' ? null : system, code };
      }
      case 'date':
      case 'number':
        if (modifier) throw bad();
        return { type: def.type, range: this.rangeFor(def.type, v, def.code) };
      case 'quantity': {
        if (modifier) throw bad();
        const parts = splitEscaped(raw, '|');
        if (parts.length !== 1 && parts.length !== 3) throw badRequest(`Invalid quantity '${v}' for '${def.code}': use [prefix]number|system|code.`);
        const p: Predicate = { type: 'quantity', range: this.rangeFor('number', parts[0], def.code) };
        if (parts.length === 3) {
          if (parts[1] !== '') p.system = parts[1];
          if (parts[2] !== '') p.code = parts[2];
        }
        return p;
      }
      case 'reference': {
        if (modifier === 'missing' || modifier === 'not' || modifier === 'text' || modifier === 'exact' || modifier === 'contains' || modifier === 'above' || modifier === 'below') throw bad();
        if (modifier && !this.defs.isResourceType(modifier)) throw badRequest(`Unknown resource type ':${modifier}' on reference parameter '${def.code}'.`);
        if (/^[a-z][a-z0-9+.-]*:/i.test(v) && !/^[A-Z][A-Za-z]+\//.test(v)) {
          const abs = /^(https?:\/\/.+)\/([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/.exec(v);
          return abs ? { type: 'reference', url: v } : { type: 'reference', url: v.split('|')[0] };
        }
        const slash = v.split('/');
        if (slash.length === 2 || (slash.length === 4 && slash[2] === '_history')) {
          if (!this.defs.isResourceType(slash[0])) throw badRequest(`Unknown resource type '${slash[0]}' in reference '${v}'.`);
          if (modifier && modifier !== slash[0]) throw badRequest(`Reference '${v}' contradicts the modifier ':${modifier}'.`);
          return { type: 'reference', targetType: slash[0], targetId: slash[1] };
        }
        if (slash.length !== 1 || !/^[A-Za-z0-9\-.]{1,64}$/.test(v)) throw badRequest(`Invalid reference '${v}' for '${def.code}'.`);
        return modifier ? { type: 'reference', targetType: modifier, targetId: v } : { type: 'reference', targetId: v };
      }
      case 'uri':
        if (modifier && modifier !== 'below' && modifier !== 'above') throw bad();
        return { type: 'uri', match: (modifier as 'below' | 'above') ?? 'eq', value: v };
      case 'composite': {
        if (modifier) throw bad();
        const parts = splitRaw(raw, '$');
        const comps = def.component ?? [];
        if (parts.length !== comps.length) throw badRequest(`Composite parameter '${def.code}' takes ${comps.length} values joined by '$', got '${v}'.`);
        return {
          type: 'composite',
          components: comps.map((c, i) => {
            const cdef = this.defs.searchParamByUrl(c.definition);
            if (!cdef) throw notSupported(`Composite parameter '${def.code}' refers to an unknown component.`);
            return this.predicate(cdef, undefined, parts[i]);
          }),
        };
      }
      default:
        throw notSupported(`Search parameter '${def.code}' of type ${def.type} is not supported.`);
    }
  }

  /** Reduces a prefixed date or number to bounds on the stored inclusive range [low, high]. */
  rangeFor(kind: 'date' | 'number', raw: string, code: string): RangeTest {
    let prefix: Prefix = 'eq';
    let text = raw.trim();
    const p = text.slice(0, 2) as Prefix;
    if (PREFIXES.includes(p) && !/^\d{2}$/.test(p)) { prefix = p; text = text.slice(2); }
    if (kind === 'date') {
      const r = dateRange(text);
      if (!r) throw badRequest(`Invalid date '${raw}' for '${code}'.`);
      return dateTest(prefix, r.low, r.high);
    }
    const n = numberRange(text);
    if (!n) throw badRequest(`Invalid number '${raw}' for '${code}'.`);
    return numberTest(prefix, n.value, n.low, n.high);
  }

  private chain(types: string[], head: string, rest: string, value: string): SearchExpr {
    const [code, typeModifier] = splitModifier(head);
    const def = this.paramFor(types, code);
    if (!def) throw new UnknownParam(code, types.length === 1 ? types[0] : undefined);
    if (def.type !== 'reference') throw badRequest(`Chained parameter '${code}' is not a reference parameter.`);
    if (typeModifier && !this.defs.isResourceType(typeModifier)) throw badRequest(`Unknown resource type ':${typeModifier}' in chain '${head}'.`);
    const candidates = typeModifier ? [typeModifier] : (def.target ?? []);
    const restCode = splitModifier(rest.split('.')[0])[0];
    const targets = candidates.filter((t) => rest.startsWith('_has:') || this.defs.searchParam(t, restCode));
    if (!targets.length) throw badRequest(`No target type of '${code}' has a search parameter '${restCode}'.`);
    const expr = this.filter(targets, rest, value);
    if (!expr) throw badRequest(`Invalid chained parameter '${head}.${rest}'.`);
    return { kind: 'chain', param: { code, type: 'reference' }, targetTypes: targets, expr };
  }

  private has(types: string[], name: string, value: string): SearchExpr {
    const parts = name.split(':');
    // _has:Type:refParam:rest...
    if (parts.length < 4) throw badRequest(`_has must be _has:Type:reference:parameter, got '${name}'.`);
    const [, sourceType, refCode] = parts;
    if (!this.defs.isResourceType(sourceType)) throw badRequest(`Unknown resource type '${sourceType}' in '${name}'.`);
    const ref = this.defs.searchParam(sourceType, refCode);
    if (!ref || ref.type !== 'reference') throw badRequest(`'${refCode}' is not a reference parameter of ${sourceType} in '${name}'.`);
    if (types.length && ref.target && !types.some((t) => ref.target!.includes(t))) {
      throw badRequest(`${sourceType}.${refCode} cannot refer to ${types.join(', ')}.`);
    }
    const rest = parts.slice(3).join(':');
    const expr = this.filter([sourceType], rest, value);
    if (!expr) throw badRequest(`Invalid _has parameter '${name}'.`);
    return { kind: 'has', sourceType, param: { code: refCode, type: 'reference' }, expr };
  }
}

class UnknownParam extends Error {
  constructor(readonly param: string, readonly onType?: string) { super(param); }
}

function splitModifier(name: string): [string, string | undefined] {
  const i = name.indexOf(':');
  return i < 0 ? [name, undefined] : [name.slice(0, i), name.slice(i + 1)];
}

type DateTest = Extract<SearchExpr, { kind: 'value' }> & { predicate: { type: 'date'; range: RangeTest } };
const isDateTest = (e: SearchExpr): e is DateTest => e.kind === 'value' && e.predicate.type === 'date';

function or(exprs: SearchExpr[]): SearchExpr {
  return exprs.length === 1 ? exprs[0] : { kind: 'or', exprs };
}

/** Date prefixes against a stored inclusive range; the search range is [low, high). */
export function dateTest(prefix: Prefix, low: number, high: number): RangeTest {
  const last = high - 1;
  const t = (conds: RangeTest['conds'], negate = false): RangeTest => ({ prefix, conds, negate });
  switch (prefix) {
    case 'eq': return t([{ bound: 'low', op: '>=', value: low }, { bound: 'high', op: '<=', value: last }]);
    case 'ne': return t([{ bound: 'low', op: '>=', value: low }, { bound: 'high', op: '<=', value: last }], true);
    case 'gt': return t([{ bound: 'high', op: '>', value: last }]);
    case 'ge': return t([{ bound: 'high', op: '>=', value: low }]);
    case 'lt': return t([{ bound: 'low', op: '<', value: low }]);
    case 'le': return t([{ bound: 'low', op: '<=', value: last }]);
    case 'sa': return t([{ bound: 'low', op: '>', value: last }]);
    case 'eb': return t([{ bound: 'high', op: '<', value: low }]);
    case 'ap': {
      const slack = Math.max((high - low) * 0.1, Math.abs(Date.now() - low) * 0.1);
      return t([{ bound: 'low', op: '<=', value: last + slack }, { bound: 'high', op: '>=', value: low - slack }]);
    }
  }
}

/** Number and quantity prefixes against a stored point value (low = high = value). */
export function numberTest(prefix: Prefix, value: number, low: number, high: number): RangeTest {
  const t = (conds: RangeTest['conds'], negate = false): RangeTest => ({ prefix, conds, negate });
  switch (prefix) {
    case 'eq': return t([{ bound: 'low', op: '>=', value: low }, { bound: 'high', op: '<', value: high }]);
    case 'ne': return t([{ bound: 'low', op: '>=', value: low }, { bound: 'high', op: '<', value: high }], true);
    case 'gt': case 'sa': return t([{ bound: 'low', op: '>', value }]);
    case 'ge': return t([{ bound: 'low', op: '>=', value }]);
    case 'lt': case 'eb': return t([{ bound: 'high', op: '<', value }]);
    case 'le': return t([{ bound: 'high', op: '<=', value }]);
    case 'ap': {
      const slack = Math.abs(value) * 0.1;
      return t([{ bound: 'low', op: '>=', value: value - slack }, { bound: 'high', op: '<=', value: value + slack }]);
    }
  }
}
