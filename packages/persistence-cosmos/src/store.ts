// The Cosmos DB store (the adapter): creates the database and containers, and opens sessions.
// Cosmos has no multi-partition transactions, so capabilities.transactions is false (core refuses
// transaction bundles) and transaction(fn) runs fn with a session whose calls execute directly.
import { CosmosClient, type CosmosClientOptions, type IndexingPolicy } from '@azure/cosmos';
import type { AdapterCapabilities, JobStore, PersistenceAdapter, PersistenceSession } from '@hestia/core';
import { CosmosDb } from './db.js';
import { CosmosJobStore } from './jobs.js';
import { Leases } from './lease.js';
import { CosmosInstrumentation } from './instrumentation.js';
import { CosmosMetering, CONSISTENCY_LEVELS, type ConsistencyName } from './metering.js';
import type { SearchLimits } from './search.js';
import { CosmosSession, type Containers, type TxState } from './session.js';

export interface CosmosOptions {
  endpoint: string;
  key: string;
  database: string;
  /** Container names: current versions (default 'resources') and superseded versions plus leases (default 'history'). */
  containers?: { resources?: string; history?: string };
  /** Throughput (RU/s) of each container this adapter creates; the account's default when absent. */
  throughput?: number;
  /**
   * The account's default consistency, when it cannot be read from the account (requests may only
   * relax it with x-ms-consistency-level). Read from the account at init() otherwise.
   */
  accountConsistency?: ConsistencyName;
  /**
   * Bounds of the work done outside Cosmos queries: keys a chain or _has sub-query may collect, and
   * matches a search sorted by several parameters may have (400 too-costly beyond). Default 1000 each.
   */
  limits?: Partial<SearchLimits>;
  /** Lease time-to-live and wait for lock(). */
  lease?: { ttlSeconds?: number; waitMs?: number };
  /** Extra client settings (e.g. an https agent, connectionPolicy) passed to CosmosClient. */
  client?: Omit<CosmosClientOptions, 'endpoint' | 'key'>;
}

/**
 * Index what searches test and sort on, never the resource bodies nor a job's own state (a write
 * costs request units per indexed path). Version documents are only read by partition key and history key.
 */
const INDEXING: Record<keyof Containers, IndexingPolicy> = {
  resources: { indexingMode: 'consistent', automatic: true, includedPaths: [{ path: '/*' }], excludedPaths: [{ path: '/res/*' }, { path: '/job/data/*' }, { path: '/"_etag"/?' }] },
  history: {
    indexingMode: 'consistent', automatic: true,
    includedPaths: ['/pk/?', '/type/?', '/ts/?', '/hk/?'].map((path) => ({ path })),
    excludedPaths: [{ path: '/*' }],
  },
};

export class CosmosStore extends CosmosSession implements PersistenceAdapter {
  readonly name = 'cosmos';
  readonly capabilities: AdapterCapabilities = { transactions: false, chaining: true, reverseChaining: true, fullText: false, sort: true, totalAccurate: true };
  readonly metering: CosmosMetering;
  readonly instrumentation: CosmosInstrumentation;
  /** Jobs live in the resources container (see jobs.ts). */
  readonly jobs: JobStore;
  private readonly names: Record<keyof Containers, string>;

  constructor(private readonly client: CosmosClient, private readonly opts: CosmosOptions, metering = new CosmosMetering()) {
    const names = { resources: opts.containers?.resources ?? 'resources', history: opts.containers?.history ?? 'history' };
    const database = client.database(opts.database);
    const instrumentation = new CosmosInstrumentation();
    const db: Containers = { resources: new CosmosDb(database.container(names.resources), metering, instrumentation), history: new CosmosDb(database.container(names.history), metering, instrumentation) };
    const limit = (n: number | undefined) => Math.max(1, Math.trunc(n ?? 1000));
    const limits = { joinKeys: limit(opts.limits?.joinKeys), sortedMatches: limit(opts.limits?.sortedMatches) };
    super(db, new Leases(db.history, { ttlSeconds: opts.lease?.ttlSeconds ?? 30, waitMs: opts.lease?.waitMs ?? 10000 }), limits);
    this.names = names;
    this.metering = metering;
    this.instrumentation = instrumentation;
    this.jobs = new CosmosJobStore(db.resources);
    if (opts.accountConsistency) metering.accountConsistency = opts.accountConsistency;
  }

  /** Creates the database and containers if missing: partition key /pk, TTL on (for leases, which set their own). */
  async init(): Promise<void> {
    const { database } = await this.client.databases.createIfNotExists({ id: this.opts.database });
    for (const kind of ['resources', 'history'] as const) {
      const { resource } = await database.containers.createIfNotExists(
        { id: this.names[kind], partitionKey: { paths: ['/pk'] }, defaultTtl: -1, indexingPolicy: INDEXING[kind] },
        this.opts.throughput ? { offerThroughput: this.opts.throughput } : undefined,
      );
      const paths = resource?.partitionKey?.paths;
      if (paths && (paths.length !== 1 || paths[0] !== '/pk')) {
        throw new Error(`The Cosmos DB container '${this.names[kind]}' is partitioned by ${paths.join(', ')}; Hestia needs a container partitioned by /pk.`);
      }
    }
    if (!this.opts.accountConsistency) {
      const account = await this.client.getDatabaseAccount();
      const known = CONSISTENCY_LEVELS.find((l) => l === String(account.resource?.consistencyPolicy));
      if (known) this.metering.accountConsistency = known;
    }
  }

  async transaction<T>(fn: (session: PersistenceSession) => Promise<T>): Promise<T> {
    const tx: TxState = { docs: new Map(), leases: [], held: new Set() };
    try {
      return await fn(new CosmosSession(this.db, this.leases, this.limits, tx));
    } finally {
      await Promise.all(tx.leases.map((l) => this.leases.release(l).catch(() => undefined)));
    }
  }

  async ping(): Promise<void> {
    await this.metering.metered(this.db.resources.container.read());
  }

  async close(): Promise<void> {
    this.client.dispose();
  }
}

export function createCosmosAdapter(opts: CosmosOptions): CosmosStore {
  const client = new CosmosClient({ ...opts.client, endpoint: opts.endpoint, key: opts.key });
  return new CosmosStore(client, opts);
}
