// meta.lastUpdated read from PostgreSQL's timestamptz as ISO 8601 text, whatever the session's time zone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPostgresAdapter, timestamptzToIso } from '../src/index.js';
import { createTestDatabase, postgresAvailable } from '../../../test/support/postgres.js';

test('timestamptz text becomes ISO 8601 UTC with milliseconds', () => {
  assert.equal(timestamptzToIso('2026-11-29 08:25:14.232+00'), '2026-11-29T08:25:14.232Z');
  assert.equal(timestamptzToIso('2026-11-29 08:25:14+00'), '2026-11-29T08:25:14.000Z');
  assert.equal(timestamptzToIso('2026-11-29 08:25:14.5+00'), '2026-11-29T08:25:14.500Z');
  assert.equal(timestamptzToIso('2026-11-29 08:25:14.232987+00'), '2026-11-29T08:25:14.232Z');
  assert.equal(timestamptzToIso('2026-11-29 13:55:14.232+05:30'), '2026-11-29T08:25:14.232Z');
  assert.equal(timestamptzToIso('2026-11-29 03:25:14.232-05'), '2026-11-29T08:25:14.232Z');
});

const unavailable = await postgresAvailable();
test('versions read back with the lastUpdated they were written with, in UTC and other session time zones', { skip: unavailable }, async () => {
  const db = await createTestDatabase();
  try {
    for (const [i, tz] of ['UTC', 'Asia/Kolkata', 'America/New_York'].entries()) {
      const adapter = createPostgresAdapter({ connection: { connectionString: db.url, options: `-c timezone=${tz}` } });
      await adapter.init();
      try {
        const lastUpdated = `2026-0${i + 1}-15T23:59:0${i}.07${i}Z`;
        const id = `tz${i}`;
        const resource = { resourceType: 'Patient', id, meta: { versionId: '1', lastUpdated } };
        await adapter.write([{ op: 'create', resourceType: 'Patient', id, resource, versionId: 1, lastUpdated, index: [] }]);
        const v = await adapter.read('Patient', id);
        assert.equal(v?.lastUpdated, lastUpdated, tz);
        const h = await adapter.history({ resourceType: 'Patient', id, count: 10 });
        assert.deepEqual(h.rows.map((r) => r.version.lastUpdated), [lastUpdated], tz);
      } finally {
        await adapter.close();
      }
    }
  } finally {
    await db.drop();
  }
});
