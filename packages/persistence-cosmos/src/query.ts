// Translates core's search expression tree (chains and _has already resolved to key lists, see
// joins.ts) into a parameterized Cosmos SQL condition on the current-version document `c`. Every
// value from the request travels as a @parameter; only parameter codes validated by `codePath`
// and generated aliases are written into the text.
import type { SqlParameter } from '@azure/cosmos';
import { badRequest, notSupported, type Predicate, type RangeTest, type SearchExpr } from '@hestia/core';
import { finite, kindOf } from './doc-index.js';

/** The expression tree after chains and _has ran as sub-queries. */
export type ResolvedExpr =
  | { kind: 'and' | 'or'; exprs: ResolvedExpr[] }
  | { kind: 'not'; expr: ResolvedExpr }
  | Extract<SearchExpr, { kind: 'value' | 'missing' | 'id' | 'lastUpdated' | 'type' }>
  /** Chain: some reference of parameter `code` points to one of `keys` ("Type/id"). */
  | { kind: 'refIn'; code: string; keys: string[] }
  /** _has: the resource itself is one of `keys`. */
  | { kind: 'keyIn'; keys: string[] };

type Json = string | number | boolean | null | Json[];

/** Not deleted (the resources container holds only current versions): what every search starts from. */
export const CURRENT = 'c.del = false';

const CODE = /^[A-Za-z0-9_][A-Za-z0-9_\-.:]{0,127}$/;

/** `c.srt["code"]`: parameter codes become property names in ORDER BY, which cannot take parameters. */
export function codePath(root: string, code: string): string {
  if (!CODE.test(code)) throw badRequest(`The search parameter code '${code}' cannot be sorted on by this storage.`, 'not-supported');
  return `${root}[${JSON.stringify(code)}]`;
}

export class QueryBuilder {
  readonly parameters: SqlParameter[] = [];
  private n = 0;

  bind(value: Json): string {
    const name = `@p${this.parameters.length}`;
    this.parameters.push({ name, value });
    return name;
  }

  private alias(prefix: string): string {
    return `${prefix}${++this.n}`;
  }

  /** The condition that the search's types and expression hold for the current document `c`. */
  where(types: string[], expr: ResolvedExpr | undefined): string {
    const parts = [CURRENT];
    if (types.length) parts.push(`ARRAY_CONTAINS(${this.bind(types)}, c.type)`);
    if (expr) parts.push(this.expr(expr));
    return parts.join(' AND ');
  }

  expr(e: ResolvedExpr): string {
    switch (e.kind) {
      case 'and': return e.exprs.length ? `(${e.exprs.map((x) => this.expr(x)).join(' AND ')})` : 'true';
      case 'or': return e.exprs.length ? this.anyOf(e.exprs) : 'false';
      case 'not': return `NOT (${this.expr(e.expr)})`;
      case 'id': return e.ids.length ? `ARRAY_CONTAINS(${this.bind(e.ids)}, c.fid)` : 'false';
      case 'type': return `ARRAY_CONTAINS(${this.bind(e.types)}, c.type)`;
      case 'lastUpdated': return this.range(e.range, () => 'c.ts');
      case 'missing': {
        const has = `ARRAY_CONTAINS(c.idx.codes, ${this.bind(e.param.code)})`;
        return e.missing ? `NOT ${has}` : has;
      }
      case 'value': return this.exists(e.param.code, e.predicate);
      case 'refIn': return e.keys.length ? this.refsIn(e.code, e.keys) : 'false';
      case 'keyIn': return e.keys.length ? `ARRAY_CONTAINS(${this.bind(e.keys)}, c.pk)` : 'false';
    }
  }

  /**
   * An `or` of local references on one parameter (what _revinclude produces) is one ARRAY_CONTAINS
   * over the keys instead of one EXISTS per reference; so is an `or` of one reference on several
   * parameters (what compartments produce) over the parameters.
   */
  private anyOf(exprs: ResolvedExpr[]): string {
    const refs = exprs.map((x) => (x.kind === 'value' && x.predicate.type === 'reference' && x.predicate.targetType && x.predicate.targetId ? { code: x.param.code, key: `${x.predicate.targetType}/${x.predicate.targetId}` } : undefined));
    if (refs.length > 1 && refs.every((r) => r && r.code === refs[0]!.code)) return this.refsIn(refs[0]!.code, refs.map((r) => r!.key));
    if (refs.length > 1 && refs.every((r) => r && r.key === refs[0]!.key)) return this.refsIn(refs.map((r) => r!.code), [refs[0]!.key]);
    return `(${exprs.map((x) => this.expr(x)).join(' OR ')})`;
  }

  private refsIn(code: string | string[], keys: string[]): string {
    const i = this.alias('r');
    const codes = Array.isArray(code) ? `ARRAY_CONTAINS(${this.bind([...new Set(code)])}, ${i}.c)` : `${i}.c = ${this.bind(code)}`;
    return `EXISTS(SELECT VALUE ${i} FROM ${i} IN c.idx.ref WHERE ${codes} AND ARRAY_CONTAINS(${this.bind(keys)}, ${i}.r))`;
  }

  private exists(code: string, p: Predicate): string {
    const kind = p.type === 'token-text' || p.type === 'token-in' || p.type === 'token-hierarchy' ? 'tok' : kindOf(p.type);
    if (!kind) throw notSupported('This storage has no full-text search (_text, _content).');
    const i = this.alias('i');
    return `EXISTS(SELECT VALUE ${i} FROM ${i} IN c.idx.${kind} WHERE ${i}.c = ${this.bind(code)} AND ${this.predicate(p, i)})`;
  }

  private range(t: RangeTest, field: (bound: 'low' | 'high') => string): string {
    const conds = t.conds.map((c) => `${field(c.bound)} ${c.op} ${this.bind(finite(c.value))}`).join(' AND ');
    return t.negate ? `NOT (${conds})` : `(${conds})`;
  }

  /** The predicate on index entry `a` (an entry of the predicate's kind, or a composite component value). */
  predicate(p: Predicate, a: string): string {
    switch (p.type) {
      case 'string':
        if (p.match === 'exact') return `${a}.e = ${this.bind(p.value)}`;
        return `${p.match === 'contains' ? 'CONTAINS' : 'STARTSWITH'}(${a}.n, ${this.bind(p.value)})`;
      case 'token': {
        const parts: string[] = [];
        if (p.code !== undefined) parts.push(p.ignoreCase ? `LOWER(${a}.v) = ${this.bind(p.code.toLowerCase())}` : `${a}.v = ${this.bind(p.code)}`);
        if (p.system === null) parts.push(`${a}.s = null`);
        else if (p.system !== undefined) parts.push(`${a}.s = ${this.bind(p.system)}`);
        return parts.length ? parts.join(' AND ') : 'true';
      }
      case 'token-text':
        return `(STARTSWITH(${a}.t, ${this.bind(p.text)}) OR CONTAINS(${a}.t, ${this.bind(` ${p.text}`)}))`;
      case 'date':
      case 'number':
        return this.range(p.range, (b) => `${a}.${b === 'low' ? 'lo' : 'hi'}`);
      case 'quantity': {
        const parts = [this.range(p.range, (b) => `${a}.${b === 'low' ? 'lo' : 'hi'}`)];
        if (p.system !== undefined && p.system !== null) parts.push(`${a}.s = ${this.bind(p.system)}`);
        if (p.code !== undefined) parts.push(`${a}.v = ${this.bind(p.code)}`);
        return parts.join(' AND ');
      }
      case 'reference': {
        if (p.url !== undefined) return `${a}.u = ${this.bind(p.url)}`;
        if (p.targetId === undefined) return p.targetType ? `${a}.t = ${this.bind(p.targetType)} AND IS_DEFINED(${a}.i)` : 'false';
        const parts = [`${a}.i = ${this.bind(p.targetId)}`];
        if (p.targetType) parts.push(`${a}.t = ${this.bind(p.targetType)}`);
        return parts.join(' AND ');
      }
      case 'uri':
        if (p.match === 'below') return `STARTSWITH(${a}.v, ${this.bind(p.value)})`;
        if (p.match === 'above') return `STARTSWITH(${this.bind(p.value)}, ${a}.v)`;
        return `${a}.v = ${this.bind(p.value)}`;
      case 'composite':
        // Every component must hold on values of the same composite entry: p[k] holds component k's values.
        return p.components.map((comp, k) => {
          const v = this.alias('v');
          return `EXISTS(SELECT VALUE ${v} FROM ${v} IN ${a}.p[${k}] WHERE ${this.predicate(comp, v)})`;
        }).join(' AND ');
      case 'text':
        throw notSupported('This storage has no full-text search (_text, _content).');
      case 'token-in':
      case 'token-hierarchy':
        throw new Error('Terminology predicates are resolved by core before translation.');
    }
  }
}
