// A session wrapper that collects writes and sends them to the adapter as one write(ops[]) call.
// Used inside a transaction bundle, where the entries' writes need not reach the database one by
// one: a pending write is flushed only when something could observe it (a read of that resource,
// a search, history), and at the end.
import type { HistoryPage, HistoryQuery, PersistenceSession, SearchPage, StoredVersion, WriteOp } from './persistence.js';
import type { IndexEntry } from './search/values.js';
import type { SearchQuery } from './search/expression.js';

const key = (type: string, id: string) => `${type}/${id}`;

export class WriteBuffer implements PersistenceSession {
  private pending: WriteOp[] = [];
  private readonly touched = new Set<string>();

  constructor(readonly inner: PersistenceSession) {}

  /** Sends the pending writes (in order) in one call. */
  async flush(): Promise<void> {
    if (!this.pending.length) return;
    const ops = this.pending;
    this.pending = [];
    this.touched.clear();
    await this.inner.write(ops);
  }

  async write(ops: WriteOp[]): Promise<void> {
    for (const op of ops) {
      this.pending.push(op);
      this.touched.add(key(op.resourceType, op.id));
    }
  }

  async read(resourceType: string, id: string, opts?: { forUpdate?: boolean }): Promise<StoredVersion | undefined> {
    if (this.touched.has(key(resourceType, id))) await this.flush();
    return this.inner.read(resourceType, id, opts);
  }

  async readMany(refs: { resourceType: string; id: string }[]): Promise<StoredVersion[]> {
    if (refs.some((r) => this.touched.has(key(r.resourceType, r.id)))) await this.flush();
    return this.inner.readMany(refs);
  }

  async vread(resourceType: string, id: string, versionId: number): Promise<StoredVersion | undefined> {
    if (this.touched.has(key(resourceType, id))) await this.flush();
    return this.inner.vread(resourceType, id, versionId);
  }

  async hardDelete(resourceType: string, id: string): Promise<boolean> {
    await this.flush();
    return this.inner.hardDelete(resourceType, id);
  }

  async search(query: SearchQuery): Promise<SearchPage> {
    await this.flush();
    return this.inner.search(query);
  }

  async history(query: HistoryQuery): Promise<HistoryPage> {
    await this.flush();
    return this.inner.history(query);
  }

  async replaceIndex(items: { resourceType: string; id: string; index: IndexEntry[] }[], codes?: string[]): Promise<void> {
    await this.flush();
    return this.inner.replaceIndex(items, codes);
  }

  lock(k: string): Promise<void> {
    return this.inner.lock(k);
  }
}
