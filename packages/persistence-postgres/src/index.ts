export { SqlStore, SqlSession, READ_MANY_SQL } from './store.js';
export { createPostgresAdapter, createEmbeddedAdapter, timestamptzToIso, type PostgresOptions, type EmbeddedOptions } from './adapters.js';
export { migrate, SCHEMA_VERSION } from './schema.js';
export { buildSearch, SqlBuilder } from './search-sql.js';
