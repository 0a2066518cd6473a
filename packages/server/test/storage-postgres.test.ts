// Storage kind `postgres`: HESTIA_POSTGRES_PREPARED_STATEMENTS reaches the adapter (named prepared
// statements by default; none when turned off, for poolers that do not track them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SqlStore } from '@hestia/persistence-postgres';
import { loadConfig } from '../src/config.js';
import { openStorage } from '../src/storage.js';
import { createTestDatabase, postgresAvailable } from '../../../test/support/postgres.js';

const unavailable = await postgresAvailable();
test('HESTIA_POSTGRES_PREPARED_STATEMENTS: reads run as named prepared statements unless it is false', { skip: unavailable }, async () => {
  const db = await createTestDatabase();
  try {
    assert.equal(loadConfig({ HESTIA_STORAGE: 'postgres', HESTIA_POSTGRES_URL: db.url }).storage.preparedStatements, true);
    for (const [setting, expected] of [[undefined, ['hestia_read']], ['false', []]] as const) {
      const cfg = loadConfig({ HESTIA_STORAGE: 'postgres', HESTIA_POSTGRES_URL: db.url, HESTIA_POSTGRES_POOL_MAX: '1', ...(setting ? { HESTIA_POSTGRES_PREPARED_STATEMENTS: setting } : {}) });
      const adapter = (await openStorage(cfg)) as SqlStore;
      try {
        assert.equal(await adapter.read('Patient', 'nobody'), undefined);
        const names = (await adapter.knex.raw(`select name from pg_prepared_statements where name like 'hestia%' order by name`)).rows.map((r: { name: string }) => r.name);
        assert.deepEqual(names, expected, `HESTIA_POSTGRES_PREPARED_STATEMENTS=${setting}`);
      } finally {
        await adapter.close();
      }
    }
  } finally {
    await db.drop();
  }
});
