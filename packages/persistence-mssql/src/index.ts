export { MssqlStore, MssqlSession, createMssqlAdapter, lockName, type MssqlStoreOptions } from './store.js';
export { knexConfig, parseConnectionString, resolveSettings, type MssqlOptions, type ConnectionSettings } from './connection.js';
export { migrate, MIGRATIONS, MIGRATION_SQL, SCHEMA_VERSION, INDEX_COLUMNS } from './schema.js';
export { tsqlDialect, COLLATION } from './dialect.js';
export * as statements from './statements.js';
export { render, type Stmt, type IfBlock, type Batch } from './batch.js';
