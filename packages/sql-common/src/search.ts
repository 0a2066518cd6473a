// Translates core's search expression tree into SQL over the resource and search_index tables that
// every SQL adapter shares. It never reads a URL: core has already parsed, typed and normalized
// every value. What differs between databases goes through the dialect; placeholders are knex's `?`.
import type { Predicate, RangeTest, SearchExpr, SearchQuery, SortKey } from '@hestia/core';
import type { SqlDialect } from './dialect.js';
import { clampMs } from './ranges.js';

export interface Sql { text: string; bindings: unknown[] }

/** Column accessors: index-table columns, or fields of a composite component in json. */
type Col = (field: string) => string;
const tableCols = (a: string): Col => (f) => `${a}.${f}`;

// json component fields are the IndexValue properties (values.ts).
const JSON_FIELDS: Record<string, string> = {
  str_norm: 'value', str_exact: 'exact', tok_system: 'system', tok_code: 'code', tok_text: 'text',
  ref_type: 'targetType', ref_id: 'targetId', ref_url: 'url', uri: 'value', q_system: 'system', q_code: 'code',
};

type LocalRef = Extract<SearchExpr, { kind: 'value' }> & { predicate: { type: 'reference'; targetType: string; targetId: string } };
/** A local reference test (Type/id), which can share one IN list with others of its parameter and type. */
const isLocalRef = (e: SearchExpr): e is LocalRef =>
  e.kind === 'value' && e.predicate.type === 'reference' && e.predicate.url === undefined && !!e.predicate.targetType && e.predicate.targetId !== undefined;

export class SqlBuilder {
  readonly bindings: unknown[] = [];
  private n = 0;

  constructor(readonly dialect: SqlDialect) {}

  bind(v: unknown): string {
    this.bindings.push(v);
    return '?';
  }
  alias(prefix: string): string {
    return `${prefix}${++this.n}`;
  }

  /**
   * An OR. Several local references through the same parameter to the same type (the _revinclude of
   * a page, compartments) become one index lookup with an IN list instead of one subquery each.
   */
  private or(exprs: SearchExpr[], r: string, types: string[]): string {
    const groups = new Map<string, LocalRef[]>();
    const keyOf = (x: SearchExpr) => (isLocalRef(x) ? JSON.stringify([x.param.code, x.predicate.targetType]) : undefined);
    for (const x of exprs) {
      const k = keyOf(x);
      if (k) groups.set(k, [...(groups.get(k) ?? []), x as LocalRef]);
    }
    const parts: string[] = [];
    const done = new Set<string>();
    for (const x of exprs) {
      const k = keyOf(x);
      const group = k ? groups.get(k)! : [];
      if (group.length < 2) parts.push(this.expr(x, r, types));
      else if (!done.has(k!)) {
        done.add(k!);
        const i = this.alias('i');
        const ids = [...new Set(group.map((g) => g.predicate.targetId))];
        parts.push(`exists (select 1 from search_index ${i} where ${i}.rid = ${r}.rid and ${i}.resource_type = ${r}.resource_type and ${i}.code = ${this.bind(group[0].param.code)}`
          + ` and ${i}.ref_id in (${ids.map((id) => this.bind(id)).join(', ')}) and ${i}.ref_type = ${this.bind(group[0].predicate.targetType)})`);
      }
    }
    return parts.length === 1 ? parts[0] : `(${parts.join(' or ')})`;
  }

  private jsonCols(a: string, type: string): Col {
    return (f) => {
      if (f === 'lo' || f === 'hi') return this.dialect.jsonField(a, type === 'date' ? (f === 'lo' ? 'low' : 'high') : 'value', true);
      return this.dialect.jsonField(a, JSON_FIELDS[f], false);
    };
  }

  /** Condition on resource alias `r` for `expr`, where `types` are the resource types `r` may have. */
  expr(e: SearchExpr, r: string, types: string[]): string {
    const d = this.dialect;
    switch (e.kind) {
      case 'and': return e.exprs.length ? `(${e.exprs.map((x) => this.expr(x, r, types)).join(' and ')})` : d.alwaysTrue;
      case 'or': return e.exprs.length ? this.or(e.exprs, r, types) : d.alwaysFalse;
      case 'not': return `not ${this.expr(e.expr, r, types)}`;
      case 'id': return e.ids.length ? `${r}.id in (${e.ids.map((id) => this.bind(id)).join(', ')})` : d.alwaysFalse;
      case 'type': return `${r}.resource_type in (${e.types.map((t) => this.bind(t)).join(', ')})`;
      case 'lastUpdated': {
        const c = (_f: string) => `${r}.last_updated`;
        return this.range(e.range, c, (v) => d.timestamp(clampMs(v), (x) => this.bind(x)));
      }
      case 'missing': {
        const i = this.alias('m');
        const exists = `exists (select 1 from search_index ${i} where ${i}.rid = ${r}.rid and ${i}.code = ${this.bind(e.param.code)})`;
        return e.missing ? `not ${exists}` : exists;
      }
      case 'value': {
        const i = this.alias('i');
        // Index rows carry their resource's type, and the partial indexes lead with it.
        return `exists (select 1 from search_index ${i} where ${i}.rid = ${r}.rid and ${i}.resource_type = ${r}.resource_type and ${i}.code = ${this.bind(e.param.code)} and ${this.predicate(e.predicate, tableCols(i), i)})`;
      }
      case 'chain': {
        const i = this.alias('c'), t = this.alias('t');
        return `exists (select 1 from search_index ${i} join resource ${t} on ${t}.resource_type = ${i}.ref_type and ${t}.id = ${i}.ref_id`
          + ` where ${i}.rid = ${r}.rid and ${i}.resource_type = ${r}.resource_type and ${i}.code = ${this.bind(e.param.code)} and ${i}.ref_type in (${e.targetTypes.map((x) => this.bind(x)).join(', ')})`
          + ` and ${d.notDeleted(t)} and ${this.expr(e.expr, t, e.targetTypes)})`;
      }
      case 'has': {
        const i = this.alias('h'), s = this.alias('s');
        return `exists (select 1 from search_index ${i} join resource ${s} on ${s}.rid = ${i}.rid`
          + ` where ${i}.resource_type = ${this.bind(e.sourceType)} and ${i}.code = ${this.bind(e.param.code)}`
          + ` and ${i}.ref_id = ${r}.id and ${i}.ref_type = ${r}.resource_type and ${d.notDeleted(s)} and ${this.expr(e.expr, s, [e.sourceType])})`;
      }
    }
  }

  private range(t: RangeTest, col: Col, val: (v: number) => string = (v) => this.bind(clampMs(v))): string {
    const conds = t.conds.map((c) => `${col(c.bound === 'low' ? 'lo' : 'hi')} ${c.op} ${val(c.value)}`).join(' and ');
    return t.negate ? `not (${conds})` : `(${conds})`;
  }

  private like(value: string, pattern: unknown): string {
    return this.dialect.like(value, this.bind(pattern));
  }

  predicate(p: Predicate, col: Col, alias: string): string {
    const d = this.dialect;
    switch (p.type) {
      case 'string':
        if (p.match === 'exact') return `${col('str_exact')} = ${this.bind(p.value)}`;
        if (p.match === 'contains') return this.like(col('str_norm'), `%${d.escapeLike(p.value)}%`);
        return this.like(col('str_norm'), `${d.escapeLike(p.value)}%`);
      case 'token': {
        const parts: string[] = [];
        if (p.code !== undefined) parts.push(`${col('tok_code')} = ${this.bind(p.code)}`);
        else parts.push(`${col('tok_code')} is not null`);
        if (p.system === null) parts.push(`${col('tok_system')} is null`);
        else if (p.system !== undefined) parts.push(`${col('tok_system')} = ${this.bind(p.system)}`);
        return parts.join(' and ');
      }
      case 'token-text':
        return `(${this.like(col('tok_text'), `${d.escapeLike(p.text)}%`)} or ${this.like(col('tok_text'), `% ${d.escapeLike(p.text)}%`)})`;
      case 'date':
      case 'number':
        return this.range(p.range, col);
      case 'quantity': {
        const parts = [this.range(p.range, col)];
        if (p.system !== undefined && p.system !== null) parts.push(`${col('q_system')} = ${this.bind(p.system)}`);
        if (p.code !== undefined) parts.push(`${col('q_code')} = ${this.bind(p.code)}`);
        return parts.join(' and ');
      }
      case 'reference': {
        if (p.url !== undefined) return `${col('ref_url')} = ${this.bind(p.url)}`;
        const parts = [`${col('ref_id')} = ${this.bind(p.targetId)}`];
        if (p.targetType) parts.push(`${col('ref_type')} = ${this.bind(p.targetType)}`);
        return parts.join(' and ');
      }
      case 'uri':
        if (p.match === 'below') return this.like(col('uri'), `${d.escapeLike(p.value)}%`);
        if (p.match === 'above') return d.like(this.bind(p.value), `(${d.concat([d.escapeLikeSql(col('uri')), `'%'`])})`);
        return `${col('uri')} = ${this.bind(p.value)}`;
      case 'token-in':
      case 'token-hierarchy':
        throw new Error('Terminology predicates are resolved by core before translation.');
      case 'text':
        return d.fullText(col('fts'), this.bind(p.query));
      case 'composite': {
        // Every component must hold on values of the same composite entry: comp is [[values of component 0], [values of component 1], ...].
        const parts = p.components.map((c, k) => {
          const v = this.alias('v');
          const type = c.type === 'token-text' ? 'token' : c.type;
          return `exists (select 1 from ${d.jsonElements(`${alias}.comp`, k, v)} where ${this.predicate(c, this.jsonCols(v, type), v)})`;
        });
        return parts.join(' and ');
      }
    }
  }

  /** Sort value of one key on resource alias r: the lowest value ascending, the highest descending. */
  sortValue(k: SortKey, r: string): string {
    if (k.param.code === '_id') return `${r}.id`;
    if (k.param.code === '_lastUpdated') return `${r}.last_updated`;
    const agg = k.descending ? 'max' : 'min';
    const i = this.alias('o');
    const column: Record<string, string> = {
      string: 'str_norm', token: 'tok_code', date: k.descending ? 'hi' : 'lo', number: 'lo', quantity: 'lo', uri: 'uri',
    };
    const value = k.param.type === 'reference' ? this.dialect.concat([`${i}.ref_type`, `'/'`, `${i}.ref_id`]) : `${i}.${column[k.param.type]}`;
    return `(select ${agg}(${value}) from search_index ${i} where ${i}.rid = ${r}.rid and ${i}.code = ${this.bind(k.param.code)})`;
  }
}

export interface OrderColumn { sql: string; desc: boolean; nullable: boolean }

/**
 * Keyset condition: rows strictly after (or before) `key` in the order of `cols` (nulls last), with rid
 * as the tiebreak. Values are bound in text order, and only where they appear.
 */
export function keyset(b: SqlBuilder, cols: OrderColumn[], key: unknown[], backwards: boolean): string {
  const build = (i: number): string => {
    const { sql, desc, nullable } = cols[i];
    const v = key[i];
    const forwardGreater = desc !== backwards; // descending (or going back on ascending) wants smaller values
    const isNull = v === null || v === undefined;
    const cmp = forwardGreater ? '<' : '>';
    const beyond = isNull
      ? (backwards ? `${sql} is not null` : b.dialect.alwaysFalse)
      // (no `is null` alternative for a column that is never null, so `rid > ?` can be an index condition)
      : (backwards || !nullable ? `${sql} ${cmp} ${b.bind(v)}` : `(${sql} ${cmp} ${b.bind(v)} or ${sql} is null)`);
    if (i === cols.length - 1) return `(${beyond})`;
    const equal = isNull ? `${sql} is null` : `${sql} = ${b.bind(v)}`;
    return `(${beyond} or (${equal} and ${build(i + 1)}))`;
  };
  return cols.length ? build(0) : b.dialect.alwaysFalse;
}

/** The conditions every search starts with: current versions of the searched types, then the expression. */
function conditions(b: SqlBuilder, q: SearchQuery): string {
  const where: string[] = [b.dialect.notDeleted('r')];
  if (q.types.length) where.push(`r.resource_type in (${q.types.map((t) => b.bind(t)).join(', ')})`);
  if (q.where) where.push(b.expr(q.where, 'r', q.types));
  return where.join(' and ');
}

export function buildSearch(q: SearchQuery, dialect: SqlDialect): { select: Sql; count?: Sql } {
  // Sort values are computed once in an inner select (x.k0, x.k1, ...); the keyset and the order by
  // refer to them, so every placeholder appears once and in textual order.
  const b = new SqlBuilder(dialect);
  const sortSel = q.sort.map((k, i) => `${b.sortValue(k, 'r')} as k${i}`);
  const inner = `select r.resource_type, r.id, r.version_id, r.last_updated, r.content, ${[...sortSel, 'r.rid'].join(', ')} from resource r where ${conditions(b, q)}`;
  const order: OrderColumn[] = [...q.sort.map((k, i) => ({ sql: `x.k${i}`, desc: k.descending, nullable: true })), { sql: 'x.rid', desc: false, nullable: false }];
  const backwards = !!q.before;
  const key = q.before ?? q.after;
  const page = key ? ` where ${keyset(b, order, key, backwards)}` : '';
  const orderBy = order.map((c) => dialect.orderTerm(c.sql, c.desc !== backwards, backwards, c.nullable)).join(', ');
  const select = { text: dialect.selectLimited('x.*', `from (${inner}) x${page} order by ${orderBy}`, Number(q.count) + 1), bindings: b.bindings };

  let count: Sql | undefined;
  if (q.total === 'accurate' || q.total === 'estimate') {
    const c = new SqlBuilder(dialect);
    count = { text: `select count(*) as n from resource r where ${conditions(c, q)}`, bindings: c.bindings };
  }
  return { select, count };
}
