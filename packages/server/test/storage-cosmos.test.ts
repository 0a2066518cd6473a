// Storage kind `cosmos`: its settings, and a real server on the Cosmos DB emulator
// (@zeit/cosmosdb-server, in-process, plain HTTP) answering with x-ms-request-charge and honouring
// x-ms-consistency-level. The emulator charges 1 request unit per call, so charges count calls here.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { createHttpServer } from '@zeit/cosmosdb-server';
import { loadConfig } from '../src/config.js';
import { startServer, type RunningServer } from '../src/index.js';

test('cosmos settings come from HESTIA_COSMOS_*; endpoint, key and database are required', () => {
  const cfg = loadConfig({
    HESTIA_STORAGE: 'cosmos', HESTIA_COSMOS_ENDPOINT: 'https://acct.documents.azure.com:443/', HESTIA_COSMOS_KEY: 'k', HESTIA_COSMOS_DATABASE: 'fhir',
    HESTIA_COSMOS_RESOURCES_CONTAINER: 'cur', HESTIA_COSMOS_HISTORY_CONTAINER: 'hist', HESTIA_COSMOS_THROUGHPUT: '400', HESTIA_COSMOS_ENDPOINT_DISCOVERY: 'false',
  });
  assert.equal(cfg.storage.kind, 'cosmos');
  assert.deepEqual(cfg.storage.cosmos, { endpoint: 'https://acct.documents.azure.com:443/', key: 'k', database: 'fhir', resourcesContainer: 'cur', historyContainer: 'hist', throughput: 400, endpointDiscovery: false });
  assert.deepEqual(loadConfig({ HESTIA_STORAGE: 'cosmos', HESTIA_COSMOS_ENDPOINT: 'https://a.example', HESTIA_COSMOS_KEY: 'k' }).storage.cosmos,
    { endpoint: 'https://a.example', key: 'k', database: 'hestia', resourcesContainer: 'resources', historyContainer: 'history', throughput: 0, endpointDiscovery: true });
  assert.throws(() => loadConfig({ HESTIA_STORAGE: 'cosmos', HESTIA_COSMOS_KEY: 'k' }), /HESTIA_COSMOS_ENDPOINT, HESTIA_COSMOS_KEY, HESTIA_COSMOS_DATABASE/);
  assert.throws(() => loadConfig({ HESTIA_STORAGE: 'cosmos', HESTIA_COSMOS_ENDPOINT: 'acct', HESTIA_COSMOS_KEY: 'k' }), /storage\.cosmos\.endpoint must be an http\(s\) URL/);
});

describe('HTTP API on Cosmos DB (emulator)', () => {
  const emulator = createHttpServer();
  /** The x-ms-consistency-level of every request the emulator received. */
  const consistency: (string | undefined)[] = [];
  let srv: RunningServer;
  const json = { 'content-type': 'application/fhir+json' };

  before(async () => {
    emulator.on('request', (req: IncomingMessage) => consistency.push(req.headers['x-ms-consistency-level'] as string | undefined));
    await new Promise<void>((resolve) => emulator.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(emulator.address() as AddressInfo).port}`;
    srv = await startServer({
      port: 0, host: '127.0.0.1',
      storage: { kind: 'cosmos', cosmos: { endpoint, key: 'emulator', database: 'hestia-http', endpointDiscovery: false } },
      audit: { console: false },
      // (no export worker: its background polls would be counted among the emulator's requests)
      export: { enabled: false },
    }, {});
  });
  after(async () => {
    await srv?.close();
    emulator.closeAllConnections();
    await new Promise<void>((resolve) => emulator.close(() => resolve()));
  });

  test('every FHIR response carries x-ms-request-charge: the request units of the calls that request made', async () => {
    const created = await fetch(`${srv.url}/Patient`, { method: 'POST', headers: json, body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Charged' }] }) });
    assert.equal(created.status, 201);
    // One document create.
    assert.equal(created.headers.get('x-ms-request-charge'), '1');
    const p = await created.json();

    const updated = await fetch(`${srv.url}/Patient/${p.id}`, { method: 'PUT', headers: json, body: JSON.stringify({ ...p, gender: 'female' }) });
    assert.equal(updated.status, 200);
    // Lease create, read, copy of version 1, conditional replace, lease delete.
    assert.equal(updated.headers.get('x-ms-request-charge'), '5');

    const read = await fetch(`${srv.url}/Patient/${p.id}`);
    assert.equal(read.status, 200);
    assert.equal(read.headers.get('x-ms-request-charge'), '1');

    const missing = await fetch(`${srv.url}/Patient/does-not-exist`);
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get('x-ms-request-charge'), '1');

    const search = await fetch(`${srv.url}/Patient?family=charged&_total=accurate`);
    assert.equal(search.status, 200);
    assert.equal((await search.json()).total, 1);
    assert.ok(Number(search.headers.get('x-ms-request-charge')) >= 2, 'the page query and the count query');
  });

  test('/metrics counts the request units charged (hestia_db_request_charge_total) beside the calls', async () => {
    const charged = async () => {
      const text = await (await fetch(`${srv.url}/metrics`)).text();
      return Number(/^hestia_db_request_charge_total (\d+(?:\.\d+)?)$/m.exec(text)?.[1]);
    };
    const before = await charged();
    const res = await fetch(`${srv.url}/Patient`, { method: 'POST', headers: json, body: JSON.stringify({ resourceType: 'Patient' }) });
    assert.equal(res.status, 201);
    assert.equal(await charged(), before + Number(res.headers.get('x-ms-request-charge')));
  });

  test('x-ms-consistency-level relaxes reads of that request; a stronger level than the account\'s (Session) or an unknown one is 400', async () => {
    const created = await (await fetch(`${srv.url}/Patient`, { method: 'POST', headers: json, body: JSON.stringify({ resourceType: 'Patient' }) })).json();
    consistency.length = 0;
    const eventual = await fetch(`${srv.url}/Patient/${created.id}`, { headers: { 'x-ms-consistency-level': 'Eventual' } });
    assert.equal(eventual.status, 200);
    assert.deepEqual(consistency, ['Eventual']);
    consistency.length = 0;
    assert.equal((await fetch(`${srv.url}/Patient/${created.id}`)).status, 200);
    assert.deepEqual(consistency, [undefined]);

    const strong = await fetch(`${srv.url}/Patient/${created.id}`, { headers: { 'x-ms-consistency-level': 'Strong' } });
    assert.equal(strong.status, 400);
    const outcome = await strong.json();
    assert.equal(outcome.resourceType, 'OperationOutcome');
    assert.equal(outcome.issue[0].diagnostics, "x-ms-consistency-level 'Strong' is stronger than the account's default consistency 'Session'; a request can only relax it.");
    const bogus = await fetch(`${srv.url}/Patient/${created.id}`, { headers: { 'x-ms-consistency-level': 'Sometimes' } });
    assert.equal(bogus.status, 400);
    assert.match((await bogus.json()).issue[0].diagnostics, /not one of Strong, BoundedStaleness, Session, ConsistentPrefix, Eventual/);
  });

  test('capabilities: transaction bundles are refused with 400, batches run', async () => {
    const entry = [{ resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } }];
    const tx = await fetch(`${srv.url}/`, { method: 'POST', headers: json, body: JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry }) });
    assert.equal(tx.status, 400);
    assert.equal((await tx.json()).issue[0].code, 'not-supported');
    const batch = await fetch(`${srv.url}/`, { method: 'POST', headers: json, body: JSON.stringify({ resourceType: 'Bundle', type: 'batch', entry }) });
    assert.equal(batch.status, 200);
    assert.equal((await batch.json()).entry[0].response.status, '201 Created');
  });
});
