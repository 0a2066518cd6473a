// Test databases: a fresh PostgreSQL database per test file, dropped afterwards. When PostgreSQL is
// unreachable the tests fail under CI (CI=true) and are skipped, with the reason, elsewhere.
import knexFactory from 'knex';
import { randomBytes } from 'node:crypto';

export const PG_ADMIN_URL = process.env.HESTIA_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export async function postgresAvailable(): Promise<string | undefined> {
  const k = knexFactory({ client: 'pg', connection: PG_ADMIN_URL, pool: { min: 0, max: 1 }, acquireConnectionTimeout: 3000 });
  try {
    await k.raw('select 1');
    return undefined;
  } catch (e) {
    const why = `PostgreSQL is not reachable at ${PG_ADMIN_URL}: ${(e as Error).message}`;
    if (process.env.CI) throw new Error(why);
    return why;
  } finally {
    await k.destroy();
  }
}

/** Creates an empty database and returns its URL and a function that drops it. */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `hestia_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: PG_ADMIN_URL, pool: { min: 0, max: 1 } });
  await admin.raw(`create database ${name}`);
  await admin.destroy();
  const url = PG_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  return {
    url,
    async drop() {
      const a = knexFactory({ client: 'pg', connection: PG_ADMIN_URL, pool: { min: 0, max: 1 } });
      await a.raw(`drop database if exists ${name} with (force)`);
      await a.destroy();
    },
  };
}
