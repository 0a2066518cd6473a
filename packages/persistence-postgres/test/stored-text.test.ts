// Resources read from PostgreSQL (here the embedded one) go out in Bundles as the JSON text they were
// stored as, unread: search matches while _include looks into them for references, and history.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FhirEngine, storedJson, stringifyWithStored, type Bundle, type FhirResponse } from '@hestia/core';
import { Client } from '@hestia/conformance';
import { createEmbeddedAdapter } from '../src/index.js';

test('search matches looked into by _include, and history entries, keep their stored text', async () => {
  const adapter = await createEmbeddedAdapter({ dataDir: 'memory://' });
  try {
    await adapter.init();
    const engine = new FhirEngine({ adapter });
    await engine.init();
    const client = new Client(engine);
    const pat = await client.create({ resourceType: 'Patient', name: [{ family: 'Stored' }] });
    const obs = await client.create({ resourceType: 'Observation', status: 'final', code: { text: 'ß' }, subject: { reference: `Patient/${pat.id}` } });
    await client.request('PUT', `Observation/${obs.id}`, { body: { ...obs, status: 'amended' } });

    const entriesOf = (res: FhirResponse) => (res.body as Bundle).entry ?? [];
    const search = await client.request('GET', 'Observation', { query: [['_id', obs.id!], ['_include', 'Observation:subject']] });
    assert.equal(search.status, 200);
    const found = entriesOf(search);
    assert.deepEqual(found.map((e) => storedJson(e, 'resource') !== undefined), [true, true]);
    const history = await client.request('GET', `Observation/${obs.id}/_history`);
    assert.equal(history.status, 200);
    const versions = entriesOf(history);
    assert.deepEqual(versions.map((e) => storedJson(e, 'resource') !== undefined), [true, true]);

    // What goes out: the include found the subject, each version is the one stored.
    const out = JSON.parse(stringifyWithStored(search, 'body')) as Bundle;
    assert.deepEqual(out.entry!.map((e) => `${e.search?.mode} ${e.resource?.resourceType}/${e.resource?.id}`), [`match Observation/${obs.id}`, `include Patient/${pat.id}`]);
    assert.equal((out.entry![0].resource as { status?: string }).status, 'amended');
    const hist = JSON.parse(stringifyWithStored(history, 'body')) as Bundle;
    assert.deepEqual(hist.entry!.map((e) => [e.resource?.meta?.versionId, (e.resource as { status?: string }).status, e.request?.method, e.response?.etag]), [['2', 'amended', 'PUT', 'W/"2"'], ['1', 'final', 'POST', 'W/"1"']]);
    assert.deepEqual(hist.entry!.map((e) => Object.keys(e)), [['fullUrl', 'resource', 'request', 'response'], ['fullUrl', 'resource', 'request', 'response']]);
  } finally {
    await adapter.close();
  }
});
