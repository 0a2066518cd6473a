// Storage kind `postgres`: HESTIA_POSTGRES_PREPARED_STATEMENTS reaches the adapter (named prepared
// statements by default; none when turned off, for poolers that do not track them); two servers on
// one database share custom search parameters and Subscriptions (syncSeconds).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SqlStore } from '@hestia/persistence-postgres';
import { loadConfig } from '../src/config.js';
import { startServer } from '../src/index.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
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

/** An HTTP server that records the paths it is posted to. */
async function startReceiver() {
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push(req.url ?? '');
    req.resume().on('end', () => res.end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    paths,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

test('two servers on one database: a SearchParameter or a Subscription created (or deleted) on one applies on the other within syncSeconds', { skip: unavailable }, async () => {
  assert.equal(loadConfig({}).syncSeconds, 60);
  assert.equal(loadConfig({ HESTIA_SYNC_SECONDS: '0' }).syncSeconds, 0);
  assert.throws(() => loadConfig({ HESTIA_SYNC_SECONDS: '-1' }), /syncSeconds \(HESTIA_SYNC_SECONDS\) must be a number of seconds, 0 or more/);
  const db = await createTestDatabase();
  const receiver = await startReceiver();
  const common = { port: 0, host: '127.0.0.1', storage: { kind: 'postgres' as const, connectionString: db.url }, audit: { console: false }, export: { enabled: false }, syncSeconds: 0.2, subscriptions: { enabled: true } };
  const a = await startServer(common, {});
  const b = await startServer(common, {});
  const quiet = await startServer({ ...common, syncSeconds: 0 }, {});
  const json = { 'content-type': 'application/fhir+json' };
  const known = async (url: string) => (await fetch(`${url}/Patient?sock-colour=red`, { headers: { prefer: 'handling=strict' } })).status === 200;
  /** Whether the server comes to know (or forget) the parameter within 3 s. */
  const within = async (url: string, expected: boolean) => {
    for (let i = 0; i < 30 && (await known(url)) !== expected; i++) await new Promise((r) => setTimeout(r, 100));
    return known(url);
  };
  try {
    const sp = {
      resourceType: 'SearchParameter', url: 'http://hestia.test/SearchParameter/sock-colour', name: 'sockColour', status: 'active', description: 'Sock colour',
      code: 'sock-colour', base: ['Patient'], type: 'string', expression: "Patient.extension.where(url='http://hestia.test/sock').value",
    };
    const created = await fetch(`${a.url}/SearchParameter`, { method: 'POST', headers: json, body: JSON.stringify(sp) });
    assert.equal(created.status, 201);
    const { id } = (await created.json()) as { id: string };
    assert.equal(await known(a.url), true);
    assert.equal(await within(b.url, true), true);
    assert.equal(await known(quiet.url), false, 'a server that does not sync learns of it only when it starts');
    assert.equal((await fetch(`${a.url}/SearchParameter/${id}`, { method: 'DELETE' })).status, 204);
    assert.equal(await known(a.url), false);
    assert.equal(await within(b.url, false), false);
    // A Subscription created on one server notifies of writes on the other once that one has synced.
    const hook = await fetch(`${a.url}/Subscription`, { method: 'POST', headers: json, body: JSON.stringify({ resourceType: 'Subscription', status: 'requested', reason: 'r', criteria: 'Patient?family=Synced', channel: { type: 'rest-hook', endpoint: `${receiver.url}/synced` } }) });
    assert.equal(hook.status, 201);
    await new Promise((r) => setTimeout(r, 600));
    assert.equal((await fetch(`${b.url}/Patient`, { method: 'POST', headers: json, body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Synced' }] }) })).status, 201);
    for (let i = 0; i < 50 && !receiver.paths.length; i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(receiver.paths, ['/synced']);
  } finally {
    for (const s of [a, b, quiet]) await s.close();
    await receiver.close();
    await db.drop();
  }
});
