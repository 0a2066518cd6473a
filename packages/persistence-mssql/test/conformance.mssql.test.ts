// The conformance kit on a live SQL Server (a fresh database per run), plus the paths only this
// adapter has: parameter-limit fallbacks, multi-batch writes, concurrent creates, application locks.
// Without HESTIA_TEST_MSSQL everything here is skipped, with the reason shown.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FhirError, type IndexEntry, type PersistenceAdapter, type WriteOp } from '@hestia/core';
import { runConformance } from '@hestia/conformance';
import { createMssqlAdapter, type MssqlStore } from '../src/index.js';
import { createTestDatabase, MSSQL_URL, SKIP_REASON } from './support.js';

if (!MSSQL_URL) {
  console.log(`# ${SKIP_REASON}`);
  test('conformance: sqlserver (live SQL Server)', { skip: SKIP_REASON }, () => undefined);
} else {
  const dbs = new Map<PersistenceAdapter, () => Promise<void>>();
  const open = async () => {
    const db = await createTestDatabase();
    const adapter = createMssqlAdapter(db.settings);
    await adapter.init();
    dbs.set(adapter, db.drop);
    return adapter;
  };
  const close = async (adapter: PersistenceAdapter) => {
    await adapter.close();
    await dbs.get(adapter)?.();
  };

  runConformance({ name: 'sqlserver', open, close });

  describe('SQL Server specifics (live)', () => {
    let store: MssqlStore;
    before(async () => {
      store = await open();
    });
    after(async () => {
      if (store) await close(store);
    });

    const NOW = '2024-03-01T10:00:00.000Z';
    const family = (v: string): IndexEntry[] => [{ code: 'family', value: { type: 'string', value: v, exact: v } }];
    const create = (id: string, index: IndexEntry[] = family(id)): WriteOp => ({ op: 'create', resourceType: 'Patient', id, versionId: 1, lastUpdated: NOW, index, resource: { resourceType: 'Patient', id } });

    test('init() is safe to run again', async () => {
      await store.init();
    });

    test('a write of more operations than one batch takes commits in one transaction, and readMany finds them all', async () => {
      const ops = Array.from({ length: 260 }, (_, i) => create(`bulk-${i}`));
      await store.write(ops);
      const found = await store.readMany(ops.map((o) => ({ resourceType: 'Patient', id: o.id })));
      assert.equal(found.length, 260);
      // A conflict in the last batch undoes the earlier batches too.
      const again = [...Array.from({ length: 250 }, (_, i) => create(`bulk2-${i}`)), create('bulk-0')];
      await assert.rejects(store.write(again), (e) => e instanceof FhirError && e.status === 409);
      assert.equal((await store.readMany(again.map((o) => ({ resourceType: 'Patient', id: o.id })))).length, 1);
    });

    test('a search with more values than SQL Server takes per request still runs', async () => {
      await store.write([create('many-ids')]);
      const ids = [...Array.from({ length: 2500 }, (_, i) => `nope-${i}`), 'many-ids', "o'brien?"];
      const page = await store.search({ types: ['Patient'], where: { kind: 'id', ids }, sort: [], count: 10, total: 'accurate', include: [], revinclude: [] });
      assert.deepEqual(page.rows.map((r) => r.version.id), ['many-ids']);
      assert.equal(page.total, 1);
    });

    test('concurrent creates of the same resource: one wins, the other gets 409', async () => {
      const results = await Promise.allSettled([store.write([create('race')]), store.write([create('race')])]);
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      assert.ok(failed.reason instanceof FhirError && failed.reason.status === 409);
    });

    test('a stale expectedVersion is a 409 and writes nothing', async () => {
      await store.write([create('stale')]);
      const stale: WriteOp = { ...create('stale'), op: 'update', versionId: 3, expectedVersion: 2 };
      await assert.rejects(store.write([stale]), (e) => e instanceof FhirError && e.status === 409);
      const history = await store.history({ resourceType: 'Patient', id: 'stale', count: 10 });
      assert.deepEqual(history.rows.map((r) => r.version.versionId), [1]);
    });

    test('lock(key) holds a second transaction with the same key until the first ends', async () => {
      const order: string[] = [];
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      const first = store.transaction(async (s) => {
        await s.lock('k');
        order.push('first locked');
        await held;
        order.push('first done');
      });
      await new Promise((r) => setTimeout(r, 200));
      const second = store.transaction(async (s) => {
        await s.lock('k');
        order.push('second locked');
      });
      await new Promise((r) => setTimeout(r, 300));
      release();
      await Promise.all([first, second]);
      assert.deepEqual(order, ['first locked', 'first done', 'second locked']);
    });
  });
}
