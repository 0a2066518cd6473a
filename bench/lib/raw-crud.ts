// The raw baseline: the same rows the server writes (resource, history, search index), written
// with plain SQL in one transaction per resource, and read back with one SELECT. No HTTP, no
// engine, no knex: the figure the server is compared against. Index entries come from the real
// indexer; like the request bodies, they are built in prepare(), before the clock starts.
import { randomUUID } from 'node:crypto';
import type { IndexEntry, Resource } from '@hestia/core';
import { check, CheckError, type Driver, type Plan } from './driver.js';
import { expectedName, nameKey, patient } from './data.js';
import { indexRows, INSERT_INDEX_SQL } from './index-rows.js';
import { Ledger, updateKey } from './ledger.js';

export interface RawResult { rows: Record<string, unknown>[] }
/** Runs one statement; `name` lets drivers that support it prepare the statement once per connection. */
export type RawQuery = (name: string, text: string, values: unknown[]) => Promise<RawResult>;

export interface RawExecutor {
  query: RawQuery;
  /** Runs fn inside BEGIN … COMMIT on one connection (ROLLBACK on error). */
  transaction<T>(fn: (q: RawQuery) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface IndexSource { extract(resource: Resource): IndexEntry[] }

const INSERT_RESOURCE = `insert into resource (resource_type, id, version_id, last_updated, seq, deleted, content)
  values ($1, $2, 1, $3, nextval('hestia_write_seq'), false, $4) returning rid, seq`;
const INSERT_HISTORY = `insert into resource_history (resource_type, id, version_id, rid, last_updated, seq, deleted, content)
  values ($1, $2, $3, $4, $5, $6, false, $7)`;
const UPDATE_RESOURCE = `update resource set version_id = $1, last_updated = $2, seq = nextval('hestia_write_seq'), deleted = false, content = $3
  where resource_type = $4 and id = $5 and version_id = $6 returning rid, seq`;
const DELETE_INDEX = 'delete from search_index where rid = $1';
const READ = 'select content from resource where resource_type = $1 and id = $2';

interface Payload { id: string; version: number; lastUpdated: string; content: string; index: string }

export class RawCrudDriver implements Driver {
  private readonly ledger = new Ledger();
  private readonly creates = new Map<number, Payload>();
  private readonly updates = new Map<string, Payload>();

  constructor(readonly label: string, private readonly db: RawExecutor, private readonly indexer: IndexSource) {}

  size(): number {
    return this.ledger.size;
  }

  /** The stored form of a version, stamped as the engine does (id, meta.versionId, meta.lastUpdated), and its index rows. */
  private payload(body: Resource, id: string, version: number): Payload {
    const lastUpdated = new Date().toISOString();
    const { resourceType, id: _id, meta, ...rest } = body;
    const stored: Resource = { resourceType, id, meta: { ...(meta ?? {}), versionId: String(version), lastUpdated }, ...rest };
    return { id, version, lastUpdated, content: JSON.stringify(stored), index: JSON.stringify(indexRows(this.indexer.extract(stored))) };
  }

  prepare(op: string, plan: Plan): void {
    if (op === 'create') {
      for (const n of plan.flat()) this.creates.set(n, this.payload(patient(n, 1) as Resource, randomUUID(), 1));
    } else if (op === 'update') {
      for (const { pos, w, version } of this.ledger.plannedUpdates(plan)) {
        this.updates.set(updateKey(pos, version), this.payload(patient(w.n, version) as Resource, w.id, version));
      }
    }
  }

  run(op: string, key: number): Promise<void> {
    switch (op) {
      case 'create': return this.create(key);
      case 'update': return this.update(key);
      case 'read': return this.read(key);
      default: throw new Error(`Unknown CRUD operation ${op}`);
    }
  }

  private async create(n: number): Promise<void> {
    const p = this.creates.get(n) ?? this.payload(patient(n, 1) as Resource, randomUUID(), 1);
    this.creates.delete(n);
    await this.db.transaction(async (q) => {
      const { rows: [r] } = await q('raw_insert_resource', INSERT_RESOURCE, ['Patient', p.id, p.lastUpdated, p.content]);
      await q('raw_insert_history', INSERT_HISTORY, ['Patient', p.id, 1, r.rid, p.lastUpdated, r.seq, p.content]);
      await q('raw_insert_index', INSERT_INDEX_SQL, [r.rid, 'Patient', p.index]);
    });
    this.ledger.add({ n, id: p.id, version: 1 });
  }

  private async update(pos: number): Promise<void> {
    const w = this.ledger.at(pos);
    const version = w.version + 1;
    const p = this.updates.get(updateKey(pos, version)) ?? this.payload(patient(w.n, version) as Resource, w.id, version);
    this.updates.delete(updateKey(pos, version));
    await this.db.transaction(async (q) => {
      const { rows } = await q('raw_update_resource', UPDATE_RESOURCE, [version, p.lastUpdated, p.content, 'Patient', w.id, w.version]);
      if (rows.length !== 1) throw new CheckError(`raw update of ${w.id}: version ${w.version} not found`);
      const [r] = rows;
      await q('raw_insert_history', INSERT_HISTORY, ['Patient', w.id, version, r.rid, p.lastUpdated, r.seq, p.content]);
      await q('raw_delete_index', DELETE_INDEX, [r.rid]);
      await q('raw_insert_index', INSERT_INDEX_SQL, [r.rid, 'Patient', p.index]);
    });
    w.version = version;
  }

  private async read(pos: number): Promise<void> {
    const w = this.ledger.at(pos);
    const { rows } = await this.db.query('raw_read', READ, ['Patient', w.id]);
    check(rows.length === 1, () => `raw read of ${w.id}: ${rows.length} rows`);
    const raw = rows[0].content;
    const c = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Resource;
    check(c.id === w.id && c.meta?.versionId === String(w.version), () => `raw read ${w.id}: content is ${c.id} version ${c.meta?.versionId}`);
    check(nameKey(c.name) === expectedName(w.n, w.version), () => `raw read ${w.id}: name ${nameKey(c.name)}`);
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
