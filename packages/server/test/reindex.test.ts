// Asynchronous $reindex over HTTP on the embedded database: `Prefer: respond-async` answers 202 with
// a status URL, a job runner reindexes page by page, the status answers 202 with the progress and
// then 200 with the result; DELETE cancels; without the header $reindex answers at once. A job whose
// server died is taken over by another runner and resumed from its last saved page.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { FhirEngine, reindexPage, REINDEX_JOB, type ReindexJobData } from '@hestia/core';
import { loadConfig, startServer, type RunningServer } from '../src/index.js';
import { openStorage } from '../src/storage.js';
import { ReindexRunner } from '../src/reindex.js';
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

test('a job left running by a dead server is taken over and resumed from its last saved page', async () => {
  const adapter = await openStorage(loadConfig({}, { storage: { kind: 'embedded', dataDir: 'memory://' } }));
  const engine = new FhirEngine({ adapter });
  await engine.init();
  const runner = new ReindexRunner(engine, 20, 0);
  try {
    const entry = Array.from({ length: PATIENTS }, () => ({ resource: { resourceType: 'Patient', extension: [{ url: EXT, valueString: 'teal' }] }, request: { method: 'POST', url: 'Patient' } }));
    assert.equal((await engine.handle({ method: 'POST', path: '', query: [], headers: {}, body: { resourceType: 'Bundle', type: 'transaction', entry }, baseUrl: 'http://h' })).status, 200);
    const kickoff = await engine.handle({ method: 'POST', path: 'Patient/$reindex', query: [], headers: { prefer: 'respond-async' }, baseUrl: 'http://h' });
    const id = String(kickoff.headers['Content-Location']).split('/').pop()!;
    // A server claims it, saves its first page, and dies.
    const claimed = (await adapter.jobs.claimJob(REINDEX_JOB, 'dead-server', new Date(0).toISOString()))!;
    assert.equal(claimed.id, id);
    const data = claimed.data as unknown as ReindexJobData;
    const first = await reindexPage(engine, adapter, data.plan, data.progress);
    assert.equal(first.count, 200);
    assert.ok(await adapter.jobs.updateJob(id, claimed.version, { data: { ...claimed.data, progress: first }, heartbeat: true }));
    runner.start();
    let job = await adapter.jobs.getJob(id);
    for (let i = 0; i < 200 && job?.status !== 'completed'; i++) {
      await new Promise((r) => setTimeout(r, 25));
      job = await adapter.jobs.getJob(id);
    }
    assert.equal(job?.status, 'completed');
    assert.equal(job.worker, runner.worker);
    // 450, not 650: the 200 the dead server did are not done again.
    assert.equal((job.data as unknown as ReindexJobData).progress.count, PATIENTS);
    // Nothing to do (no custom parameters): completed at once, with 0.
    const empty = await engine.handle({ method: 'POST', path: '$reindex', query: [], headers: { prefer: 'respond-async' }, baseUrl: 'http://h' });
    const emptyId = String(empty.headers['Content-Location']).split('/').pop()!;
    let done = await adapter.jobs.getJob(emptyId);
    for (let i = 0; i < 200 && done?.status !== 'completed'; i++) {
      await new Promise((r) => setTimeout(r, 25));
      done = await adapter.jobs.getJob(emptyId);
    }
    assert.equal(done?.status, 'completed');
    assert.equal((done.data as unknown as ReindexJobData).progress.count, 0);
  } finally {
    await runner.close();
    await adapter.close();
  }
});
