// Translates core's search expression tree into PostgreSQL. It never reads a URL: core has
// already parsed, typed and normalized every value. Placeholders are knex's `?`.
import type { Predicate, RangeTest, SearchExpr, SearchQuery, SortKey } from '@hestia/core';

export interface Sql { text: string; bindings: unknown[] }

/** Large finite stand-ins for open date range ends (epoch ms), stored in numeric columns. */
export const MIN_MS = -8.64e15;
export const MAX_MS = 8.64e15;
export const clampMs = (v: number) => (v === -Infinity ? MIN_MS : v === Infinity ? MAX_MS : v);

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Column accessors: index-table columns, or fields of a composite component in jsonb. */
type Col = (field: string) => string;
const tableCols = (a: string): Col => (f) => `${a}.${f}`;

// jsonb component fields are the IndexValue properties (values.ts).
const JSON_FIELDS: Record<string, [string, 'text' | 'numeric']> = {
  str_norm: ['value', 'text'], str_exact: ['exact', 'text'], tok_system: ['system', 'text'], tok_code: ['code', 'text'], tok_text: ['text', 'text'],
  ref_type: ['targetType', 'text'], ref_id: ['targetId', 'text'], ref_url: ['url', 'text'], uri: ['value', 'text'], q_system: ['system', 'text'], q_code: ['code', 'text'],
};
const jsonCols = (a: string, type: string): Col => (f) => {
  if (f === 'lo' || f === 'hi') {
    const name = type === 'date' ? (f === 'lo' ? 'low' : 'high') : 'value';
    return `cast(${a}->>'${name}' as numeric)`;
  }
  const [name] = JSON_FIELDS[f];
  return `(${a}->>'${name}')`;
};

export class SqlBuilder {
  readonly bindings: unknown[] = [];
  private n = 0;

  bind(v: unknown): string {
    this.bindings.push(v);
    return '?';
  }
  alias(prefix: string): string {
    return `${prefix}${++this.n}`;
  }

  /** Condition on resource alias `r` for `expr`, where `types` are the resource types `r` may have. */
  expr(e: SearchExpr, r: string, types: string[]): string {
    switch (e.kind) {
      case 'and': return e.exprs.length ? `(${e.exprs.map((x) => this.expr(x, r, types)).join(' and ')})` : 'true';
      case 'or': return e.exprs.length ? `(${e.exprs.map((x) => this.expr(x, r, types)).join(' or ')})` : 'false';
      case 'not': return `not ${this.expr(e.expr, r, types)}`;
      case 'id': return e.ids.length ? `${r}.id in (${e.ids.map((id) => this.bind(id)).join(', ')})` : 'false';
      case 'type': return `${r}.resource_type in (${e.types.map((t) => this.bind(t)).join(', ')})`;
      case 'lastUpdated': {
        const c = (_f: string) => `${r}.last_updated`;
        return this.range(e.range, c, (v) => `cast(${this.bind(new Date(clampMs(v)).toISOString())} as timestamptz)`);
      }
      case 'missing': {
        const i = this.alias('m');
        const exists = `exists (select 1 from search_index ${i} where ${i}.rid = ${r}.rid and ${i}.code = ${this.bind(e.param.code)})`;
        return e.missing ? `not ${exists}` : exists;
      }
      case 'value': {
        const i = this.alias('i');
        return `exists (select 1 from search_index ${i} where ${i}.rid = ${r}.rid and ${i}.code = ${this.bind(e.param.code)} and ${this.predicate(e.predicate, tableCols(i), i)})`;
      }
      case 'chain': {
        const i = this.alias('c'), t = this.alias('t');
        return `exists (select 1 from search_index ${i} join resource ${t} on ${t}.resource_type = ${i}.ref_type and ${t}.id = ${i}.ref_id`
          + ` where ${i}.rid = ${r}.rid and ${i}.code = ${this.bind(e.param.code)} and ${i}.ref_type in (${e.targetTypes.map((x) => this.bind(x)).join(', ')})`
          + ` and not ${t}.deleted and ${this.expr(e.expr, t, e.targetTypes)})`;
      }
      case 'has': {
        const i = this.alias('h'), s = this.alias('s');
        return `exists (select 1 from search_index ${i} join resource ${s} on ${s}.rid = ${i}.rid`
          + ` where ${i}.resource_type = ${this.bind(e.sourceType)} and ${i}.code = ${this.bind(e.param.code)}`
          + ` and ${i}.ref_id = ${r}.id and ${i}.ref_type = ${r}.resource_type and not ${s}.deleted and ${this.expr(e.expr, s, [e.sourceType])})`;
      }
    }
  }

  private range(t: RangeTest, col: Col, val: (v: number) => string = (v) => this.bind(clampMs(v))): string {
    const conds = t.conds.map((c) => `${col(c.bound === 'low' ? 'lo' : 'hi')} ${c.op} ${val(c.value)}`).join(' and ');
    return t.negate ? `not (${conds})` : `(${conds})`;
  }

  predicate(p: Predicate, col: Col, alias: string): string {
    switch (p.type) {
      case 'string':
        if (p.match === 'exact') return `${col('str_exact')} = ${this.bind(p.value)}`;
        if (p.match === 'contains') return `${col('str_norm')} like ${this.bind(`%${escapeLike(p.value)}%`)}`;
        return `${col('str_norm')} like ${this.bind(`${escapeLike(p.value)}%`)}`;
      case 'token': {
        const parts: string[] = [];
        if (p.code !== undefined) parts.push(`${col('tok_code')} = ${this.bind(p.code)}`);
        else parts.push(`${col('tok_code')} is not null`);
        if (p.system === null) parts.push(`${col('tok_system')} is null`);
        else if (p.system !== undefined) parts.push(`${col('tok_system')} = ${this.bind(p.system)}`);
        return parts.join(' and ');
      }
      case 'token-text':
        return `(${col('tok_text')} like ${this.bind(`${escapeLike(p.text)}%`)} or ${col('tok_text')} like ${this.bind(`% ${escapeLike(p.text)}%`)})`;
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
        if (p.match === 'below') return `${col('uri')} like ${this.bind(`${escapeLike(p.value)}%`)}`;
        if (p.match === 'above') return `${this.bind(p.value)} like (replace(replace(${col('uri')}, '%', '\\%'), '_', '\\_') || '%')`;
        return `${col('uri')} = ${this.bind(p.value)}`;
      case 'token-in':
      case 'token-hierarchy':
        throw new Error('Terminology predicates are resolved by core before translation.');
      case 'text':
        return `${col('fts')} @@ plainto_tsquery('simple', ${this.bind(p.query)})`;
      case 'composite': {
        // Every component must hold on values of the same composite entry: comp is [[values of component 0], [values of component 1], ...].
        const parts = p.components.map((c, k) => {
          const v = this.alias('v');
          const type = c.type === 'token-text' ? 'token' : c.type;
          return `exists (select 1 from jsonb_array_elements(${alias}.comp->${k}) ${v} where ${this.predicate(c, jsonCols(v, type), v)})`;
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
    const column: Record<string, string> = {
      string: 'str_norm', token: 'tok_code', date: k.descending ? 'hi' : 'lo', number: 'lo', quantity: 'lo', uri: 'uri', reference: `ref_type || '/' || ref_id`,
    };
    const col = column[k.param.type];
    const i = this.alias('o');
    return `(select ${agg}(${col.replace(/(ref_type|ref_id|str_norm|tok_code|lo|hi|uri)/g, `${i}.$1`)}) from search_index ${i} where ${i}.rid = ${r}.rid and ${i}.code = ${this.bind(k.param.code)})`;
  }
}

/** Keyset condition: rows strictly after (or before) `key` in the order of `cols` (nulls last), with rid as the tiebreak. */
export function keyset(b: SqlBuilder, cols: { sql: string; desc: boolean }[], key: unknown[], backwards: boolean): string {
  const build = (i: number): string => {
    if (i === cols.length) return 'false';
    const { sql, desc } = cols[i];
    const v = key[i];
    const forwardGreater = desc !== backwards; // descending (or going back on ascending) wants smaller values
    let beyond: string, equal: string;
    if (v === null || v === undefined) {
      beyond = backwards ? `${sql} is not null` : 'false';
      equal = `${sql} is null`;
    } else {
      const cmp = forwardGreater ? '<' : '>';
      beyond = backwards ? `${sql} ${cmp} ${b.bind(v)}` : `(${sql} ${cmp} ${b.bind(v)} or ${sql} is null)`;
      equal = `${sql} = ${b.bind(v)}`;
    }
    const rest = build(i + 1);
    return rest === 'false' ? `(${beyond})` : `(${beyond} or (${equal} and ${rest}))`;
  };
  return build(0);
}

export function buildSearch(q: SearchQuery): { select: Sql; count?: Sql } {
  // Sort values are computed once in an inner select (x.k0, x.k1, ...); the keyset and the order by
  // refer to them, so every placeholder appears once and in textual order.
  const b = new SqlBuilder();
  const sortSel = q.sort.map((k, i) => `${b.sortValue(k, 'r')} as k${i}`);
  const where: string[] = ['not r.deleted'];
  if (q.types.length) where.push(`r.resource_type in (${q.types.map((t) => b.bind(t)).join(', ')})`);
  if (q.where) where.push(b.expr(q.where, 'r', q.types));
  const inner = `select r.resource_type, r.id, r.version_id, r.last_updated, r.content, ${[...sortSel, 'r.rid'].join(', ')} from resource r where ${where.join(' and ')}`;
  const order = [...q.sort.map((k, i) => ({ sql: `x.k${i}`, desc: k.descending })), { sql: 'x.rid', desc: false }];
  const backwards = !!q.before;
  const key = q.before ?? q.after;
  const page = key ? ` where ${keyset(b, order, key, backwards)}` : '';
  const dir = (desc: boolean) => (desc !== backwards ? 'desc' : 'asc');
  const orderBy = order.map((c) => `${c.sql} ${dir(c.desc)} nulls ${backwards ? 'first' : 'last'}`).join(', ');
  const select = { text: `select x.* from (${inner}) x${page} order by ${orderBy} limit ${Number(q.count) + 1}`, bindings: b.bindings };

  let count: Sql | undefined;
  if (q.total === 'accurate' || q.total === 'estimate') {
    const c = new SqlBuilder();
    const cw: string[] = ['not r.deleted'];
    if (q.types.length) cw.push(`r.resource_type in (${q.types.map((t) => c.bind(t)).join(', ')})`);
    if (q.where) cw.push(c.expr(q.where, 'r', q.types));
    count = { text: `select count(*) as n from resource r where ${cw.join(' and ')}`, bindings: c.bindings };
  }
  return { select, count };
}
