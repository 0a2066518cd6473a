// Chooses the persistence adapter from configuration.
import type { PersistenceAdapter } from '@hestia/core';
import { createEmbeddedAdapter, createPostgresAdapter } from '@hestia/persistence-postgres';
import { createMssqlAdapter } from '@hestia/persistence-mssql';
import { createCosmosAdapter } from '@hestia/persistence-cosmos';
import type { HestiaConfig } from './config.js';

/** SQL Server settings: the connection string's, with the separately configured values over them. */
function sqlServer({ storage: { sqlserver: s, poolMax } }: HestiaConfig): PersistenceAdapter {
  const given = (v: string) => v || undefined;
  return createMssqlAdapter({
    connectionString: given(s.url), host: given(s.host), user: given(s.user), password: given(s.password), database: given(s.database),
    // With a connection string, the string decides port and encryption (encrypted unless it says otherwise).
    ...(s.url ? {} : { port: s.port, encrypt: s.encrypt, trustServerCertificate: s.trustServerCertificate }),
    pool: { max: poolMax },
  });
}

function cosmos({ storage: { cosmos: c } }: HestiaConfig): PersistenceAdapter {
  return createCosmosAdapter({
    endpoint: c.endpoint, key: c.key, database: c.database,
    containers: { resources: c.resourcesContainer, history: c.historyContainer },
    ...(c.throughput > 0 ? { throughput: c.throughput } : {}),
    client: { connectionPolicy: { enableEndpointDiscovery: c.endpointDiscovery } },
  });
}

export async function openStorage(cfg: HestiaConfig): Promise<PersistenceAdapter> {
  const adapter = cfg.storage.kind === 'postgres'
    ? createPostgresAdapter({ connection: cfg.storage.connectionString, pool: { max: cfg.storage.poolMax }, preparedStatements: cfg.storage.preparedStatements })
    : cfg.storage.kind === 'sqlserver'
      ? sqlServer(cfg)
      : cfg.storage.kind === 'cosmos'
        ? cosmos(cfg)
        : await createEmbeddedAdapter({ dataDir: cfg.storage.dataDir });
  try {
    await adapter.init();
  } catch (e) {
    await adapter.close().catch(() => undefined);
    throw e;
  }
  return adapter;
}
