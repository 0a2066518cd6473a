// The operations of the port on the two containers: current documents with their index, version
// documents for history, leases for lock(). A session made by transaction(fn) remembers the
// documents it read (with their etags) for the optimistic-concurrency writes that follow, and the
// leases it took (released when fn ends, by the store).
import {
  conflict, type HistoryPage, type HistoryQuery, type IndexEntry, type PersistenceSession, type SearchPage, type SearchQuery, type StoredVersion, type WriteOp,
} from '@hestia/core';
import { CosmosDb, statusOf } from './db.js';
import { mergeIndex, sortValues, toDocIndex } from './doc-index.js';
import { currentDoc, partitionKey, toStoredVersion, versionCopy, versionDocId, type CurrentDoc, type SystemFields, type VersionDoc } from './documents.js';
import { history } from './history.js';
import { Leases, type Lease } from './lease.js';
import { search, type SearchLimits } from './search.js';
import { mapLimited, READ_CONCURRENCY } from './parallel.js';

type Stored = CurrentDoc & SystemFields;

/** readMany: point reads up to this many resources, a query by partition keys beyond. */
const POINT_READS_MAX = 4;
/** Partition keys per readMany query (a bound on the query's size). */
const KEYS_PER_QUERY = 500;

/** What one transaction(fn) remembers: documents read (for their etags) and leases taken. */
export interface TxState { docs: Map<string, Stored>; leases: Lease[]; held: Set<string> }

/** The two containers: current versions (searched) and superseded versions plus leases. */
export interface Containers { resources: CosmosDb; history: CosmosDb }

export class CosmosSession implements PersistenceSession {
  constructor(protected readonly db: Containers, protected readonly leases: Leases, protected readonly limits: SearchLimits, private readonly tx?: TxState) {}

  private async current(type: string, id: string): Promise<Stored | undefined> {
    const pk = partitionKey(type, id);
    const doc = await this.db.resources.read<CurrentDoc>(id, pk);
    if (doc && this.tx) this.tx.docs.set(pk, doc);
    return doc;
  }

  /**
   * With forUpdate inside transaction(fn), a lease on the resource is taken first and held until fn
   * ends, so that writers of one resource wait for each other as the port asks (instead of failing
   * on the etag check).
   */
  async read(resourceType: string, id: string, opts?: { forUpdate?: boolean }): Promise<StoredVersion | undefined> {
    if (opts?.forUpdate && this.tx) await this.lock(`resource:${partitionKey(resourceType, id)}`);
    const doc = await this.current(resourceType, id);
    return doc && toStoredVersion(doc);
  }

  /**
   * A few resources by point reads (8 at a time), more by one query on their partition keys: one
   * round trip (two with the SDK's query plan) instead of one per resource, for about the same
   * documents loaded. In the order of `refs`.
   */
  async readMany(refs: { resourceType: string; id: string }[]): Promise<StoredVersion[]> {
    const keys = [...new Set(refs.map((r) => partitionKey(r.resourceType, r.id)))];
    let docs: (Stored | undefined)[];
    if (keys.length <= POINT_READS_MAX) {
      docs = await mapLimited(refs, READ_CONCURRENCY, (r) => this.db.resources.read<CurrentDoc>(r.id, partitionKey(r.resourceType, r.id)));
    } else {
      const found = new Map<string, Stored>();
      for (let i = 0; i < keys.length; i += KEYS_PER_QUERY) {
        const chunk = keys.slice(i, i + KEYS_PER_QUERY);
        const rows = await this.db.resources.query<Stored>({ query: 'SELECT * FROM c WHERE ARRAY_CONTAINS(@keys, c.pk)', parameters: [{ name: '@keys', value: chunk }] });
        for (const d of rows) found.set(d.pk, d);
      }
      docs = refs.map((r) => found.get(partitionKey(r.resourceType, r.id)));
    }
    return docs.filter((d): d is Stored => !!d).map(toStoredVersion);
  }

  /** A superseded version is its own document; the current version is only in the current document. */
  async vread(resourceType: string, id: string, versionId: number): Promise<StoredVersion | undefined> {
    const pk = partitionKey(resourceType, id);
    const old = await this.db.history.read<VersionDoc>(versionDocId(id, versionId), pk);
    if (old) return toStoredVersion(old);
    const cur = await this.db.resources.read<CurrentDoc>(id, pk);
    return cur && cur.vid === versionId ? toStoredVersion(cur) : undefined;
  }

  /** One write at a time: several ops are not atomic here (only transaction bundles send several, and core refuses those). */
  async write(ops: WriteOp[]): Promise<void> {
    for (const op of ops) await this.writeOne(op);
  }

  private async writeOne(op: WriteOp): Promise<void> {
    const next = currentDoc(op);
    const what = `${op.resourceType}/${op.id}`;
    if (op.expectedVersion === undefined) {
      try {
        this.remember(await this.db.resources.create(next));
      } catch (e) {
        if (statusOf(e) === 409) throw conflict(`${what} already exists.`);
        throw e;
      }
      return;
    }
    const known = this.tx?.docs.get(next.pk);
    const cur = known?.vid === op.expectedVersion ? known : await this.current(op.resourceType, op.id);
    if (!cur || cur.vid !== op.expectedVersion) throw conflict(`${what} was changed by another request; retry.`);
    // The version being replaced is copied first: the replace below is the commit, and a copy left
    // by a failed replace is still an exact copy of a committed version.
    await this.db.history.upsert(versionCopy(cur));
    try {
      this.remember(await this.db.resources.replace(next, next.pk, cur._etag));
    } catch (e) {
      if (statusOf(e) === 412) throw conflict(`${what} was changed by another request; retry.`);
      throw e;
    }
  }

  private remember(doc: Stored): void {
    this.tx?.docs.set(doc.pk, doc);
  }

  /** Deletes the version documents first and the current document last, so history never outlives it. */
  async hardDelete(resourceType: string, id: string): Promise<boolean> {
    const pk = partitionKey(resourceType, id);
    const ids = await this.db.history.query<string>({ query: 'SELECT VALUE c.id FROM c WHERE c.pk = @pk', parameters: [{ name: '@pk', value: pk }] }, pk);
    await mapLimited(ids, READ_CONCURRENCY, (docId) => this.db.history.delete(docId, pk));
    this.tx?.docs.delete(pk);
    return this.db.resources.delete(id, pk);
  }

  search(query: SearchQuery): Promise<SearchPage> {
    return search(this.db.resources, query, this.limits);
  }

  history(query: HistoryQuery): Promise<HistoryPage> {
    return history(this.db, query);
  }

  /** Rewrites the index of current documents (etag-conditional, re-read and retried when a write came between). */
  async replaceIndex(items: { resourceType: string; id: string; index: IndexEntry[] }[], codes?: string[]): Promise<void> {
    for (const item of items) {
      for (let attempt = 0; ; attempt++) {
        const cur = await this.current(item.resourceType, item.id);
        if (!cur || cur.del) break;
        const fresh = toDocIndex(item.index);
        const idx = codes ? mergeIndex(cur.idx, fresh, codes) : fresh;
        const { _etag, _ts, _rid, _self, _attachments, ...doc } = cur;
        try {
          this.remember(await this.db.resources.replace({ ...doc, idx, srt: sortValues(idx, cur) }, cur.pk, _etag));
          break;
        } catch (e) {
          if (statusOf(e) !== 412 || attempt >= 3) throw e;
        }
      }
    }
  }

  /** Inside transaction(fn) the lease is held until fn ends; outside, this only waits for the current holder. */
  async lock(key: string): Promise<void> {
    if (this.tx?.held.has(key)) return;
    const lease = await this.leases.acquire(key);
    this.tx?.held.add(key);
    if (this.tx) this.tx.leases.push(lease);
    else await this.leases.release(lease);
  }
}
