// The versioning policy over HTTP: with 'versioned-update' (by default or for some resource types),
// an update or patch of an existing resource must send If-Match (400 without it, as R4
// http.html#concurrency allows; 412 for a stale one), while creates (POST, PUT to a new id) need
// none; the same rules hold inside batch and transaction bundles; the CapabilityStatement says
// which types require it; and the settings are read from the environment and checked.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.js';
import { startServer, type RunningServer } from '../src/index.js';

const JSON_TYPE = { 'content-type': 'application/fhir+json' };
const JSON_PATCH = { 'content-type': 'application/json-patch+json' };

describe('versioning policy: versioned-update for Patient and Observation, versioned for the rest', () => {
  let srv: RunningServer;

  before(async () => {
    srv = await startServer({
      port: 0, host: '127.0.0.1', storage: { kind: 'embedded', dataDir: 'memory://' }, audit: { console: false },
      versioning: { default: 'versioned', resourceTypes: { Patient: 'versioned-update', Observation: 'versioned-update' } },
    }, {});
  });
  after(async () => {
    await srv?.close();
  });

  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${srv.url}/${path}`, { method, headers: { ...JSON_TYPE, ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, etag: res.headers.get('etag'), body: text ? JSON.parse(text) : undefined };
  };
  const diagnostics = (body: { resourceType: string; issue: { code: string; diagnostics: string }[] }) => {
    assert.equal(body.resourceType, 'OperationOutcome');
    return `${body.issue[0].code}: ${body.issue[0].diagnostics}`;
  };
  const required = (type: string, id: string) =>
    `required: ${type}/${id} can only be changed with an If-Match header naming the version it replaces (its ETag, e.g. W/"3"): this server requires version-aware updates of ${type}.`;

  test('the CapabilityStatement documents the requirement on the types that have it', async () => {
    const cap = (await call('GET', 'metadata')).body as { rest: { resource: { type: string; versioning: string; documentation?: string }[] }[] };
    const byType = new Map(cap.rest[0].resource.map((r) => [r.type, r]));
    for (const type of ['Patient', 'Observation']) {
      assert.equal(byType.get(type)!.versioning, 'versioned-update');
      assert.equal(byType.get(type)!.documentation, 'Updates and patches of an existing resource need an If-Match header with its current version (ETag).');
    }
    assert.equal(byType.get('Encounter')!.versioning, 'versioned-update');
    assert.equal(byType.get('Encounter')!.documentation, undefined);
  });

  test('PUT: creating needs no If-Match; updating needs the current version, and nothing is written without it', async () => {
    const created = await call('PUT', 'Patient/vp-1', { resourceType: 'Patient', id: 'vp-1', gender: 'female' });
    assert.equal(created.status, 201);
    assert.equal(created.etag, 'W/"1"');

    const missing = await call('PUT', 'Patient/vp-1', { resourceType: 'Patient', id: 'vp-1', gender: 'male' });
    assert.equal(missing.status, 400);
    assert.equal(diagnostics(missing.body), required('Patient', 'vp-1'));
    const stale = await call('PUT', 'Patient/vp-1', { resourceType: 'Patient', id: 'vp-1', gender: 'male' }, { 'if-match': 'W/"7"' });
    assert.equal(stale.status, 412);
    const malformed = await call('PUT', 'Patient/vp-1', { resourceType: 'Patient', id: 'vp-1', gender: 'male' }, { 'if-match': 'yesterday' });
    assert.equal(malformed.status, 400);
    const read = await call('GET', 'Patient/vp-1');
    assert.equal(read.etag, 'W/"1"');
    assert.equal(read.body.gender, 'female');

    const updated = await call('PUT', 'Patient/vp-1', { resourceType: 'Patient', id: 'vp-1', gender: 'male' }, { 'if-match': 'W/"1"' });
    assert.equal(updated.status, 200);
    assert.equal(updated.etag, 'W/"2"');
    // Deleting needs no If-Match; after it, PUT creates the resource again without one.
    assert.equal((await call('DELETE', 'Patient/vp-1')).status, 204);
    const again = await call('PUT', 'Patient/vp-1', { resourceType: 'Patient', id: 'vp-1', gender: 'other' });
    assert.equal(again.status, 201);
    assert.equal(again.etag, 'W/"4"');
  });

  test('PATCH needs If-Match too (JSON Patch and FHIRPath Patch)', async () => {
    const p = (await call('POST', 'Patient', { resourceType: 'Patient', active: false })).body as { id: string };
    const ops = [{ op: 'replace', path: '/active', value: true }];
    const missing = await call('PATCH', `Patient/${p.id}`, ops, JSON_PATCH);
    assert.equal(missing.status, 400);
    assert.equal(diagnostics(missing.body), required('Patient', p.id));
    const fhirPath = { resourceType: 'Parameters', parameter: [{ name: 'operation', part: [{ name: 'type', valueCode: 'replace' }, { name: 'path', valueString: 'Patient.active' }, { name: 'value', valueBoolean: true }] }] };
    assert.equal((await call('PATCH', `Patient/${p.id}`, fhirPath)).status, 400);
    assert.equal((await call('PATCH', `Patient/${p.id}`, ops, { ...JSON_PATCH, 'if-match': 'W/"2"' })).status, 412);
    const patched = await call('PATCH', `Patient/${p.id}`, ops, { ...JSON_PATCH, 'if-match': 'W/"1"' });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.active, true);
    assert.equal(patched.etag, 'W/"2"');
  });

  test('conditional update: If-Match is needed when it finds a resource, not when it creates one', async () => {
    const sys = 'urn:hestia:test:versioning';
    const first = await call('PUT', `Observation?identifier=${sys}|o1`, { resourceType: 'Observation', status: 'preliminary', code: { text: 'x' }, identifier: [{ system: sys, value: 'o1' }] });
    assert.equal(first.status, 201);
    const missing = await call('PUT', `Observation?identifier=${sys}|o1`, { resourceType: 'Observation', status: 'final', code: { text: 'x' }, identifier: [{ system: sys, value: 'o1' }] });
    assert.equal(missing.status, 400);
    assert.equal(diagnostics(missing.body), required('Observation', first.body.id));
    const ok = await call('PUT', `Observation?identifier=${sys}|o1`, { resourceType: 'Observation', status: 'final', code: { text: 'x' }, identifier: [{ system: sys, value: 'o1' }] }, { 'if-match': 'W/"1"' });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.id, first.body.id);
    assert.equal(ok.body.status, 'final');
  });

  test('types under the default policy update without If-Match', async () => {
    const e = (await call('POST', 'Encounter', { resourceType: 'Encounter', status: 'planned', class: { code: 'AMB' } })).body as { id: string };
    const updated = await call('PUT', `Encounter/${e.id}`, { resourceType: 'Encounter', id: e.id, status: 'finished', class: { code: 'AMB' } });
    assert.equal(updated.status, 200);
    assert.equal(updated.etag, 'W/"2"');
  });

  test('bundles: a transaction without the entry\'s ifMatch writes nothing; in a batch only that entry fails', async () => {
    const p = (await call('POST', 'Patient', { resourceType: 'Patient', gender: 'female' })).body as { id: string };
    const entries = (ifMatch?: string) => [
      { fullUrl: 'urn:uuid:7d1e1b0c-0a3e-4bda-9a53-000000000001', resource: { resourceType: 'Encounter', status: 'planned', class: { code: 'AMB' } }, request: { method: 'POST', url: 'Encounter' } },
      { resource: { resourceType: 'Patient', id: p.id, gender: 'male' }, request: { method: 'PUT', url: `Patient/${p.id}`, ...(ifMatch ? { ifMatch } : {}) } },
    ];
    const failed = await call('POST', '', { resourceType: 'Bundle', type: 'transaction', entry: entries() });
    assert.equal(failed.status, 400);
    assert.equal(diagnostics(failed.body), required('Patient', p.id).replace('required: ', `required: Bundle.entry[1] (PUT Patient/${p.id}): `));
    assert.equal((await call('GET', `Patient/${p.id}`)).body.gender, 'female');

    const batch = await call('POST', '', { resourceType: 'Bundle', type: 'batch', entry: entries() });
    assert.equal(batch.status, 200);
    assert.deepEqual(batch.body.entry.map((e: { response: { status: string } }) => e.response.status), ['201 Created', '400 Bad Request']);

    const done = await call('POST', '', { resourceType: 'Bundle', type: 'transaction', entry: entries('W/"1"') });
    assert.equal(done.status, 200);
    assert.deepEqual(done.body.entry.map((e: { response: { status: string } }) => e.response.status), ['201 Created', '200 OK']);
    assert.equal((await call('GET', `Patient/${p.id}`)).body.gender, 'male');
  });
});

test('versioning settings: read from the environment, checked when loaded and when the server starts', async () => {
  const cfg = loadConfig({ HESTIA_VERSIONING: 'versioned-update', HESTIA_VERSIONING_RESOURCE_TYPES: 'AuditEvent=versioned, Observation = versioned-update' });
  assert.deepEqual(cfg.versioning, { default: 'versioned-update', resourceTypes: { AuditEvent: 'versioned', Observation: 'versioned-update' } });
  assert.deepEqual(loadConfig({}).versioning, { default: 'versioned', resourceTypes: {} });
  assert.throws(() => loadConfig({ HESTIA_VERSIONING: 'no-version' }),
    /versioning\.default \(HESTIA_VERSIONING\) must be one of versioned, versioned-update, not 'no-version' \(Hestia keeps every version\)/);
  assert.throws(() => loadConfig({ HESTIA_VERSIONING_RESOURCE_TYPES: 'Patient=strict' }),
    /versioning\.resourceTypes \(HESTIA_VERSIONING_RESOURCE_TYPES\): Patient must be one of versioned, versioned-update, not 'strict'/);
  // A server that fails to start lets go of its embedded folder: the next start on it succeeds.
  const dir = mkdtempSync(join(tmpdir(), 'hestia-versioning-'));
  try {
    const storage = { kind: 'embedded' as const, dataDir: join(dir, 'data') };
    await assert.rejects(startServer({ port: 0, host: '127.0.0.1', storage, audit: { console: false }, versioning: { resourceTypes: { Patinet: 'versioned-update' } } }, {}),
      /versioning: 'Patinet' is not a resource type\./);
    const srv = await startServer({ port: 0, host: '127.0.0.1', storage, audit: { console: false } }, {});
    assert.equal((await fetch(`${srv.url}/metadata`)).status, 200);
    await srv.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
