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

type ValueExpr = Extract<SearchExpr, { kind: 'value' }>;
/** Value tests of an AND joined in one exists, at most (the planner orders joins well up to 8 relations). */
const JOINED = 4;

type LocalRef = ValueExpr & { predicate: { type: 'reference'; targetType: string; targetId: string } };
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
      case 'and': return e.exprs.length ? this.and(e.exprs, r, types) : d.alwaysTrue;
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
        return `exists (select 1 from search_index ${i} where ${i}.rid = ${r}.rid and ${i}.resource_type = ${r}.resource_type and ${this.valueTest(e, i, types)})`;
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

  /** The test of one index row `i` for a value expression: its parameter, its predicate. */
  private valueTest(e: ValueExpr, i: string, types: string[]): string {
    // (parts built in text order: each binds its values as it is written)
    const code = `${i}.code = ${this.bind(e.param.code)}`;
    const test = this.predicate(e.predicate, tableCols(i), i);
    const bound = e.predicate.type === 'date' && types.length === 1 ? this.lowBound(e.predicate.range, i, types[0], e.param.code) : '';
    return `${code} and ${test}${bound}`;
  }

  /**
   * An AND. Its value tests (up to JOINED at a time) are one exists over their index rows joined by
   * rid, not one exists each: the planner can then meet the tests on the index rows alone and read
   * only the resources that pass all of them. (With one exists each it must join a resource to the
   * rows of one test before it may check the next: code + one month of dates read a thousand
   * resources for the 150 that had the code, 6.2 ms against 4.7 ms.)
   */
  private and(exprs: SearchExpr[], r: string, types: string[]): string {
    const values = exprs.filter((x): x is ValueExpr => x.kind === 'value');
    if (values.length < 2) return `(${exprs.map((x) => this.expr(x, r, types)).join(' and ')})`;
    const parts: string[] = [];
    for (let k = 0; k < values.length; k += JOINED) parts.push(this.joined(values.slice(k, k + JOINED), r, types));
    for (const x of exprs) if (x.kind !== 'value') parts.push(this.expr(x, r, types));
    return `(${parts.join(' and ')})`;
  }

  /** One exists over the index rows of `group`'s value tests, joined by rid (see and()). */
  private joined(group: ValueExpr[], r: string, types: string[]): string {
    if (group.length === 1) return this.expr(group[0], r, types);
    const a = this.alias('i');
    // (the joined rows' tests come first in the text, so they bind first)
    const joins = group.slice(1).map((v) => {
      const b = this.alias('i');
      return ` join search_index ${b} on ${b}.rid = ${a}.rid and ${b}.resource_type = ${a}.resource_type and ${this.valueTest(v, b, types)}`;
    }).join('');
    return `exists (select 1 from search_index ${a}${joins} where ${a}.rid = ${r}.rid and ${a}.resource_type = ${r}.resource_type and ${this.valueTest(group[0], a, types)})`;
  }

  /**
   * A test with a lower limit on the stored ranges' high end (ge, gt, ge…&lt… merged) but none on
   * their low end would read the range index, ordered by low end, from its start. No stored range of
   * the parameter is wider than its widest one (max(hi - lo), one index probe), so every match has
   * lo >= limit - widest: added, that bounds the scan to the ranges that can reach the limit.
   */
  private lowBound(t: RangeTest, i: string, type: string, code: string): string {
    if (!this.dialect.rangeIndexes || t.negate || t.conds.some((c) => c.bound === 'low' && c.op.startsWith('>'))) return '';
    const limits = t.conds.filter((c) => c.bound === 'high' && c.op.startsWith('>')).map((c) => c.value);
    if (!limits.length) return '';
    const w = this.alias('w');
    return ` and ${i}.lo >= ${this.bind(clampMs(Math.max(...limits)))} - (select coalesce(max(${w}.hi - ${w}.lo), 0) from search_index ${w}`
      + ` where ${w}.resource_type = ${this.bind(type)} and ${w}.code = ${this.bind(code)} and ${w}.lo is not null)`;
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
        const parts = [p.targetId === undefined ? `${col('ref_id')} is not null` : `${col('ref_id')} = ${this.bind(p.targetId)}`];
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
  const cmpOf = (desc: boolean) => (desc !== backwards ? '<' : '>'); // descending (or going back on ascending) wants smaller values
  const build = (i: number): string => {
    const { sql, desc, nullable } = cols[i];
    const v = key[i];
    const isNull = v === null || v === undefined;
    const cmp = cmpOf(desc);
    const beyond = isNull
      ? (backwards ? `${sql} is not null` : b.dialect.alwaysFalse)
      // (no `is null` alternative for a column that is never null, so `rid > ?` can be an index condition)
      : (backwards || !nullable ? `${sql} ${cmp} ${b.bind(v)}` : `(${sql} ${cmp} ${b.bind(v)} or ${sql} is null)`);
    if (i === cols.length - 1) return `(${beyond})`;
    const equal = isNull ? `${sql} is null` : `${sql} = ${b.bind(v)}`;
    return `(${beyond} or (${equal} and ${build(i + 1)}))`;
  };
  if (!cols.length) return b.dialect.alwaysFalse;
  // A leading column that is never null is written `k >= v and (k <> v or …)`: the same rows, but
  // `k >= v` is a bound an index on k can start its scan from, and the planner estimates the
  // whole by it alone (`k > v or …` next to it would count its selectivity twice).
  const [first] = cols;
  if (cols.length === 1 || first.nullable || key[0] === null || key[0] === undefined) return build(0);
  const head = `${first.sql} ${cmpOf(first.desc)}= ${b.bind(key[0])}`;
  const other = `${first.sql} <> ${b.bind(key[0])}`;
  return `(${head} and (${other} or ${keyset(b, cols.slice(1), key.slice(1), backwards)}))`;
}

/**
 * Whether the good plan for `q`'s statement does not depend on the values bound to it: every test
 * is an equality (token, reference, id, exact string, uri, type, presence) answered by an index
 * lookup, and no sort. Such statements may keep one plan across executions (prepared statements);
 * ranges, patterns (like), full text and sorts, whose best plan depends on how many rows the
 * values select, are planned with their values each time.
 */
export function planStable(q: SearchQuery): boolean {
  return q.sort.length === 0 && (!q.where || stableExpr(q.where));
}

function stableExpr(e: SearchExpr): boolean {
  switch (e.kind) {
    case 'and': case 'or': return e.exprs.every(stableExpr);
    case 'not': return stableExpr(e.expr);
    case 'value': return stablePredicate(e.predicate);
    case 'chain': case 'has': return stableExpr(e.expr);
    case 'missing': case 'id': case 'type': return true;
    case 'lastUpdated': return false;
  }
}

function stablePredicate(p: Predicate): boolean {
  switch (p.type) {
    case 'token': case 'reference': return true;
    case 'string': return p.match === 'exact';
    case 'uri': return p.match === 'eq';
    case 'composite': return p.components.every(stablePredicate);
    default: return false;
  }
}

/** Whether `e` tests only index rows of its resource (through its rid and type), not the resource row itself. */
function indexOnly(e: SearchExpr): boolean {
  switch (e.kind) {
    case 'value': case 'missing': case 'chain': case 'type': return true;
    case 'and': case 'or': return e.exprs.every(indexOnly);
    case 'not': return indexOnly(e.expr);
    case 'id': case 'lastUpdated': case 'has': return false;
  }
}

/** The conditions every search starts with: current versions of the searched types, then the expression. */
function conditions(b: SqlBuilder, q: SearchQuery): string {
  const where: string[] = [b.dialect.notDeleted('r')];
  if (q.types.length) where.push(`r.resource_type in (${q.types.map((t) => b.bind(t)).join(', ')})`);
  if (q.where) where.push(b.expr(q.where, 'r', q.types));
  return where.join(' and ');
}

const COLUMNS = 'r.resource_type, r.id, r.version_id, r.last_updated, r.content';

/** The order of a page: the sort keys' values (k0, k1, … of alias `a`), then rid. */
function orderOf(q: SearchQuery, a: string): OrderColumn[] {
  return [...q.sort.map((k, i) => ({ sql: `${a}.k${i}`, desc: k.descending, nullable: true })), { sql: `${a}.rid`, desc: false, nullable: false }];
}

function orderBy(d: SqlDialect, q: SearchQuery, order: OrderColumn[]): string {
  const backwards = !!q.before;
  return order.map((c) => d.orderTerm(c.sql, c.desc !== backwards, backwards, c.nullable)).join(', ');
}

/** One page (and one more row) of `inner`'s rows as x, filtered by `where`, in `order`. */
function pageOf(b: SqlBuilder, q: SearchQuery, inner: string, order: OrderColumn[], where: string[]): string {
  return b.dialect.selectLimited('x.*', `from (${inner}) x${where.length ? ` where ${where.join(' and ')}` : ''} order by ${orderBy(b.dialect, q, order)}`, Number(q.count) + 1);
}

/**
 * The statements of a search: `select`, its page; `probe`, when there is one, a cheaper statement
 * to run first, whose answer is the page when it has every row of one (count + 1: the look-ahead
 * included), and otherwise says nothing (see joinedPage); `count`, the total when asked for.
 */
export function buildSearch(q: SearchQuery, dialect: SqlDialect): { select: Sql; probe?: Sql; count?: Sql } {
  // Sort values are computed once in an inner select (x.k0, x.k1, ...); the keyset and the order by
  // refer to them. Every part is written in text order, so each placeholder's value is bound in order.
  const b = new SqlBuilder(dialect);
  const joined = dialect.rangeIndexes && q.sort[0]?.single;
  const select = { text: joined ? joinedPage(b, q) : page(b, q), bindings: b.bindings };
  let probe: Sql | undefined;
  if (joined) {
    const p = new SqlBuilder(dialect);
    const text = walkedPage(p, q);
    if (text) probe = { text, bindings: p.bindings };
  }

  let count: Sql | undefined;
  if (q.total === 'accurate' || q.total === 'estimate') {
    const c = new SqlBuilder(dialect);
    count = { text: `select count(*) as n from resource r where ${conditions(c, q)}`, bindings: c.bindings };
  }
  return { select, probe, count };
}

/** A page with every sort value computed by a subquery per match (sortValue). */
function page(b: SqlBuilder, q: SearchQuery): string {
  const sortSel = q.sort.map((k, i) => `${b.sortValue(k, 'r')} as k${i}`);
  const inner = `select ${COLUMNS}, ${[...sortSel, 'r.rid'].join(', ')} from resource r where ${conditions(b, q)}`;
  const order = orderOf(q, 'x');
  const key = q.before ?? q.after;
  return pageOf(b, q, inner, order, key ? [keyset(b, order, key, !!q.before)] : []);
}

/** Index rows read in order per row of the page, at most, before the planner's join is asked instead (joinedPage). */
const WALK_FACTOR = 10;

/** Where a date sort key's values are: hi going down, lo going up (one per resource: SortKey.single). */
const sortColumn = (k: SearchQuery['sort'][number]) => (k.descending ? 'hi' : 'lo');

/**
 * joinedPage's probe, going forward over one type by one single-valued date key: the next
 * (page size × WALK_FACTOR) index rows of the key in order, each joined to its resource and tested
 * row by row. When they hold a whole page (count + 1 rows) it is the page: the index order is the
 * page's, and matches without a value come after all others. Otherwise (a selective search, or the
 * end of the matches) it says nothing. Undefined when the page cannot be read this way.
 *
 * Reading the index rows in order and stopping after a page is the fast plan when many resources
 * match, but the planner cannot tell: lo and hi hold every parameter's values, so it misjudges how
 * many rows of one parameter a range holds and sorts all matches instead. A statement of its own:
 * planning it costs a fraction of the page statement's, and its plan does not depend on the values
 * (probeStable).
 */
function walkedPage(b: SqlBuilder, q: SearchQuery): string | undefined {
  const d = b.dialect;
  const key = q.after;
  if (q.sort.length !== 1 || q.before || (key && (key[0] === null || key[0] === undefined)) || q.types.length !== 1 || !d.perRow) return undefined;
  const first = q.sort[0];
  const column = sortColumn(first);
  const order = orderOf(q, 'x');
  const o = b.alias('o');
  const cols: OrderColumn[] = [{ sql: `${o}.${column}`, desc: first.descending, nullable: false }, { sql: `${o}.rid`, desc: false, nullable: false }];
  const limit = Number(q.count) + 1;
  const rows = d.selectLimited(`${o}.rid, ${o}.resource_type, ${o}.${column} as k0`, `from search_index ${o} where ${o}.resource_type = ${b.bind(q.types[0])} and ${o}.code = ${b.bind(first.param.code)}`
    + ` and ${o}.lo is not null${key ? ` and ${keyset(b, cols, key, false)}` : ''} order by ${orderBy(d, q, cols)}`, limit * WALK_FACTOR);
  // Each index row's resource is looked up and tested row by row, in order (a plain join would let
  // the planner hash every match of the conditions first). The conditions that need only the
  // index rows (rid and type) are tested first, on the candidate: its resource row is read only
  // when they hold.
  const all = q.where ? (q.where.kind === 'and' ? q.where.exprs : [q.where]) : [];
  const early = all.filter((e) => indexOnly(e)), late = all.filter((e) => !indexOnly(e));
  const gate = early.length ? `(select n.rid where ${early.map((e) => b.expr(e, 'n', q.types)).join(' and ')})` : 'n.rid';
  const checks = [d.notDeleted('r'), `r.resource_type = ${b.bind(q.types[0])}`, ...late.map((e) => b.expr(e, 'r', q.types))];
  const entry = d.perRow(`select ${COLUMNS} from resource r where r.rid = ${gate} and ${checks.join(' and ')}`, 'e');
  return pageOf(b, q, `select e.*, n.k0, n.rid from (${rows}) n ${entry}`, [{ ...order[0], nullable: false }, ...order.slice(1)], []);
}

/** Whether the probe's plan does not depend on its values: the index walk is fixed by its order, so its conditions decide (planStable). */
export function probeStable(q: SearchQuery): boolean {
  return !q.where || stableExpr(q.where);
}

/**
 * A page sorted first by a date with one value per resource (SortKey.single): that value is one
 * index row's lo (ascending) or hi (descending), so the matches that have one come through a join
 * on those rows instead of a sort value computed for every match. Matches without one sort after
 * all others in both directions; they come from a second select that runs only when the first
 * (in the page's direction) leaves the page short. Going forward, buildSearch's probe (walkedPage)
 * runs first, and this statement only when the probe leaves the page short.
 */
function joinedPage(b: SqlBuilder, q: SearchQuery): string {
  const d = b.dialect;
  const [first, ...rest] = q.sort;
  const backwards = !!q.before;
  const key = q.before ?? q.after;
  const keyNull = key !== undefined && (key[0] === null || key[0] === undefined);
  const limit = Number(q.count) + 1;
  const order = orderOf(q, 'x');
  const valuedOrder = [{ ...order[0], nullable: false }, ...order.slice(1)];
  const code = first.param.code;
  const column = sortColumn(first);
  const others = () => rest.map((k, i) => `${b.sortValue(k, 'r')} as k${i + 1}`);

  const valued = (extra: string[]): string | undefined => {
    if (keyNull && !backwards) return undefined; // all of them come before a position without a value
    const o = b.alias('o');
    const sel = [`${o}.${column} as k0`, ...others(), 'r.rid'];
    const join = `join search_index ${o} on ${o}.rid = r.rid and ${o}.resource_type = r.resource_type and ${o}.code = ${b.bind(code)} and ${o}.lo is not null`;
    const inner = `select ${COLUMNS}, ${sel.join(', ')} from resource r ${join} where ${conditions(b, q)}`;
    return pageOf(b, q, inner, valuedOrder, [...(key && !keyNull ? [keyset(b, valuedOrder, key, backwards)] : []), ...extra]);
  };
  const unvalued = (extra: string[]): string | undefined => {
    if (key && !keyNull && backwards) return undefined; // none of them comes before a position with a value
    const sel = [`${b.sortValue(first, 'r')} as k0`, ...others(), 'r.rid'];
    const where = conditions(b, q);
    const o = b.alias('o');
    const none = `not exists (select 1 from search_index ${o} where ${o}.rid = r.rid and ${o}.resource_type = r.resource_type and ${o}.code = ${b.bind(code)} and ${o}.lo is not null)`;
    const inner = `select ${COLUMNS}, ${sel.join(', ')} from resource r where ${where} and ${none}`;
    // k0 is null on all of them: ordered by the other keys.
    const cols = order.slice(1);
    return pageOf(b, q, inner, cols, [...(key && keyNull ? [keyset(b, cols, key.slice(1), backwards)] : []), ...extra]);
  };

  const head = backwards ? unvalued([]) : valued([]);
  const tail = (backwards ? valued : unvalued)(head === undefined ? [] : [`(select count(*) from p1) < ${limit}`]);
  if (head === undefined) return tail!;
  const parts = tail === undefined ? 'select * from p1' : `select * from p1 union all select * from (${tail}) p2`;
  return `with p1 as (${head}) ${d.selectLimited('y.*', `from (${parts}) y order by ${orderBy(d, q, orderOf(q, 'y'))}`, limit)}`;
}
