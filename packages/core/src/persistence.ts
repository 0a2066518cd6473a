// The persistence port: small, explicit, and with declared capabilities. Core owns every FHIR rule
// (versions, conditional logic, search parsing); an adapter stores versions and index rows and
// translates the search expression tree.
import type { Resource } from './types.js';
import type { IndexEntry } from './search/values.js';
import type { SearchQuery } from './search/expression.js';
import type { JobStore } from './jobs.js';

/** One version of a resource as stored. `resource` is absent for a deletion marker. */
export interface StoredVersion {
  resourceType: string;
  id: string;
  versionId: number;
  lastUpdated: string;
  deleted: boolean;
  resource?: Resource;
}

export interface WriteOp {
  op: 'create' | 'update' | 'delete';
  resourceType: string;
  id: string;
  /** The new version: its meta.versionId/lastUpdated are already set by core. Absent for delete. */
  resource?: Resource;
  versionId: number;
  lastUpdated: string;
  /** Index entries of the new version (empty for delete). */
  index: IndexEntry[];
  /** The current version core based this write on (undefined for a new resource); the adapter rejects the write if it changed. */
  expectedVersion?: number;
}

export interface SearchRow { version: StoredVersion; key: unknown[] }
export interface SearchPage { rows: SearchRow[]; hasMore: boolean; total?: number }

export interface HistoryQuery {
  resourceType?: string;
  id?: string;
  since?: string;
  at?: string;
  count: number;
  /** Keyset position: continue with versions older than this. */
  after?: unknown[];
}
export interface HistoryPage { rows: SearchRow[]; hasMore: boolean; total?: number }

export interface AdapterCapabilities {
  /** Atomic multi-resource transactions (transaction bundles). */
  transactions: boolean;
  /** Search expression kinds the adapter can translate. */
  chaining: boolean;
  reverseChaining: boolean;
  /** _text / _content full-text search. */
  fullText: boolean;
  sort: boolean;
  totalAccurate: boolean;
}

/** Operations available inside and outside a transaction. */
export interface PersistenceSession {
  /** The current version (possibly a deletion marker). With `forUpdate`, writers of this resource wait until the transaction ends. */
  read(resourceType: string, id: string, opts?: { forUpdate?: boolean }): Promise<StoredVersion | undefined>;
  readMany(refs: { resourceType: string; id: string }[]): Promise<StoredVersion[]>;
  vread(resourceType: string, id: string, versionId: number): Promise<StoredVersion | undefined>;
  /**
   * Writes new versions, atomically even outside a transaction; rejects with a 409 FhirError when
   * `expectedVersion` no longer matches (or a create finds an existing id).
   */
  write(ops: WriteOp[]): Promise<void>;
  /** Removes every version and index row of a resource. */
  hardDelete(resourceType: string, id: string): Promise<boolean>;
  search(query: SearchQuery): Promise<SearchPage>;
  history(query: HistoryQuery): Promise<HistoryPage>;
  /** Replaces the index entries of current resources (reindexing); with `codes`, only the entries of those parameters. */
  replaceIndex(items: { resourceType: string; id: string; index: IndexEntry[] }[], codes?: string[]): Promise<void>;
  /** Serializes transactions that take the same key (conditional operations). Held until the transaction ends. */
  lock(key: string): Promise<void>;
}

export interface PersistenceAdapter extends PersistenceSession {
  readonly name: string;
  readonly capabilities: AdapterCapabilities;
  /** Creates or upgrades the schema; safe to run twice. */
  init(): Promise<void>;
  transaction<T>(fn: (session: PersistenceSession) => Promise<T>): Promise<T>;
  /** Reachability check for health endpoints. */
  ping(): Promise<void>;
  close(): Promise<void>;
  /** Optional: database call timings and connection pool usage, for metrics. */
  readonly instrumentation?: AdapterInstrumentation;
  /** Optional: per-request metering of what the database charges (e.g. Cosmos DB request units) and per-request options. */
  readonly metering?: AdapterMetering;
  /** Long-running jobs ($export), kept in the same database. */
  readonly jobs: JobStore;
}

/** Every current resource of `type`, page by page (for the few kept in memory: SearchParameters, Subscriptions). */
export async function* currentResources(s: PersistenceSession, type: string): AsyncGenerator<StoredVersion> {
  let after: unknown[] | undefined;
  for (;;) {
    const page = await s.search({ types: [type], sort: [], count: 500, total: 'none', include: [], revinclude: [], after });
    for (const row of page.rows) yield row.version;
    if (!page.hasMore) return;
    after = page.rows[page.rows.length - 1].key;
  }
}

/** Per-request options a host may pass to a storage that supports them. */
export interface RequestScopeOptions {
  /** A weaker read consistency for this request, named as the storage names it (e.g. Cosmos DB's 'Eventual'). */
  consistency?: string;
}

/** What the storage charged for the calls made while serving one request. */
export interface RequestMeter { readonly requestCharge: number }

/** Per-request accounting for storages that charge per call. */
export interface AdapterMetering {
  /**
   * Runs `fn` in a new request scope: every database call made within it (and in the async work it
   * starts) adds its charge to `meter` and uses `options`. Throws a 400 FhirError for options the
   * storage refuses.
   */
  run<T>(options: RequestScopeOptions, fn: (meter: RequestMeter) => T): T;
}

/** One database call, as an adapter reports it to its instrumentation's listeners. */
export interface DatabaseCall {
  durationMs: number;
  failed: boolean;
  /** The statement as the database got it: SQL, a Cosmos DB query, or the name of a point operation. Values are not in it. */
  statement: string;
  /** The values bound to the statement. They may hold patient data: a listener that keeps them must not keep them as they are. */
  bindings?: readonly unknown[];
  /** What the database charged for the call, in its own units (Cosmos DB: request units). */
  requestCharge?: number;
}

/** What an adapter may tell about its database for metrics and logs, without exposing its internals. */
export interface AdapterInstrumentation {
  /** Calls `listener` after every database call; returns the function that unsubscribes. */
  onCall(listener: (call: DatabaseCall) => void): () => void;
  /** Connections in use, idle, and requests waiting for one, now; `max` is the pool's size. Absent for a storage without a pool (Cosmos DB). */
  pool?(): { used: number; idle: number; pending: number; max: number };
}
