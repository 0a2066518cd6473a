// Index-value extraction: evaluates each SearchParameter's FHIRPath expression (HL7's fhirpath.js)
// against a resource and turns what it finds into normalized IndexValues.
import fhirpath from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4/index.js';
import stu3Model from 'fhirpath/fhir-context/stu3/index.js';
import type { FhirDefinitions, SearchParamDef } from '../definitions.js';
import type { Resource } from '../types.js';
import { compilePath, singleElementPath } from './path-walker.js';
import { dateRange, normalizeString, type IndexEntry, type IndexValue, type ReferenceValue } from './values.js';

interface FpNode { data: unknown; fhirNodeDataType?: string; getTypeInfo?: () => { name: string } }
type Compiled = (resource: unknown) => FpNode[];
interface CompiledParam { def: SearchParamDef; fn: Compiled; components?: { def: SearchParamDef; fn: Compiled }[]; single?: boolean }

/** Keep the branches of a union expression that can apply to `type` (most R4 expressions span many types). */
export function pruneExpression(expression: string, type: string): string | null {
  const branches = splitTopLevel(expression, '|').map((b) => b.trim());
  const kept = branches.filter((b) => {
    const head = /^\(?\s*([A-Z][A-Za-z]+)\b/.exec(b)?.[1];
    return !head || head === type || head === 'Resource' || head === 'DomainResource';
  });
  return kept.length ? kept.join(' | ') : null;
}

function splitTopLevel(s: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0, quote = false, start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "'" && s[i - 1] !== '\\') quote = !quote;
    else if (!quote && c === '(') depth++;
    else if (!quote && c === ')') depth--;
    else if (!quote && depth === 0 && c === sep) { out.push(s.slice(start, i)); start = i + 1; }
  }
  out.push(s.slice(start));
  return out;
}

/** Rewrites two forms fhirpath.js cannot evaluate synchronously or on collections. */
export function rewriteExpression(e: string): string {
  return e
    .replace(/\.where\(resolve\(\) is ([A-Za-z]+)\)/g, (_m, t: string) => `.where(reference.startsWith('${t}/') or reference.contains('/${t}/'))`)
    .replace(/\(([A-Za-z][\w.]*)\s+as\s+([A-Za-z]+)\)/g, (_m, p: string, t: string) => `${p}.ofType(${t})`)
    .replace(/([A-Za-z][\w.]*)\s+as\s+([A-Za-z]+)/g, (_m, p: string, t: string) => `${p}.ofType(${t})`);
}

const PLAIN_PATH = /^[A-Z][A-Za-z]+(\.[a-z][A-Za-z0-9]*)*$/;

/**
 * Whether a date parameter has at most one index value per resource of `type`: its expression is a
 * plain path through elements of max cardinality 1. A Timing there counts by its outer limits
 * (https://hl7.org/fhir/R4/search.html#date), so `extract` stores one range for it, as it does
 * for anything else that would give several. The parser relies on this to merge repeated
 * parameters (`date=ge…&date=lt…`) into one range test, and adapters to sort by a join.
 */
export function singleValuedDate(defs: FhirDefinitions, type: string, def: SearchParamDef): boolean {
  if (def.type !== 'date' || !def.expression) return false;
  const expr = pruneExpression(def.expression, type);
  return !!expr && singleElementPath(defs, type, expr);
}

export class Indexer {
  private readonly cache = new Map<string, CompiledParam[]>();
  private readonly codes = new Map<string, ReadonlySet<string>>();
  private readonly model: unknown;
  /** With `fullText`, every resource also gets _text (narrative) and _content (all strings) entries. */
  /** Plain element paths are walked directly (see path-walker.ts); off = fhirpath.js for everything. */
  fastPaths = true;

  constructor(private readonly defs: FhirDefinitions, private readonly fullText = false) {
    this.model = defs.version === 'stu3' ? stu3Model : r4Model;
  }

  /** Forget compiled parameters (after a custom SearchParameter is added). */
  reset(): void {
    this.cache.clear();
    this.codes.clear();
  }

  /** Why an expression cannot be compiled, or undefined when it can. */
  checkExpression(expression: string): string | undefined {
    try {
      this.compile(expression);
      return undefined;
    } catch (e) {
      return (e as Error).message.split('\n')[0];
    }
  }

  /** With `base` (a plain element path), the expression is evaluated on elements found at that path, with their types known. */
  private compile(expression: string, base?: string): Compiled {
    const e = rewriteExpression(expression);
    return fhirpath.compile((base ? { base, expression: e } : e) as never, this.model as never, { resolveInternalTypes: false }) as unknown as Compiled;
  }

  private paramsFor(type: string): CompiledParam[] {
    let list = this.cache.get(type);
    if (list) return list;
    list = [];
    for (const def of this.defs.searchParams(type)) {
      if (!def.expression || def.type === 'special') continue;
      const expr = pruneExpression(def.expression, type);
      if (!expr) continue;
      try {
        const cp: CompiledParam = { def, fn: (this.fastPaths && compilePath(this.defs, type, expr)) || this.compile(expr), single: singleValuedDate(this.defs, type, def) };
        if (def.type === 'composite') {
          cp.components = [];
          for (const c of def.component ?? []) {
            const cdef = this.defs.searchParamByUrl(c.definition);
            if (!cdef) throw new Error(`unknown component ${c.definition}`);
            // Components are evaluated on the composite's elements (e.g. an Observation.component), which
            // need their path for choice elements such as `value.as(Quantity)` to resolve.
            cp.components.push({ def: cdef, fn: this.compile(c.expression, PLAIN_PATH.test(expr) ? expr : undefined) });
          }
        }
        list.push(cp);
      } catch {
        // An expression fhirpath.js cannot compile leaves that parameter unindexed; the capability statement omits it.
      }
    }
    this.cache.set(type, list);
    return list;
  }

  /** Codes of the parameters of `type` that are indexed. */
  indexedParams(type: string): ReadonlySet<string> {
    let codes = this.codes.get(type);
    if (!codes) this.codes.set(type, (codes = new Set(this.paramsFor(type).map((p) => p.def.code))));
    return codes;
  }

  /** All index entries of a resource. */
  extract(resource: Resource): IndexEntry[] {
    const out: IndexEntry[] = [];
    for (const p of this.paramsFor(resource.resourceType)) {
      let nodes: FpNode[];
      try {
        nodes = p.fn(resource);
      } catch {
        continue;
      }
      if (p.single) {
        const range = outerLimits(nodes.flatMap((n) => toValues(p.def, n)));
        if (range) out.push({ code: p.def.code, value: range });
        continue;
      }
      for (const node of nodes) {
        if (p.components) {
          const components = p.components.map((c) => {
            try {
              return c.fn(node.data).flatMap((n) => toValues(c.def, n));
            } catch {
              return [];
            }
          });
          if (components.every((c) => c.length)) out.push({ code: p.def.code, value: { type: 'composite', components } });
          continue;
        }
        for (const value of toValues(p.def, node)) out.push({ code: p.def.code, value });
        for (const extra of derivedValues(p.def, node)) out.push(extra);
      }
    }
    if (this.fullText) out.push(...fullTextEntries(resource));
    return dedupe(out);
  }

  /** Values of one parameter of a resource (used for _include and conditional matching). */
  valuesOf(resource: Resource, code: string): IndexValue[] {
    const p = this.paramsFor(resource.resourceType).find((x) => x.def.code === code);
    if (!p) return [];
    try {
      const values = p.fn(resource).flatMap((n) => toValues(p.def, n));
      if (!p.single) return values;
      const range = outerLimits(values);
      return range ? [range] : [];
    } catch {
      return [];
    }
  }
}

/** One range from the lowest low to the highest high of date values (none for none). */
function outerLimits(values: IndexValue[]): IndexValue | undefined {
  const dates = values.filter((v) => v.type === 'date');
  if (dates.length <= 1) return dates[0];
  return { type: 'date', low: Math.min(...dates.map((d) => d.low)), high: Math.max(...dates.map((d) => d.high)) };
}

/** _text: the narrative without markup; _content: every string value of the resource. */
function fullTextEntries(resource: Resource): IndexEntry[] {
  const out: IndexEntry[] = [];
  const div = (resource.text as { div?: unknown } | undefined)?.div;
  if (typeof div === 'string') {
    const text = div.replace(/<[^>]*>/g, ' ').replace(/&[a-z]+;|&#\d+;/gi, ' ').replace(/\s+/g, ' ').trim();
    if (text) out.push({ code: '_text', value: { type: 'text', value: text } });
  }
  const strings: string[] = [];
  const walk = (v: unknown, key: string) => {
    if (typeof v === 'string') {
      if (key !== 'div' && key !== 'data' && key !== 'reference' && key !== 'url' && key !== 'system') strings.push(v);
    } else if (Array.isArray(v)) for (const x of v) walk(x, key);
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) if (k !== 'meta') walk(x, k);
  };
  walk(resource, '');
  const content = strings.join(' ').slice(0, 100_000);
  if (content) out.push({ code: '_content', value: { type: 'text', value: content } });
  return out;
}

/** Values for modifiers that search a related element: `:identifier` on references, `:of-type` on identifiers. */
function derivedValues(def: SearchParamDef, node: FpNode): IndexEntry[] {
  const o = node.data as Json | null;
  if (!o || typeof o !== 'object') return [];
  if (def.type === 'reference' && o.identifier && typeof o.identifier === 'object') {
    const id = o.identifier as Json;
    return [{ code: `${def.code}:identifier`, value: { type: 'token', system: str(id.system), code: str(id.value), text: null } }];
  }
  if (def.type === 'token' && nodeType(node) === 'Identifier' && typeof o.value === 'string') {
    const codings = (((o.type as Json)?.coding as Json[]) ?? []);
    return codings.filter((c) => str(c.code)).map((c) => ({ code: `${def.code}:of-type`, value: { type: 'token', system: str(c.system), code: `${c.code}|${o.value}`, text: null } }));
  }
  return [];
}

function dedupe(entries: IndexEntry[]): IndexEntry[] {
  const seen = new Set<string>();
  return entries.filter((e) => {
    const k = e.code + JSON.stringify(e.value);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function nodeType(n: FpNode): string {
  return n.fhirNodeDataType ?? n.getTypeInfo?.().name ?? typeof n.data;
}

type Json = Record<string, unknown>;
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** fhirpath.js wraps primitive decimals and integers in its own number objects. */
function unwrap(data: unknown): unknown {
  return data !== null && typeof data === 'object' && typeof (data as { toNumber?: unknown }).toNumber === 'function' ? (data as { toNumber(): number }).toNumber() : data;
}

export function toValues(def: SearchParamDef, node: FpNode): IndexValue[] {
  const data = unwrap(node.data);
  const t = nodeType(node);
  if (data === null || data === undefined) return [];
  const o = (typeof data === 'object' ? data : {}) as Json;
  switch (def.type) {
    case 'string': {
      const parts: string[] = [];
      if (typeof data === 'string') parts.push(data);
      else if (t === 'HumanName') {
        for (const k of ['family', 'text']) if (typeof o[k] === 'string') parts.push(o[k] as string);
        for (const k of ['given', 'prefix', 'suffix']) if (Array.isArray(o[k])) parts.push(...(o[k] as unknown[]).filter((x): x is string => typeof x === 'string'));
      } else if (t === 'Address') {
        for (const k of ['text', 'city', 'district', 'state', 'postalCode', 'country']) if (typeof o[k] === 'string') parts.push(o[k] as string);
        if (Array.isArray(o.line)) parts.push(...(o.line as unknown[]).filter((x): x is string => typeof x === 'string'));
      } else if (typeof o.text === 'string') parts.push(o.text);
      return parts.filter(Boolean).map((p) => ({ type: 'string', value: normalizeString(p), exact: p }));
    }
    case 'token': {
      if (typeof data === 'boolean') return [{ type: 'token', system: null, code: String(data), text: null }];
      if (typeof data === 'string' || typeof data === 'number') return [{ type: 'token', system: null, code: String(data), text: null }];
      if (t === 'CodeableConcept' || Array.isArray(o.coding)) {
        const text = str(o.text) && normalizeString(o.text as string);
        const codings: IndexValue[] = ((o.coding as Json[]) ?? []).map((c) => ({ type: 'token' as const, system: str(c.system), code: str(c.code), text: str(c.display) ? normalizeString(c.display as string) : text }));
        // :text searches the concept's text as well as its codings' displays.
        if (text && !codings.some((c) => c.type === 'token' && c.text === text)) codings.push({ type: 'token', system: null, code: null, text });
        return codings;
      }
      if (t === 'Identifier') return [{ type: 'token', system: str(o.system), code: str(o.value), text: str((o.type as Json)?.text) ? normalizeString((o.type as Json).text as string) : null }];
      if (t === 'ContactPoint') return [{ type: 'token', system: null, code: str(o.value), text: null }];
      return [{ type: 'token', system: str(o.system), code: str(o.code) ?? str(o.value), text: str(o.display) ? normalizeString(o.display as string) : null }];
    }
    case 'date': {
      if (typeof data === 'string') {
        const r = dateRange(data);
        return r ? [{ type: 'date', low: r.low, high: r.high - 1 }] : [];
      }
      if (t === 'Period' || 'start' in o || 'end' in o) {
        const s = typeof o.start === 'string' ? dateRange(o.start) : null;
        const e = typeof o.end === 'string' ? dateRange(o.end) : null;
        if (!s && !e) return [];
        return [{ type: 'date', low: s ? s.low : -Infinity, high: e ? e.high - 1 : Infinity }];
      }
      if (t === 'Timing' && Array.isArray(o.event)) {
        return (o.event as unknown[]).flatMap((ev) => {
          const r = typeof ev === 'string' ? dateRange(ev) : null;
          return r ? [{ type: 'date' as const, low: r.low, high: r.high - 1 }] : [];
        });
      }
      return [];
    }
    case 'number':
      return typeof data === 'number' ? [{ type: 'number', value: data }] : [];
    case 'quantity': {
      if (typeof data === 'number') return [{ type: 'quantity', value: data, system: null, code: null, unit: null }];
      if (typeof o.value === 'number') {
        return [{ type: 'quantity', value: o.value, system: str(o.system), code: str(o.code) ?? str(o.currency), unit: str(o.unit) }];
      }
      return [];
    }
    case 'reference': {
      if (typeof data === 'string') return [parseReference(data)];
      const ref = str(o.reference);
      const out: IndexValue[] = [];
      if (ref) out.push(parseReference(ref, str(o.type)));
      return out;
    }
    case 'uri':
      return typeof data === 'string' ? [{ type: 'uri', value: data }] : [];
    default:
      return [];
  }
}

const LOCAL_REF = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/;
const ABSOLUTE_REF = /^(https?:\/\/.+)\/([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/;

/** Splits a reference string into type + id (relative or absolute RESTful URLs) and keeps absolute URLs. */
export function parseReference(ref: string, type: string | null = null): ReferenceValue {
  const local = LOCAL_REF.exec(ref);
  if (local) return { type: 'reference', targetType: local[1], targetId: local[2], url: null };
  const abs = ABSOLUTE_REF.exec(ref);
  if (abs) return { type: 'reference', targetType: abs[2], targetId: abs[3], url: ref.split('|')[0] };
  return { type: 'reference', targetType: type, targetId: null, url: ref.split('|')[0] };
}
