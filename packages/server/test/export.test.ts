// Bulk $export over real HTTP on the embedded database, PostgreSQL and the Cosmos DB emulator, to a
// folder: system, Patient and Group level, _type, _since, _typeFilter, _elements, each export read
// back and compared resource by resource with what the server returns by search; cancel and
// restart in the middle of a job; a worker that died is taken over; bad kick-offs.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createHttpServer } from '@zeit/cosmosdb-server';
import { OAuth2Server } from 'oauth2-mock-server';
import { BlobServiceClient } from '@azure/storage-blob';
import { startAzurite, type Azurite } from './support/azurite.js';
import { parseExportRequest, type Resource } from '@hestia/core';
import { loadConfig, openStorage, startServer, type RunningServer } from '../src/index.js';
import type { DeepPartial, HestiaConfig } from '../src/config.js';
import type { ExportJobData } from '../src/export/index.js';
import { createTestDatabase, postgresAvailable } from '../../../test/support/postgres.js';
import { allOfType, assertSameResources, ASYNC, download, kickoff, waitForManifest } from './support/export-client.js';
import { GROUP_MEMBERS, LOINC_A, loadDataSet, PATIENTS } from './support/export-data.js';

type Overrides = DeepPartial<HestiaConfig>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SYSTEM_TYPES = ['Condition', 'Encounter', 'Group', 'Observation', 'Organization', 'Patient', 'Practitioner'];

/** Small pages and files, so that every type is split over several pages and files. */
const fastExport = (folder: string): Overrides['export'] => ({ folder, pageSize: 4, maxFileBytes: 1500, pollSeconds: 0.1, heartbeatSeconds: 0.2, staleSeconds: 3 });
/** A slow export (one page of 2 every 150 ms) to act in the middle of a job. */
const slowExport = (folder: string): Overrides['export'] => ({ ...fastExport(folder), pageSize: 2, pageDelayMs: 150 });

async function expectedByType(base: string, types: string[], query = ''): Promise<Map<string, Resource[]>> {
  const m = new Map<string, Resource[]>();
  for (const t of types) m.set(t, await allOfType(base, t, query));
  return m;
}

/** The union of the Patient compartments of `patients` (plus those Patients), by type, via compartment search. */
async function compartmentsOf(base: string, patients: string[]): Promise<Map<string, Resource[]>> {
  const m = new Map<string, Map<string, Resource>>();
  const add = (r: Resource) => {
    if (!m.has(r.resourceType)) m.set(r.resourceType, new Map());
    m.get(r.resourceType)!.set(r.id!, r);
  };
  for (const p of patients) {
    for (const r of await allOfType(base, `Patient/${p}/*`)) add(r);
    const res = await fetch(`${base}/Patient/${p}`);
    add((await res.json()) as Resource);
  }
  return new Map([...m].map(([t, rs]) => [t, [...rs.values()]]));
}

async function exportOnce(base: string, path: string) {
  const manifest = await waitForManifest(await kickoff(base, path));
  return { manifest, files: await download(manifest) };
}

interface Storage {
  name: string;
  /** Server options for a storage shared by every server this suite starts. */
  storage: () => Promise<Overrides['storage'] | undefined>;
  cleanup?: () => Promise<void>;
}

function exportSuite(s: Storage): void {
  describe(`$export on ${s.name}`, () => {
    let skip: string | undefined;
    let storage: Overrides['storage'];
    let srv: RunningServer;
    const folder = mkdtempSync(join(tmpdir(), 'hestia-export-'));
    const open = (exportSettings: Overrides['export']) => startServer({ port: 0, host: '127.0.0.1', storage, audit: { console: false }, export: exportSettings }, {});
    /** Replaces the server by one with other export settings on the same storage (the embedded database allows one at a time). */
    const reopen = async (exportSettings: Overrides['export']) => {
      await srv.close();
      srv = await open(exportSettings);
      return srv;
    };

    before(async () => {
      const st = await s.storage();
      if (!st) {
        skip = `${s.name} is not available`;
        return;
      }
      storage = st;
      srv = await open(fastExport(folder));
      await loadDataSet(srv.url);
    });
    after(async () => {
      await srv?.close();
      await s.cleanup?.();
      rmSync(folder, { recursive: true, force: true });
    });

    test('system level: every current resource of every type, each once, as the server holds it; files split by size; deleted resources left out', async (t) => {
      if (skip) return t.skip(skip);
      const { manifest, files } = await exportOnce(srv.url, '$export');
      assert.equal(manifest.request, `${srv.url}/$export`);
      assert.equal(manifest.requiresAccessToken, false);
      assert.deepEqual(manifest.error, []);
      assert.ok(Date.parse(manifest.transactionTime) <= Date.now());
      assert.ok(manifest.output.filter((o) => o.type === 'Observation').length >= 3, `Observation split over several files: ${JSON.stringify(manifest.output)}`);
      for (const o of manifest.output) assert.match(o.url, new RegExp(`^${srv.url}/_operations/export/[0-9a-f-]{36}/${o.type}-\\d+\\.ndjson$`));
      assertSameResources(files, await expectedByType(srv.url, SYSTEM_TYPES));
      const cap = (await (await fetch(`${srv.url}/metadata`)).json()) as { instantiates?: string[]; rest: { operation: { name: string; definition: string }[]; resource: { type: string; operation?: unknown[] }[] }[] };
      assert.deepEqual(cap.instantiates, ['http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data']);
      assert.deepEqual(cap.rest[0].operation.find((o) => o.name === 'export'), { name: 'export', definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export' });
      assert.deepEqual(cap.rest[0].resource.find((r) => r.type === 'Group')!.operation, [
        { name: 'export', definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export' },
        { name: 'validate', definition: 'http://hl7.org/fhir/OperationDefinition/Resource-validate' },
      ]);
      assert.equal(files.get('Observation')!.length, PATIENTS.length * 3 + 1);
      assert.ok(!files.get('Observation')!.some((r) => r.id === 'obs-deleted'));
      assert.deepEqual(files.get('Patient')!.find((r) => r.id === 'p3')!.name, [{ family: 'Family-p3', given: ['Ann', 'Updated'] }]);
    });

    test('Patient level: the Patient compartment of every patient (not Organization, not Practitioner), a resource in two compartments once', async (t) => {
      if (skip) return t.skip(skip);
      const { files } = await exportOnce(srv.url, 'Patient/$export');
      const expected = await compartmentsOf(srv.url, PATIENTS);
      assert.deepEqual([...expected.keys()].sort(), ['Condition', 'Encounter', 'Group', 'Observation', 'Patient']);
      assertSameResources(files, expected);
    });

    test('Group level: the compartments of the group\'s members only; POST with a Parameters body works the same', async (t) => {
      if (skip) return t.skip(skip);
      const { files } = await exportOnce(srv.url, 'Group/grp-1/$export');
      const expected = await compartmentsOf(srv.url, GROUP_MEMBERS);
      assertSameResources(files, expected);
      assert.deepEqual(files.get('Patient')!.map((r) => r.id).sort(), GROUP_MEMBERS);
      assert.ok(files.get('Observation')!.some((r) => r.id === 'obs-shared'));

      const status = await kickoff(srv.url, 'Group/grp-1/$export', { 'content-type': 'application/fhir+json' }, {
        method: 'POST', body: JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: '_type', valueString: 'Patient,Condition' }] }),
      });
      const posted = await download(await waitForManifest(status));
      assertSameResources(posted, new Map([['Patient', expected.get('Patient')!], ['Condition', expected.get('Condition')!]]));

      const empty = await waitForManifest(await kickoff(srv.url, 'Group/grp-empty/$export'));
      assert.deepEqual(empty.output, []);
    });

    test('_type, _typeFilter and _elements', async (t) => {
      if (skip) return t.skip(skip);
      const typed = await exportOnce(srv.url, '$export?_type=Patient,Organization');
      assertSameResources(typed.files, await expectedByType(srv.url, ['Patient', 'Organization']));

      const filtered = await exportOnce(srv.url, `$export?_type=Observation,Patient&_typeFilter=${encodeURIComponent(`Observation?code=http://loinc.org|${LOINC_A}`)}`);
      const expected = await expectedByType(srv.url, ['Patient']);
      expected.set('Observation', await allOfType(srv.url, 'Observation', `code=${encodeURIComponent(`http://loinc.org|${LOINC_A}`)}`));
      assert.equal(expected.get('Observation')!.length, PATIENTS.length * 2 + 1);
      assertSameResources(filtered.files, expected);

      const slim = await exportOnce(srv.url, '$export?_type=Patient&_elements=name');
      const patients = slim.files.get('Patient')!;
      assert.equal(patients.length, PATIENTS.length);
      for (const p of patients) {
        assert.deepEqual(Object.keys(p).sort(), ['id', 'meta', 'name', 'resourceType']);
        assert.ok(p.meta!.tag!.some((tag) => tag.code === 'SUBSETTED'));
      }
    });

    test('_since: only resources changed after the instant; transactionTime bounds the export', async (t) => {
      if (skip) return t.skip(skip);
      await sleep(20);
      const since = new Date().toISOString();
      await sleep(20);
      const json = { 'content-type': 'application/fhir+json' };
      assert.equal((await fetch(`${srv.url}/Observation/obs-late`, { method: 'PUT', headers: json, body: JSON.stringify({ resourceType: 'Observation', id: 'obs-late', status: 'final', code: { text: 'late' }, subject: { reference: 'Patient/p4' } }) })).status, 201);
      const p4 = (await (await fetch(`${srv.url}/Patient/p4`)).json()) as Resource;
      assert.equal((await fetch(`${srv.url}/Patient/p4`, { method: 'PUT', headers: json, body: JSON.stringify({ ...p4, gender: 'male' }) })).status, 200);
      const { manifest, files } = await exportOnce(srv.url, `$export?_since=${encodeURIComponent(since)}`);
      assert.deepEqual([...files.keys()].sort(), ['Observation', 'Patient']);
      assert.deepEqual(files.get('Observation')!.map((r) => r.id), ['obs-late']);
      assert.deepEqual(files.get('Patient')!.map((r) => [r.id, (r as { gender?: string }).gender]), [['p4', 'male']]);
      assert.ok(manifest.transactionTime > since);
      const patientLevel = await exportOnce(srv.url, `Patient/$export?_since=${encodeURIComponent(since)}&_type=Observation`);
      assert.deepEqual(patientLevel.files.get('Observation')!.map((r) => r.id), ['obs-late']);
    });

    test('bad kick-offs: 400 with an OperationOutcome, 404 for a missing Group; no job is started', async (t) => {
      if (skip) return t.skip(skip);
      const cases: [string, Record<string, string>, number, RegExp][] = [
        ['$export?_type=Patient,Spaceship', ASYNC, 400, /Unknown resource type 'Spaceship'/],
        ['Patient/$export?_type=Organization', ASYNC, 400, /not in the Patient compartment/],
        ['$export?_since=yesterday', ASYNC, 400, /_since must be an instant/],
        ['$export?_since=2020-01-01', ASYNC, 400, /_since must be an instant/],
        ['$export', { accept: 'application/fhir+json' }, 400, /Prefer: respond-async/],
        ['$export', { ...ASYNC, accept: 'text/csv' }, 406, /application\/fhir\+json/],
        ['$export?_outputFormat=text/csv', ASYNC, 400, /_outputFormat/],
        ['$export?_count=10', ASYNC, 400, /Unknown \$export parameter '_count'/],
        [`$export?_type=Patient&_typeFilter=${encodeURIComponent('Observation?code=x')}`, ASYNC, 400, /does not include/],
        [`$export?_typeFilter=${encodeURIComponent('Observation?nonsense=1')}`, ASYNC, 400, /Unknown search parameter 'nonsense'/],
        ['Group/nobody/$export', ASYNC, 404, /Group\/nobody does not exist/],
        ['Observation/$export', ASYNC, 404, /\$export is defined/],
      ];
      for (const [path, headers, status, message] of cases) {
        const res = await fetch(`${srv.url}/${path}`, { headers });
        const body = (await res.json()) as { resourceType: string; issue: { diagnostics: string }[] };
        assert.equal(res.status, status, `${path}: ${JSON.stringify(body)}`);
        assert.equal(body.resourceType, 'OperationOutcome');
        assert.match(body.issue[0].diagnostics, message, path);
        assert.equal(res.headers.get('content-location'), null);
      }
      const post = await fetch(`${srv.url}/$export`, { method: 'POST', headers: { ...ASYNC, 'content-type': 'application/fhir+json' }, body: JSON.stringify({ resourceType: 'Patient' }) });
      assert.equal(post.status, 400);
      assert.equal((await fetch(`${srv.url}/_operations/export/00000000-0000-0000-0000-000000000000`)).status, 404);
    });

    test('cancel in the middle: DELETE answers 202, the status and files are gone (404), the job stops', async (t) => {
      if (skip) return t.skip(skip);
      const slowFolder = mkdtempSync(join(tmpdir(), 'hestia-export-slow-'));
      const slow = await reopen(slowExport(slowFolder));
      const status = await kickoff(slow.url, '$export');
      const jobId = status.split('/').pop()!;
      // Wait until at least one file exists.
      for (let i = 0; i < 200 && !(existsSync(join(slowFolder, jobId)) && readdirSync(join(slowFolder, jobId)).some((f) => f.endsWith('.ndjson'))); i++) await sleep(50);
      const running = await fetch(status);
      assert.equal(running.status, 202);
      assert.match(running.headers.get('x-progress') ?? '', /^\d+ resources exported/);
      assert.equal((await fetch(status, { method: 'DELETE' })).status, 202);
      assert.equal((await fetch(status)).status, 404);
      assert.equal((await fetch(status, { method: 'DELETE' })).status, 404);
      // The worker notices at its next checkpoint and removes what it wrote meanwhile.
      for (let i = 0; i < 100 && slow.bulkExport!.runner['running'].size; i++) await sleep(50);
      assert.equal(slow.bulkExport!.runner['running'].size, 0);
      assert.equal(existsSync(join(slowFolder, jobId)), false);
      assert.equal(await slow.adapter.jobs.getJob(jobId), undefined);
      rmSync(slowFolder, { recursive: true, force: true });
      await reopen(fastExport(folder));
    });

    test('retention: a finished job and its files are removed once retentionSeconds have passed; with 0 they stay', async (t) => {
      if (skip) return t.skip(skip);
      const kept = await exportOnce(srv.url, '$export?_type=Organization');
      const keptJob = kept.manifest.output[0].url.split('/').at(-2)!;
      const expiring = await reopen({ ...fastExport(folder), retentionSeconds: 1 });
      const status = await kickoff(expiring.url, '$export?_type=Patient');
      const manifest = await waitForManifest(status);
      const jobId = status.split('/').pop()!;
      assert.equal(manifest.output[0].type, 'Patient');
      assert.equal((await fetch(manifest.output[0].url)).status, 200);
      assert.equal(existsSync(join(folder, jobId)), true);
      let gone = false;
      for (let i = 0; i < 100 && !gone; i++) {
        await sleep(100);
        gone = (await fetch(status)).status === 404;
      }
      assert.ok(gone, 'the status URL answers 404 once the job expired');
      assert.equal((await fetch(manifest.output[0].url)).status, 404);
      assert.equal(existsSync(join(folder, jobId)), false);
      assert.equal(await expiring.adapter.jobs.getJob(jobId), undefined);
      // The job finished under retention 0 was expired too by this server (older than 1 s): an
      // instance applies its own setting to every finished job.
      assert.equal(await expiring.adapter.jobs.getJob(keptJob), undefined);
      const forever = await reopen({ ...fastExport(folder), retentionSeconds: 0 });
      const lasting = await kickoff(forever.url, '$export?_type=Patient');
      await waitForManifest(lasting);
      await sleep(1500);
      assert.equal((await fetch(lasting)).status, 200);
      await reopen(fastExport(folder));
    });

    test('restart in the middle: the job goes back to the queue and another server finishes it, with every resource once', async (t) => {
      if (skip) return t.skip(skip);
      const shared = mkdtempSync(join(tmpdir(), 'hestia-export-restart-'));
      const first = await reopen(slowExport(shared));
      const status = await kickoff(first.url, '$export?_type=Observation,Encounter');
      const jobId = status.split('/').pop()!;
      for (let i = 0; i < 200; i++) {
        const job = await first.adapter.jobs.getJob(jobId);
        if ((job?.data as unknown as ExportJobData | undefined)?.output.length) break;
        await sleep(50);
      }
      // Shut down, and look at the stored job before another server starts.
      await srv.close();
      const store = await openStorage(loadConfig({}, { storage }));
      const queued = await store.jobs.getJob(jobId);
      await store.close();
      assert.equal(queued!.status, 'queued');
      const partial = queued!.data as unknown as ExportJobData;
      assert.ok(partial.output.length >= 1 && partial.progress.typeIndex < 2, 'stopped in the middle');
      assert.equal(partial.attempts, 0);
      assert.ok(readdirSync(join(shared, jobId)).every((f) => f.endsWith('.ndjson')), 'no half-written file left visible');

      srv = await open(fastExport(shared));
      const second = srv;

      const manifest = await waitForManifest(status.replace(first.url, second.url));
      const done = await second.adapter.jobs.getJob(jobId);
      assert.equal(done!.worker, second.bulkExport!.runner.worker);
      assert.equal((done!.data as unknown as ExportJobData).attempts, 1);
      assertSameResources(await download(manifest), await expectedByType(second.url, ['Observation', 'Encounter']));
      await reopen(fastExport(folder));
      rmSync(shared, { recursive: true, force: true });
    });

    test('a job whose worker stopped beating is taken over once it is stale; one interrupted too often fails with 500', async (t) => {
      if (skip) return t.skip(skip);
      const request = await parseExportRequest(srv.engine, 'system', [['_type', 'Condition']]);
      const data: ExportJobData = { request, requestUrl: `${srv.url}/$export?_type=Condition`, requiresAccessToken: false, attempts: 0, progress: { typeIndex: 0, part: 1 }, output: [], exported: 0 };
      const jobs = srv.adapter.jobs;
      // Stop this server's runner from claiming while the job is set up as a dead worker's.
      await srv.bulkExport!.runner.close();
      await jobs.createJob({ id: 'dead-worker-job', kind: 'export', owner: '', data: data as unknown as Record<string, unknown> });
      const claimed = await jobs.claimJob('export', 'dead-worker', new Date(0).toISOString());
      assert.equal(claimed!.id, 'dead-worker-job');
      await jobs.createJob({ id: 'unlucky-job', kind: 'export', owner: '', data: { ...data, attempts: 3 } as unknown as Record<string, unknown> });

      const other = await reopen(fastExport(folder));
      const manifest = await waitForManifest(`${other.url}/_operations/export/dead-worker-job`);
      const job = await other.adapter.jobs.getJob('dead-worker-job');
      assert.equal(job!.worker, other.bulkExport!.runner.worker);
      assertSameResources(await download(manifest), await expectedByType(other.url, ['Condition']));

      let res: Response | undefined;
      for (let i = 0; i < 100; i++) {
        res = await fetch(`${other.url}/_operations/export/unlucky-job`);
        if (res.status !== 202) break;
        await sleep(50);
      }
      assert.equal(res!.status, 500);
      const body = (await res!.json()) as { issue: { code: string; diagnostics: string }[] };
      assert.equal(body.issue[0].code, 'exception');
      assert.match(body.issue[0].diagnostics, /interrupted 3 times/);
    });
  });
}

exportSuite({
  name: 'the embedded database',
  storage: async () => ({ kind: 'embedded', dataDir: mkdtempSync(join(tmpdir(), 'hestia-export-db-')) }),
});

let dropPg: (() => Promise<void>) | undefined;
exportSuite({
  name: 'PostgreSQL',
  storage: async () => {
    if (await postgresAvailable()) return undefined;
    const db = await createTestDatabase();
    dropPg = db.drop;
    return { kind: 'postgres', connectionString: db.url };
  },
  cleanup: async () => dropPg?.(),
});

const emulator = createHttpServer();
exportSuite({
  name: 'Cosmos DB (emulator)',
  storage: async () => {
    await new Promise<void>((resolve) => emulator.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(emulator.address() as AddressInfo).port}`;
    return { kind: 'cosmos', cosmos: { endpoint, key: 'emulator', database: 'hestia-export', endpointDiscovery: false } };
  },
  cleanup: async () => {
    emulator.closeAllConnections();
    await new Promise<void>((resolve) => emulator.close(() => resolve()));
  },
});

describe('$export with security on: the export role, jobs bound to the caller who started them, every step audited', () => {
  const AUDIENCE = 'api://hestia-export';
  const dir = mkdtempSync(join(tmpdir(), 'hestia-export-sec-'));
  const issuer = new OAuth2Server();
  let srv: RunningServer;
  const token = (oid: string, roles: string[]) => issuer.issuer.buildToken({
    kid: 'k1', expiresIn: 600,
    scopesOrTransform: (_h, payload) => Object.assign(payload, { aud: AUDIENCE, sub: `user-${oid}`, oid, roles }),
  });
  const auth = (t: string) => ({ authorization: `Bearer ${t}` });

  before(async () => {
    await issuer.issuer.keys.generate('RS256', { kid: 'k1' });
    await issuer.start(0, '127.0.0.1');
    issuer.issuer.url = `http://127.0.0.1:${issuer.address().port}`;
    srv = await startServer({
      port: 0, host: '127.0.0.1', storage: { kind: 'embedded', dataDir: 'memory://' },
      audit: { console: false, file: join(dir, 'audit.jsonl') },
      security: { enabled: true, authority: issuer.issuer.url, audience: AUDIENCE },
      export: fastExport(join(dir, 'files')),
    }, {});
  });
  after(async () => {
    await srv?.close();
    await issuer.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a reader cannot start an export (403); an exporter can; another exporter gets 404 for its status, files and cancel; all of it audited', async () => {
    const alice = await token('alice-oid', ['exporter']);
    const bob = await token('bob-oid', ['exporter']);
    const reader = await token('carol-oid', ['reader']);
    const admin = await token('admin-oid', ['admin']);
    const put = await fetch(`${srv.url}/Patient/sec-1`, { method: 'PUT', headers: { ...auth(admin), 'content-type': 'application/fhir+json' }, body: JSON.stringify({ resourceType: 'Patient', id: 'sec-1' }) });
    assert.equal(put.status, 201);

    assert.equal((await fetch(`${srv.url}/$export`, { headers: { ...ASYNC, ...auth(reader) } })).status, 403);
    assert.equal((await fetch(`${srv.url}/$export`, { headers: ASYNC })).status, 401);
    const status = await kickoff(srv.url, '$export?_type=Patient', auth(alice));
    const manifest = await waitForManifest(status, auth(alice));
    assert.equal(manifest.requiresAccessToken, true);
    const files = await download(manifest, auth(alice));
    assert.deepEqual(files.get('Patient')!.map((r) => r.id), ['sec-1']);

    // Bob (same role, another caller) sees nothing of Alice's job; without a token: 401.
    assert.equal((await fetch(status, { headers: auth(bob) })).status, 404);
    assert.equal((await fetch(manifest.output[0].url, { headers: auth(bob) })).status, 404);
    assert.equal((await fetch(status, { method: 'DELETE', headers: auth(bob) })).status, 404);
    assert.equal((await fetch(manifest.output[0].url)).status, 401);
    assert.equal((await fetch(status, { headers: auth(reader) })).status, 403);
    assert.equal((await fetch(status, { method: 'DELETE', headers: auth(alice) })).status, 202);
    assert.equal((await fetch(status, { headers: auth(alice) })).status, 404);

    await srv.observability.flush();
    await sleep(200);
    const records = readFileSync(join(dir, 'audit.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { OperationName: string; ResultType: string; StatusCode: number | null; CallerIdentityObjectId: string | null });
    const seen = (op: string) => records.filter((r) => r.OperationName === op && r.ResultType !== 'Started').map((r) => `${r.CallerIdentityObjectId} ${r.StatusCode}`);
    assert.deepEqual(seen('export'), ['carol-oid 403', 'null 401', 'alice-oid 202']);
    assert.ok(seen('export-status').includes('alice-oid 200') && seen('export-status').includes('bob-oid 404') && seen('export-status').includes('carol-oid 403'));
    assert.deepEqual(seen('export-download'), ['alice-oid 200', 'bob-oid 404']);
    assert.deepEqual(seen('export-cancel'), ['bob-oid 404', 'alice-oid 202']);
  });
});

describe('$export to Azure Blob Storage (Azurite)', () => {
  let azurite: Azurite;
  let srv: RunningServer;
  const container = 'hestia-export-test';

  before(async () => {
    azurite = await startAzurite();
    srv = await startServer({
      port: 0, host: '127.0.0.1', storage: { kind: 'embedded', dataDir: 'memory://' }, audit: { console: false },
      export: { ...slowExport(''), pageDelayMs: 0, destination: 'blob', blob: { connectionString: azurite.connectionString, container } },
    }, {});
    await loadDataSet(srv.url);
  });
  after(async () => {
    await srv?.close();
    await azurite?.stop();
  });

  const blobNames = async () => {
    const names: string[] = [];
    for await (const b of BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(container).listBlobsFlat()) names.push(b.name);
    return names.sort();
  };

  test('a system export lands as one blob per type and file, is served back through the manifest, and matches the server', async () => {
    const status = await kickoff(srv.url, '$export');
    const manifest = await waitForManifest(status);
    const jobId = status.split('/').pop()!;
    assert.deepEqual(await blobNames(), manifest.output.map((o) => `${jobId}/${o.url.split('/').pop()}`).sort());
    assertSameResources(await download(manifest), await expectedByType(srv.url, SYSTEM_TYPES));
  });

  test('cancel removes the job\'s blobs', async () => {
    const status = await kickoff(srv.url, 'Group/grp-1/$export');
    const manifest = await waitForManifest(status);
    const jobId = status.split('/').pop()!;
    assert.ok((await blobNames()).some((n) => n.startsWith(`${jobId}/`)));
    assert.equal((await fetch(status, { method: 'DELETE' })).status, 202);
    assert.deepEqual((await blobNames()).filter((n) => n.startsWith(`${jobId}/`)), []);
    assert.equal((await fetch(manifest.output[0].url)).status, 404);
  });
});
