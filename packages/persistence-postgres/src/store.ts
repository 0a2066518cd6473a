// The SQL store: versions, index rows and search on PostgreSQL, through knex. The same code serves
// a PostgreSQL server (pg) and the embedded database (PGlite, one connection).
import type { Knex } from 'knex';
import {
  conflict, FhirError, type AdapterCapabilities, type AdapterInstrumentation, type HistoryPage, type HistoryQuery, type IndexEntry, type PersistenceAdapter,
  type JobStore, type PersistenceSession, type SearchPage, type SearchQuery, type StoredVersion, type WriteOp,
} from '@hestia/core';
import { indexRows, knexInstrumentation, planStable, probeStable, SqlJobStore, toVersion } from '@hestia/sql-common';
import { buildSearch } from './search-sql.js';
import { migrate } from './schema.js';

type Db = Knex | Knex.Transaction;
type Row = Record<string, unknown>;
type Bindings = readonly Knex.RawBinding[];

const plain = (v: unknown) => (typeof v === 'bigint' ? v.toString() : v);


// Index entries (flattened by indexRows) are sent as one jsonb array per write.
// search_index columns as sent in the jsonb array, and how each is stored.
const INDEX_FIELDS: [string, string][] = [
  ['code', 'text'], ['str_norm', 'text'], ['str_exact', 'text'], ['tok_system', 'text'], ['tok_code', 'text'], ['tok_text', 'text'],
  ['lo', 'numeric'], ['hi', 'numeric'], ['q_system', 'text'], ['q_code', 'text'], ['ref_type', 'text'], ['ref_id', 'text'], ['ref_url', 'text'],
  ['uri', 'text'], ['comp', 'jsonb'], ['fts', 'text'],
];
const INDEX_COLUMNS = INDEX_FIELDS.map(([n, t]) => `${n} ${t}`).join(', ');
const INDEX_NAMES = INDEX_FIELDS.map(([n]) => n).join(', ');
const INDEX_VALUES = INDEX_FIELDS.map(([n]) => (n === 'fts' ? `to_tsvector('simple', x.fts)` : `x.${n}`)).join(', ');

// One statement per write: resource row, history row and index rows commit together even outside a transaction.
const CREATE_SQL = `with r as (
    insert into resource (resource_type, id, version_id, last_updated, seq, deleted, content)
    values (?, ?, ?, ?, nextval('hestia_write_seq'), false, ?) on conflict (resource_type, id) do nothing
    returning rid, resource_type, id, version_id, last_updated, seq, content),
  h as (insert into resource_history (resource_type, id, version_id, rid, last_updated, seq, deleted, content)
    select resource_type, id, version_id, rid, last_updated, seq, false, content from r),
  i as (insert into search_index (rid, resource_type, ${INDEX_NAMES})
    select r.rid, r.resource_type, ${INDEX_VALUES} from r, jsonb_to_recordset(?) as x(${INDEX_COLUMNS}))
  select rid from r`;

const UPDATE_SQL = `with r as (
    update resource set version_id = ?, last_updated = ?, seq = nextval('hestia_write_seq'), deleted = ?, content = ?
    where resource_type = ? and id = ? and version_id = ?
    returning rid, resource_type, id, version_id, last_updated, seq, deleted, content),
  h as (insert into resource_history (resource_type, id, version_id, rid, last_updated, seq, deleted, content)
    select resource_type, id, version_id, rid, last_updated, seq, deleted, content from r),
  d as (delete from search_index where rid in (select rid from r)),
  i as (insert into search_index (rid, resource_type, ${INDEX_NAMES})
    select r.rid, r.resource_type, ${INDEX_VALUES} from r, jsonb_to_recordset(?) as x(${INDEX_COLUMNS}))
  select rid from r`;

// Many creates in one statement: the rows and their index entries travel as one json document
// (json, not jsonb, so each resource's content keeps its element order).
const CREATE_MANY_SQL = `with input as (
    select * from json_to_recordset(?::json) as t(ord int, resource_type text, id text, version_id int, last_updated timestamptz, content json, idx json)),
  r as (
    insert into resource (resource_type, id, version_id, last_updated, seq, deleted, content)
    select resource_type, id, version_id, last_updated, nextval('hestia_write_seq'), false, content from input order by ord
    on conflict (resource_type, id) do nothing
    returning rid, resource_type, id, version_id, last_updated, seq, content),
  h as (insert into resource_history (resource_type, id, version_id, rid, last_updated, seq, deleted, content)
    select resource_type, id, version_id, rid, last_updated, seq, false, content from r),
  i as (insert into search_index (rid, resource_type, ${INDEX_NAMES})
    select r.rid, r.resource_type, ${INDEX_VALUES} from r join input using (resource_type, id), json_to_recordset(input.idx) as x(${INDEX_COLUMNS}))
  select resource_type, id from r`;
/** Most creates sent in one statement. */
const CREATE_BATCH = 500;

const READ_SQL = 'select resource_type, id, version_id, last_updated, deleted, content from resource where resource_type = ? and id = ?';
const VREAD_SQL = 'select resource_type, id, version_id, last_updated, deleted, content from resource_history where resource_type = ? and id = ? and version_id = ?';
/** readMany: the keys as one json array of [type, id] pairs. */
export const READ_MANY_SQL = 'select resource_type, id, version_id, last_updated, deleted, content from resource where (resource_type, id) in (select k->>0, k->>1 from json_array_elements(?::json) k)';

/**
 * Names of the generated statements (searches) that run as prepared statements, by their text.
 * Every pooled connection keeps each one it has run (with its plan), so there are at most
 * MAX_NAMED; later texts run unnamed. (Module-wide: a name always stands for the same text.)
 */
const namedStatements = new Map<string, string>();
const MAX_NAMED = 200;

export class SqlSession implements PersistenceSession {
  /**
   * `prepared`: the fixed statements (read, readMany, vread, single create and update) and the
   * plan-stable searches run as named prepared statements, parsed and planned once per connection
   * (pg; PGlite takes no statement names).
   */
  constructor(protected readonly db: Db, protected readonly prepared = false) {}

  /** One of the fixed statements, by its name when prepared. */
  protected fixed(name: string, sql: string, bindings: Bindings) {
    const q = this.db.raw(sql, bindings);
    return this.prepared ? q.options({ name: `hestia_${name}` }) : q;
  }

  /**
   * A generated statement; when `reusable` (its plan does not depend on its values, see planStable)
   * a named prepared statement: parsed and planned once per connection instead of each time, which
   * is most of PostgreSQL's work for a lookup by index.
   */
  protected generated(sql: string, bindings: Bindings, reusable: boolean) {
    const named = this.prepared && reusable;
    let name = named ? namedStatements.get(sql) : undefined;
    if (named && !name && namedStatements.size < MAX_NAMED) namedStatements.set(sql, (name = `g${namedStatements.size + 1}`));
    // (named like the fixed ones: hestia_g1, hestia_g2 …)
    return name ? this.fixed(name, sql, bindings) : this.db.raw(sql, bindings);
  }

  async read(resourceType: string, id: string, opts?: { forUpdate?: boolean }): Promise<StoredVersion | undefined> {
    const res = await (opts?.forUpdate ? this.fixed('read_for_update', `${READ_SQL} for update`, [resourceType, id]) : this.fixed('read', READ_SQL, [resourceType, id]));
    const row = res.rows[0];
    return row ? toVersion(row) : undefined;
  }

  // The keys travel as one json array: the statement's text (and its prepared plan) is the same for
  // any number of them, and PostgreSQL joins them to the key index (a list of (type, id) pairs,
  // expanded into one condition per pair, cost it 5 times as much for 34 keys).
  async readMany(refs: { resourceType: string; id: string }[]): Promise<StoredVersion[]> {
    if (!refs.length) return [];
    const res = await this.fixed('read_many', READ_MANY_SQL, [JSON.stringify(refs.map((r) => [r.resourceType, r.id]))]);
    return res.rows.map(toVersion);
  }

  async vread(resourceType: string, id: string, versionId: number): Promise<StoredVersion | undefined> {
    const res = await this.fixed('vread', VREAD_SQL, [resourceType, id, versionId]);
    const row = res.rows[0];
    return row ? toVersion(row) : undefined;
  }

  /** Runs of consecutive creates go out as one statement each; updates and deletes one by one, in order. */
  async write(ops: WriteOp[]): Promise<void> {
    for (let i = 0; i < ops.length;) {
      let j = i;
      while (j < ops.length && j - i < CREATE_BATCH && ops[j].expectedVersion === undefined) j++;
      if (j - i > 1) {
        await this.createMany(ops.slice(i, j));
        i = j;
      } else {
        await this.writeOne(ops[i++]);
      }
    }
  }

  protected async createMany(ops: WriteOp[]): Promise<void> {
    const rows = ops.map((op, ord) => ({ ord, resource_type: op.resourceType, id: op.id, version_id: op.versionId, last_updated: op.lastUpdated, content: op.resource, idx: indexRows(op.index) }));
    const res = await this.db.raw(CREATE_MANY_SQL, [JSON.stringify(rows)]);
    if (res.rows.length === ops.length) return;
    const written = new Set((res.rows as Row[]).map((r) => `${r.resource_type}/${r.id}`));
    const existing = ops.find((op) => !written.has(`${op.resourceType}/${op.id}`))!;
    throw conflict(`${existing.resourceType}/${existing.id} already exists.`);
  }

  protected async writeOne(op: WriteOp): Promise<void> {
    const idx = JSON.stringify(indexRows(op.index));
    const content = op.resource ? JSON.stringify(op.resource) : null;
    if (op.expectedVersion === undefined) {
      const res = await this.fixed('create', CREATE_SQL, [op.resourceType, op.id, op.versionId, op.lastUpdated, content, idx]);
      if (!res.rows.length) throw conflict(`${op.resourceType}/${op.id} already exists.`);
      return;
    }
    const res = await this.fixed('update', UPDATE_SQL, [op.versionId, op.lastUpdated, op.op === 'delete', content, op.resourceType, op.id, op.expectedVersion, idx]);
    if (!res.rows.length) throw conflict(`${op.resourceType}/${op.id} was changed by another request; retry.`);
  }

  async hardDelete(resourceType: string, id: string): Promise<boolean> {
    const res = await this.db.raw(`with r as (delete from resource where resource_type = ? and id = ? returning rid),
      d as (delete from search_index where rid in (select rid from r)),
      h as (delete from resource_history where resource_type = ? and id = ?)
      select rid from r`, [resourceType, id, resourceType, id]);
    return res.rows.length > 0;
  }

  async search(query: SearchQuery): Promise<SearchPage> {
    const { select, probe, count } = buildSearch(query);
    let rows: Row[] = [];
    if (query.count > 0) {
      // The probe's answer is the page only when it holds all of it (the look-ahead row included).
      if (probe) rows = (await this.generated(probe.text, probe.bindings as Bindings, probeStable(query))).rows as Row[];
      if (rows.length <= query.count) rows = (await this.generated(select.text, select.bindings as Bindings, planStable(query))).rows as Row[];
    }
    const hasMore = rows.length > query.count;
    if (hasMore) rows = rows.slice(0, query.count);
    if (query.before) rows.reverse();
    const sortCols = query.sort.map((_, i) => `k${i}`);
    const keyOf = (row: Row) => {
      const key: unknown[] = sortCols.map((c) => plain(row[c]) ?? null);
      key.push(plain(row.rid));
      return key;
    };
    const page: SearchPage = { hasMore, rows: rows.map((row) => ({ version: toVersion(row), key: keyOf(row) })) };
    if (count) page.total = Number((await this.db.raw(count.text, count.bindings as Bindings)).rows[0].n);
    return page;
  }

  async history(q: HistoryQuery): Promise<HistoryPage> {
    const where: string[] = [];
    const b: unknown[] = [];
    if (q.resourceType) { where.push('resource_type = ?'); b.push(q.resourceType); }
    if (q.id) { where.push('id = ?'); b.push(q.id); }
    if (q.since) { where.push('last_updated >= ?'); b.push(q.since); }
    if (q.at) { where.push('last_updated <= ?'); b.push(q.at); }
    if (q.after) { where.push('seq < ?'); b.push(q.after[0]); }
    const res = await this.db.raw(
      `select resource_type, id, version_id, last_updated, deleted, content, seq from resource_history ${where.length ? `where ${where.join(' and ')}` : ''} order by seq desc limit ${Number(q.count) + 1}`, b as Bindings);
    let rows = res.rows as Row[];
    const hasMore = rows.length > q.count;
    if (hasMore) rows = rows.slice(0, q.count);
    return { hasMore, rows: rows.map((row) => ({ version: toVersion(row), key: [plain(row.seq)] })) };
  }

  async replaceIndex(items: { resourceType: string; id: string; index: IndexEntry[] }[], codes?: string[]): Promise<void> {
    for (const item of items) {
      const bindings: Knex.RawBinding[] = [item.resourceType, item.id];
      const codeFilter = codes ? ` and code in (${codes.map(() => '?').join(', ')})` : '';
      if (codes) bindings.push(...codes);
      bindings.push(JSON.stringify(indexRows(item.index)));
      await this.db.raw(`with r as (select rid, resource_type from resource where resource_type = ? and id = ? and not deleted),
        d as (delete from search_index where rid in (select rid from r)${codeFilter})
        insert into search_index (rid, resource_type, ${INDEX_NAMES})
        select r.rid, r.resource_type, ${INDEX_VALUES} from r, jsonb_to_recordset(?) as x(${INDEX_COLUMNS})`, bindings);
    }
  }

  async lock(key: string): Promise<void> {
    await this.db.raw('select pg_advisory_xact_lock(hashtextextended(?, 0))', [key]);
  }
}

export interface SqlStoreOptions {
  name: string;
  capabilities?: Partial<AdapterCapabilities>;
  /** Run the fixed statements, and the generated ones whose plan does not depend on their values, as named prepared statements (a driver that supports them: pg). */
  preparedStatements?: boolean;
}

/** Maps driver errors that mean "try again" to a 409/503 FhirError; others pass through. */
function translateError(e: unknown): unknown {
  const code = (e as { code?: string }).code;
  if (code === '40001' || code === '40P01') return new FhirError(409, 'transient', 'A concurrent change conflicted with this request; retry.');
  if (code === '23505') return conflict('A concurrent request created the same resource; retry.');
  return e;
}

export class SqlStore extends SqlSession implements PersistenceAdapter {
  readonly name: string;
  readonly capabilities: AdapterCapabilities;
  readonly instrumentation: AdapterInstrumentation;
  readonly jobs: JobStore;

  constructor(readonly knex: Knex, opts: SqlStoreOptions, private readonly onClose?: () => Promise<void>) {
    super(knex, opts.preparedStatements);
    this.jobs = new SqlJobStore(knex);
    this.name = opts.name;
    this.instrumentation = knexInstrumentation(knex);
    this.capabilities = { transactions: true, chaining: true, reverseChaining: true, fullText: true, sort: true, totalAccurate: true, ...opts.capabilities };
  }

  async init(): Promise<void> {
    await migrate(this.knex);
  }

  async transaction<T>(fn: (session: PersistenceSession) => Promise<T>): Promise<T> {
    try {
      return await this.knex.transaction((trx) => fn(new SqlSession(trx, this.prepared)));
    } catch (e) {
      throw translateError(e);
    }
  }

  override async write(ops: WriteOp[]): Promise<void> {
    try {
      if (ops.length === 1) return await this.writeOne(ops[0]);
      return await this.transaction((s) => s.write(ops));
    } catch (e) {
      throw translateError(e);
    }
  }

  async ping(): Promise<void> {
    await this.knex.raw('select 1');
  }

  async close(): Promise<void> {
    await this.knex.destroy();
    await this.onClose?.();
  }
}
