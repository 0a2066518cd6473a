// The live SQL Server used by the conformance kit: HESTIA_TEST_MSSQL, a connection string whose login
// may create databases (each run gets a fresh one, dropped afterwards). Without it the live tests
// are skipped with the reason; under CI an unreachable server fails them.
import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';
import { knexConfig, resolveSettings, type ConnectionSettings } from '../src/connection.js';

export const MSSQL_URL = process.env.HESTIA_TEST_MSSQL;
export const SKIP_REASON = 'skipped: live SQL Server suite — set HESTIA_TEST_MSSQL=... (no SQL Server on this machine)';

const admin = (s: ConnectionSettings) => knexFactory(knexConfig({ ...s, database: 'master', pool: { min: 0, max: 1 } }));

/** Creates an empty database on the HESTIA_TEST_MSSQL server; returns its settings and a function that drops it. */
export async function createTestDatabase(): Promise<{ settings: ConnectionSettings; drop: () => Promise<void> }> {
  const base = resolveSettings({ connectionString: MSSQL_URL! });
  const name = `hestia_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const k = admin(base);
  try {
    await k.raw(`create database [${name}]`);
  } finally {
    await k.destroy();
  }
  return {
    settings: { ...base, database: name },
    async drop() {
      const a = admin(base);
      try {
        // Not available on Azure SQL Database, where closing the pool is enough.
        await a.raw(`alter database [${name}] set single_user with rollback immediate`).catch(() => undefined);
        await a.raw(`drop database if exists [${name}]`);
      } finally {
        await a.destroy();
      }
    },
  };
}
