// Chooses the persistence adapter from configuration.
import type { PersistenceAdapter } from '@hestia/core';
import { createEmbeddedAdapter, createPostgresAdapter } from '@hestia/persistence-postgres';
import type { HestiaConfig } from './config.js';

export async function openStorage(cfg: HestiaConfig): Promise<PersistenceAdapter> {
  const adapter = cfg.storage.kind === 'postgres'
    ? createPostgresAdapter({ connection: cfg.storage.connectionString, pool: { max: cfg.storage.poolMax } })
    : await createEmbeddedAdapter({ dataDir: cfg.storage.dataDir });
  try {
    await adapter.init();
  } catch (e) {
    await adapter.close().catch(() => undefined);
    throw e;
  }
  return adapter;
}
