// The SQL Server store: versions, index rows and search on SQL Server / Azure SQL, through knex's
// mssql client (tedious). Every statement comes from statements.ts.
import { createHash } from 'node:crypto';
import knexFactory, { type Knex } from 'knex';
import {
  conflict, type AdapterCapabilities, type AdapterInstrumentation, type HistoryPage, type HistoryQuery, type IndexEntry, type PersistenceAdapter,
  type JobStore, type PersistenceSession, type SearchPage, type SearchQuery, type StoredVersion, type WriteOp,
} from '@hestia/core';
import { knexInstrumentation, SqlJobStore, toVersion } from '@hestia/sql-common';
import { render, type Batch } from './batch.js';
import { knexConfig, type MssqlOptions } from './connection.js';
import { transient, translateError } from './errors.js';
import { indexJson } from './index-json.js';
import { chunk } from './params.js';
import { migrate } from './schema.js';
import {
  hardDeleteBatch, historySql, lockBatch, PING_SQL, READ_FOR_UPDATE_SQL, READ_MANY_SQL, READ_SQL, reindexParams, replaceIndexBatch,
  searchSql, VREAD_SQL, WRITE_OP_PARAMS, writeBatch,
} from './statements.js';

type Db = Knex | Knex.Transaction;
type Row = Record<string, unknown>;

/** Most operations one write batch carries (besides the parameter budget): bounds the batch's compile time. */
const WRITE_BATCH_OPS = 100;

/** Write operations in batches under the parameter budget. */
const writeParts = (ops: WriteOp[]) => chunk(ops, () => WRITE_OP_PARAMS, undefined, WRITE_BATCH_OPS);

/** Key values as the next page binds them: timestamps as ISO text (datetimeoffset converts it exactly). */
const keyValue = (v: unknown) => (v instanceof Date ? v.toISOString() : typeof v === 'bigint' ? v.toString() : v ?? null);


/** The application lock name of a key: sp_getapplock names have at most 255 characters. */
export const lockName = (key: string) => `hestia:${createHash('sha256').update(key).digest('hex')}`;

export class MssqlSession implements PersistenceSession {
  /** Statements of one transaction run one after another: a connection serves one request at a time. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(protected readonly db: Db, protected readonly inTransaction: boolean) {}

  protected run(sql: string, bindings: readonly unknown[] = []): Promise<Row[]> {
    const go = async () => (await this.db.raw(sql, bindings as Knex.RawBinding[])) as Row[];
    if (!this.inTransaction) return go();
    const next = this.queue.then(go, go);
    this.queue = next.catch(() => undefined);
    return next;
  }

  protected runBatch(b: Batch): Promise<Row[]> {
    return this.run(render(b.stmts), b.bindings);
  }

  async read(resourceType: string, id: string, opts?: { forUpdate?: boolean }): Promise<StoredVersion | undefined> {
    const [row] = await this.run(opts?.forUpdate ? READ_FOR_UPDATE_SQL : READ_SQL, [resourceType, id]);
    return row ? toVersion(row) : undefined;
  }

  async readMany(refs: { resourceType: string; id: string }[]): Promise<StoredVersion[]> {
    if (!refs.length) return [];
    const keys = [...new Map(refs.map((r) => [`${r.resourceType}/${r.id}`, [r.resourceType, r.id]])).values()];
    return (await this.run(READ_MANY_SQL, [JSON.stringify(keys)])).map(toVersion);
  }

  async vread(resourceType: string, id: string, versionId: number): Promise<StoredVersion | undefined> {
    const [row] = await this.run(VREAD_SQL, [resourceType, id, versionId]);
    return row ? toVersion(row) : undefined;
  }

  /** Batches of operations under the parameter budget; the store wraps several batches in one transaction. */
  async write(ops: WriteOp[]): Promise<void> {
    for (const part of writeParts(ops)) {
      const [row] = await this.runBatch(writeBatch(part, this.inTransaction));
      if (row?.failed === null || row?.failed === undefined) continue;
      const op = part[Number(row.failed)];
      throw conflict(op.expectedVersion === undefined
        ? `${op.resourceType}/${op.id} already exists.`
        : `${op.resourceType}/${op.id} was changed by another request; retry.`);
    }
  }

  async hardDelete(resourceType: string, id: string): Promise<boolean> {
    const rows = await this.runBatch(hardDeleteBatch(resourceType, id, this.inTransaction));
    return rows[0]?.rid !== null && rows[0]?.rid !== undefined;
  }

  async search(query: SearchQuery): Promise<SearchPage> {
    const { select, count } = searchSql(query);
    let rows = query.count > 0 ? await this.run(select.text, select.bindings) : [];
    const hasMore = rows.length > query.count;
    if (hasMore) rows = rows.slice(0, query.count);
    if (query.before) rows.reverse();
    const nSort = query.sort.length;
    const page: SearchPage = {
      hasMore,
      rows: rows.map((row) => ({ version: toVersion(row), key: [...Array.from({ length: nSort }, (_, i) => keyValue(row[`k${i}`])), keyValue(row.rid)] })),
    };
    if (count) page.total = Number((await this.run(count.text, count.bindings))[0].n);
    return page;
  }

  async history(q: HistoryQuery): Promise<HistoryPage> {
    const sql = historySql(q);
    let rows = await this.run(sql.text, sql.bindings);
    const hasMore = rows.length > q.count;
    if (hasMore) rows = rows.slice(0, q.count);
    return { hasMore, rows: rows.map((row) => ({ version: toVersion(row), key: [keyValue(row.seq)] })) };
  }

  async replaceIndex(items: { resourceType: string; id: string; index: IndexEntry[] }[], codes?: string[]): Promise<void> {
    const prepared = items.map((i) => ({ resourceType: i.resourceType, id: i.id, json: indexJson(i.index) }));
    for (const part of chunk(prepared, (i) => reindexParams(codes) - (i.json ? 0 : 1))) {
      await this.runBatch(replaceIndexBatch(part, codes, this.inTransaction));
    }
  }

  /** An application lock owned by the transaction; outside a transaction there is nothing to hold it for. */
  async lock(key: string): Promise<void> {
    if (!this.inTransaction) return;
    const [row] = await this.runBatch(lockBatch(lockName(key)));
    const status = Number(row?.status);
    if (status === -3) throw transient('A concurrent request holding the same lock deadlocked with this one; retry.');
    if (!(status >= 0)) throw new Error(`sp_getapplock failed with status ${row?.status}.`);
  }
}

export interface MssqlStoreOptions { name?: string; capabilities?: Partial<AdapterCapabilities> }

export class MssqlStore extends MssqlSession implements PersistenceAdapter {
  readonly name: string;
  readonly capabilities: AdapterCapabilities;
  readonly instrumentation: AdapterInstrumentation;
  readonly jobs: JobStore;

  constructor(protected readonly knex: Knex, opts: MssqlStoreOptions = {}) {
    super(knex, false);
    this.jobs = new SqlJobStore(knex);
    this.name = opts.name ?? 'sqlserver';
    this.instrumentation = knexInstrumentation(knex);
    // No full-text search: SQL Server's full-text indexes need a full-text catalog and are
    // populated asynchronously, so a write would not be searchable by _text/_content at once.
    this.capabilities = { transactions: true, chaining: true, reverseChaining: true, fullText: false, sort: true, totalAccurate: true, ...opts.capabilities };
  }

  async init(): Promise<void> {
    await migrate(this.knex);
  }

  async transaction<T>(fn: (session: PersistenceSession) => Promise<T>): Promise<T> {
    try {
      return await this.knex.transaction((trx) => fn(new MssqlSession(trx, true)));
    } catch (e) {
      throw translateError(e);
    }
  }

  /** One batch commits on its own; more need one transaction around them. */
  override async write(ops: WriteOp[]): Promise<void> {
    if (writeParts(ops).length > 1) return this.transaction((s) => s.write(ops));
    return super.write(ops);
  }

  /** Outside a transaction, errors meaning "retry" become FhirErrors here (inside one, transaction() does it). */
  protected override async run(sql: string, bindings: readonly unknown[] = []): Promise<Row[]> {
    try {
      return await super.run(sql, bindings);
    } catch (e) {
      throw translateError(e);
    }
  }

  async ping(): Promise<void> {
    await this.knex.raw(PING_SQL);
  }

  async close(): Promise<void> {
    await this.knex.destroy();
  }
}

/** A store over a SQL Server reachable with `opts` (call init() to create or upgrade the schema). */
export function createMssqlAdapter(opts: MssqlOptions & MssqlStoreOptions): MssqlStore {
  return new MssqlStore(knexFactory(knexConfig(opts)), { name: opts.name, capabilities: opts.capabilities });
}
