// The conformance kit on a PostgreSQL server (a fresh database per run).
import { runConformance } from '@hestia/conformance';
import { createPostgresAdapter } from '../src/index.js';
import { createTestDatabase, postgresAvailable } from '../../../test/support/postgres.js';

const unavailable = await postgresAvailable();
if (unavailable) {
  console.log(`# skipped: ${unavailable}`);
} else {
  const dbs = new Map<object, () => Promise<void>>();
  runConformance({
    name: 'postgres',
    async open() {
      const db = await createTestDatabase();
      const adapter = createPostgresAdapter({ connection: db.url });
      await adapter.init();
      dbs.set(adapter, db.drop);
      return adapter;
    },
    async close(adapter) {
      await adapter.close();
      await dbs.get(adapter)?.();
    },
  });
}
