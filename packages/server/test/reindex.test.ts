// Asynchronous $reindex over HTTP on the embedded database: `Prefer: respond-async` answers 202 with
// a status URL, a job runner reindexes page by page, the status answers 202 with the progress and
// then 200 with the result; DELETE cancels; without the header $reindex answers at once.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type RunningServer } from '../src/index.js';
import { actionFor } from '../src/security/actions.js';

const EXT = 'http://hestia.test/StructureDefinition/favourite-colour';
const json = { 'content-type': 'application/fhir+json' };
const PATIENTS = 450;

describe('asynchronous $reindex', () => {
  let srv: RunningServer;
  before(async () => {
    srv = await startServer({ port: 0, host: '127.0.0.1', storage: { kind: 'embedded', dataDir: 'memory://' }, audit: { console: false }, export: { enabled: false } }, {});
    // More patients than one page holds (200), written before the parameter exists.
    const entry = Array.from({ length: PATIENTS }, (_, i) => ({
      resource: { resourceType: 'Patient', name: [{ family: 'Colourful' }], extension: [{ url: EXT, valueString: i % 3 === 0 ? 'teal' : 'plum' }] },
      request: { method: 'POST', url: 'Patient' },
    }));
    const res = await fetch(srv.url, { method: 'POST', headers: json, body: JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry }) });
    assert.equal(res.status, 200);
    const sp = { resourceType: 'SearchParameter', url: 'http://hestia.test/SearchParameter/favourite-colour', name: 'favouriteColour', status: 'active', description: 'Favourite colour', code: 'favourite-colour', base: ['Patient'], type: 'string', expression: `Patient.extension.where(url='${EXT}').value` };
    assert.equal((await fetch(`${srv.url}/SearchParameter`, { method: 'POST', headers: json, body: JSON.stringify(sp) })).status, 201);
  });
  after(async () => {
    await srv?.close();
  });

  const teal = async () => ((await (await fetch(`${srv.url}/Patient?favourite-colour=teal&_summary=count`)).json()) as { total: number }).total;

  test('Prefer: respond-async: 202 with a status URL; 202 with the progress while it runs, then 200 with the result', async () => {
    assert.equal(await teal(), 0, 'not indexed yet');
    const kickoff = await fetch(`${srv.url}/Patient/$reindex`, { method: 'POST', headers: { prefer: 'respond-async' } });
    assert.equal(kickoff.status, 202);
    const status = kickoff.headers.get('content-location')!;
    assert.match(status, new RegExp(`^${srv.url}/_operations/reindex/[0-9a-f-]{36}$`));
    let done: Response | undefined;
    for (let i = 0; i < 200 && !done; i++) {
      const res = await fetch(status);
      if (res.status === 200) done = res;
      else {
        assert.equal(res.status, 202);
        assert.match(res.headers.get('x-progress')!, /^(queued|\d+ resources reindexed, reading Patient)$/);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    assert.ok(done, 'the job completed');
    assert.deepEqual(await done.json(), { resourceType: 'Parameters', parameter: [{ name: 'resourcesReindexed', valueInteger: PATIENTS }, { name: 'type', valueCode: 'Patient' }] });
    assert.equal(await teal(), PATIENTS / 3);
  });

  test('without Prefer: respond-async it answers at once; DELETE cancels a job; unknown jobs are 404', async () => {
    const now = await fetch(`${srv.url}/$reindex`, { method: 'POST' });
    assert.equal(now.status, 200);
    assert.deepEqual(((await now.json()) as { parameter: unknown[] }).parameter[0], { name: 'resourcesReindexed', valueInteger: PATIENTS });
    const kickoff = await fetch(`${srv.url}/$reindex`, { method: 'POST', headers: { prefer: 'respond-async' } });
    const status = kickoff.headers.get('content-location')!;
    assert.equal((await fetch(status, { method: 'DELETE' })).status, 202);
    assert.equal((await fetch(status)).status, 404);
    assert.equal((await fetch(`${srv.url}/_operations/reindex/00000000-0000-0000-0000-000000000000`)).status, 404);
    assert.equal(actionFor({ interaction: 'operation', operation: 'reindex-status' }), 'reindex');
    assert.equal(actionFor({ interaction: 'operation', operation: 'reindex-cancel' }), 'reindex');
  });
});
