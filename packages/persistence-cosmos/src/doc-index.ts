// Core's index entries in the shape stored inside each current-version document: one array per
// value kind, so that Cosmos SQL can test them with EXISTS(SELECT VALUE i FROM i IN c.idx.<kind> …),
// plus the precomputed sort strings that ORDER BY uses (Cosmos orders by stored paths only).
import type { IndexEntry, IndexValue } from '@hestia/core';

/** Field names are short (they are repeated in every entry) and avoid Cosmos' reserved words such as `value`. */
export interface StrEntry { c: string; n: string; e: string }
export interface TokEntry { c: string; s: string | null; v: string | null; t: string | null }
/** Dates (inclusive [low, high] in epoch ms), numbers and quantities (lo = hi = value; s/v = unit system/code). */
export interface RngEntry { c: string; lo: number; hi: number; s?: string | null; v?: string | null }
/** `r` = "Type/id" for local references (what chains and _has match), `u` = absolute or canonical url. */
export interface RefEntry { c: string; t: string | null; i: string | null; u: string | null; r: string | null }
export interface UriEntry { c: string; v: string }
/** Composite: `p[k]` holds the values of component k, each in the shape of its own kind (without `c`). */
export interface CmpEntry { c: string; p: Omit<Shaped, 'c'>[][] }
type Shaped = StrEntry | TokEntry | RngEntry | RefEntry | UriEntry;

export interface DocIndex {
  /** Every parameter code with at least one value (for :missing). */
  codes: string[];
  str: StrEntry[];
  tok: TokEntry[];
  rng: RngEntry[];
  ref: RefEntry[];
  uri: UriEntry[];
  cmp: CmpEntry[];
}

export type IndexKind = Exclude<keyof DocIndex, 'codes'>;
const KINDS: IndexKind[] = ['str', 'tok', 'rng', 'ref', 'uri', 'cmp'];

/** JSON has no infinities: open date range ends become the largest finite doubles. */
export const finite = (n: number): number => (Number.isFinite(n) ? n : n > 0 ? Number.MAX_VALUE : -Number.MAX_VALUE);

/** The array a value type is stored in (text values are not stored: this adapter has no full-text search). */
export function kindOf(type: IndexValue['type']): IndexKind | undefined {
  switch (type) {
    case 'string': return 'str';
    case 'token': return 'tok';
    case 'date': case 'number': case 'quantity': return 'rng';
    case 'reference': return 'ref';
    case 'uri': return 'uri';
    case 'composite': return 'cmp';
    case 'text': return undefined;
  }
}

function shape(code: string, v: IndexValue): Shaped | CmpEntry | undefined {
  switch (v.type) {
    case 'string': return { c: code, n: v.value, e: v.exact };
    case 'token': return { c: code, s: v.system, v: v.code, t: v.text };
    case 'date': return { c: code, lo: finite(v.low), hi: finite(v.high) };
    case 'number': return { c: code, lo: v.value, hi: v.value };
    case 'quantity': return { c: code, lo: v.value, hi: v.value, s: v.system, v: v.code };
    case 'reference': return { c: code, t: v.targetType, i: v.targetId, u: v.url, r: v.targetType && v.targetId ? `${v.targetType}/${v.targetId}` : null };
    case 'uri': return { c: code, v: v.value };
    case 'composite': return { c: code, p: v.components.map((vals) => vals.flatMap((x) => component(x))) };
    case 'text': return undefined;
  }
}

function component(v: IndexValue): Omit<Shaped, 'c'>[] {
  const s = shape('', v);
  if (!s || 'p' in s) return [];
  const { c: _c, ...rest } = s;
  return [rest];
}

export const emptyIndex = (): DocIndex => ({ codes: [], str: [], tok: [], rng: [], ref: [], uri: [], cmp: [] });

export function toDocIndex(entries: IndexEntry[]): DocIndex {
  const idx = emptyIndex();
  for (const { code, value } of entries) {
    const kind = kindOf(value.type);
    const s = kind && shape(code, value);
    if (!kind || !s) continue;
    (idx[kind] as unknown[]).push(s);
  }
  idx.codes = codesOf(idx);
  return idx;
}

function codesOf(idx: DocIndex): string[] {
  return [...new Set(KINDS.flatMap((k) => idx[k].map((e) => e.c)))];
}

/** `base` without the entries of `codes`, plus `fresh` (reindexing of some parameters). */
export function mergeIndex(base: DocIndex, fresh: DocIndex, codes: string[]): DocIndex {
  const drop = new Set(codes);
  const out = emptyIndex();
  for (const k of KINDS) (out[k] as unknown[]) = [...(base[k] ?? []).filter((e) => !drop.has(e.c)), ...fresh[k]];
  out.codes = codesOf(out);
  return out;
}

// ---- sort strings -------------------------------------------------------------------------------

/** Sort strings of one parameter: `a` orders ascending (from its lowest value), `d` descending (from its highest). */
export interface SortPair { a: string; d: string }
export type SortValues = Record<string, SortPair>;

/** Separates a sort value from the tiebreak; stripped from values so that a shorter value sorts first. */
const SEP = '\u0001';
const clean = (s: string) => s.replace(/[\u0000\u0001]/g, '');

/** Sixteen hex digits whose string order is the numeric order of the double (negatives included). */
export function encodeNumber(n: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, n === 0 ? 0 : n);
  let hi = view.getUint32(0), lo = view.getUint32(4);
  if (hi & 0x80000000) {
    hi = ~hi >>> 0;
    lo = ~lo >>> 0;
  } else {
    hi = (hi | 0x80000000) >>> 0;
  }
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}

/** The sort string of a value: unique per resource thanks to the tiebreak (the resource's partition key). */
export const sortString = (value: string, tiebreak: string) => `${value}${SEP}${tiebreak}`;

/** The value part of a sort string (without its tiebreak). */
export const sortValueOf = (s: string) => s.slice(0, s.lastIndexOf(SEP));

/** Sort values of every sortable parameter, and of _id and _lastUpdated. */
export function sortValues(idx: DocIndex, doc: { id: string; ts: number; pk: string }): SortValues {
  const values = new Map<string, { lo: string[]; hi: string[] }>();
  const add = (code: string, lo: string | null, hi: string | null = lo) => {
    if (lo === null || hi === null) return;
    const v = values.get(code) ?? { lo: [], hi: [] };
    v.lo.push(lo);
    v.hi.push(hi);
    values.set(code, v);
  };
  for (const e of idx.str) add(e.c, clean(e.n));
  for (const e of idx.tok) add(e.c, e.v === null ? null : clean(e.v));
  for (const e of idx.rng) add(e.c, encodeNumber(e.lo), encodeNumber(e.hi));
  for (const e of idx.ref) add(e.c, e.r === null ? null : clean(e.r));
  for (const e of idx.uri) add(e.c, clean(e.v));
  const out: SortValues = {};
  for (const [code, v] of values) {
    const min = v.lo.reduce((a, b) => (b < a ? b : a));
    const max = v.hi.reduce((a, b) => (b > a ? b : a));
    out[code] = { a: sortString(min, doc.pk), d: sortString(max, doc.pk) };
  }
  const id = sortString(clean(doc.id), doc.pk), lu = sortString(encodeNumber(doc.ts), doc.pk);
  out._id = { a: id, d: id };
  out._lastUpdated = { a: lu, d: lu };
  return out;
}
