export { SqlStore, SqlSession } from './store.js';
export { createPostgresAdapter, createEmbeddedAdapter, timestamptzToIso, type PostgresOptions, type EmbeddedOptions } from './adapters.js';
export { migrate, SCHEMA_VERSION } from './schema.js';
export { buildSearch, SqlBuilder } from './search-sql.js';
