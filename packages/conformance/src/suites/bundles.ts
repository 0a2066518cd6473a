// Batch and transaction bundles (https://hl7.org/fhir/R4/http.html#transaction): per-entry
// responses, all-or-nothing transactions, urn:uuid / relative / conditional reference resolution,
// and one real Synthea patient bundle loaded through the engine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { FhirEngine, forbidden, type Bundle, type BundleEntry, type FhirResponse, type OperationOutcome, type PersistenceAdapter, type Resource } from '@hestia/core';
import { BASE, Client } from '../client.js';
import type { Fixture } from '../index.js';

const SYNTHEA = new URL('../../../../../shared/data/synthea-r4/smart-synthea-2019/Buster_Hoeger_ad2e3fc5-2b5d-4cb9-8d03-9ea0f4ac8423.json', import.meta.url);
const SYS = 'http://hestia.test/bundles';

type Json = Record<string, any>;
const urn = () => `urn:uuid:${randomUUID()}`;
const bundle = (type: string, entry: unknown[]): Json => ({ resourceType: 'Bundle', type, entry });
const post = (resource: Resource, fullUrl?: string, extra: Json = {}): Json => ({ ...(fullUrl ? { fullUrl } : {}), resource, request: { method: 'POST', url: resource.resourceType, ...extra } });
const put = (resource: Resource, url: string, fullUrl?: string, extra: Json = {}): Json => ({ ...(fullUrl ? { fullUrl } : {}), resource, request: { method: 'PUT', url, ...extra } });
const get = (url: string): Json => ({ request: { method: 'GET', url } });
const patient = (family: string, identifier?: string): Resource => ({ resourceType: 'Patient', name: [{ family }], ...(identifier ? { identifier: [{ system: SYS, value: identifier }] } : {}) });
const observation = (subject: string, extra: Json = {}): Resource => ({ resourceType: 'Observation', status: 'final', code: { text: 'bundle test' }, subject: { reference: subject }, ...extra });

const entries = (res: FhirResponse) => (res.body as Bundle).entry ?? [];
const issue = (res: FhirResponse) => (res.body as OperationOutcome).issue[0];
/** "Patient/abc" from a response entry's location "http://…/Patient/abc/_history/1". */
const localRef = (e: BundleEntry) => /([A-Za-z]+\/[^/]+)\/_history\/\d+$/.exec(e.response!.location!)![1];

export function bundlesSuite(fx: Fixture): void {
  const send = (body: unknown) => fx.client.request('POST', '', { body });
  const count = async (type: string, query: Record<string, string>) => {
    const res = await fx.client.request('GET', type, { query: { ...query, _summary: 'count' } });
    assert.equal(res.status, 200);
    return (res.body as Bundle).total;
  };
  /** A test of transaction bundles; a storage that declares no atomic transactions must refuse them with 400 instead. */
  const txTest = (name: string, fn: () => Promise<void>) => test(name, async (t) => {
    if (fx.adapter.capabilities.transactions) return fn();
    const res = await send(bundle('transaction', [post(patient(`TxRefused${Date.now()}`))]));
    assert.equal(res.status, 400);
    assert.equal(issue(res).code, 'not-supported');
    assert.match(issue(res).diagnostics!, /need atomic transactions/);
    t.diagnostic(`${fx.adapter.name} declares no atomic transactions: transaction bundles answer 400`);
  });

  test('batch: entries succeed or fail independently, each with its own status', async () => {
    const existing = await fx.client.create(patient('BatchExisting'));
    const fixedId = `batch-${randomUUID().slice(0, 8)}`;
    const res = await send(bundle('batch', [
      post(patient('BatchNew')),
      post({ resourceType: 'Patient', birthDate: 'not a date' }),
      get(`Patient/${existing.id}`),
      get('Patient/does-not-exist-batch'),
      { resource: patient('NoRequest') },
      put({ ...patient('BatchPut'), id: fixedId }, `Patient/${fixedId}`),
      { request: { method: 'DELETE', url: `Patient/${existing.id}` } },
      { request: { method: 'FETCH', url: 'Patient' } },
      { request: { method: 'GET', url: `Patient/${fixedId}`, ifNoneMatch: 'W/"1"' } },
    ]));
    assert.equal(res.status, 200);
    const b = res.body as Bundle;
    assert.equal(b.type, 'batch-response');
    const e = entries(res);
    assert.deepEqual(e.map((x) => x.response!.status), ['201 Created', '400 Bad Request', '200 OK', '404 Not Found', '400 Bad Request', '201 Created', '204 No Content', '400 Bad Request', '304 Not Modified']);
    assert.match(e[0].response!.location!, new RegExp(`^${BASE}/Patient/[^/]+/_history/1$`));
    assert.equal(e[0].response!.etag, 'W/"1"');
    assert.equal(e[0].response!.lastModified, e[0].resource!.meta!.lastUpdated);
    assert.equal(e[0].fullUrl, `${BASE}/${localRef(e[0])}`);
    assert.equal((e[1].response!.outcome as OperationOutcome).issue[0].severity, 'error');
    assert.equal(e[1].resource, undefined);
    assert.equal(e[2].resource!.id, existing.id);
    assert.equal((e[3].response!.outcome as OperationOutcome).issue[0].code, 'not-found');
    assert.match((e[4].response!.outcome as OperationOutcome).issue[0].diagnostics!, /no request/);
    assert.equal(e[5].response!.location, `${BASE}/Patient/${fixedId}/_history/1`);
    assert.match((e[7].response!.outcome as OperationOutcome).issue[0].diagnostics!, /FETCH/);
    // The successes are stored, the failures are not.
    assert.equal((await fx.client.request('GET', localRef(e[0]))).status, 200);
    assert.equal((await fx.client.request('GET', `Patient/${fixedId}`)).status, 200);
    assert.equal((await fx.client.request('GET', `Patient/${existing.id}`)).status, 410);
  });

  txTest('transaction: urn:uuid references are resolved everywhere (nested, extensions, contained) to the new ids', async () => {
    const p = urn(), o = urn();
    const obs = observation(p, {
      contained: [{ resourceType: 'Specimen', id: 'spec', subject: { reference: p } }],
      specimen: { reference: '#spec' },
      performer: [{ reference: p }],
      extension: [{ url: 'http://hestia.test/ext', valueReference: { reference: p } }],
      component: [{ code: { text: 'c' }, valueString: 'x', extension: [{ url: 'http://hestia.test/ext2', valueReference: { reference: p } }] }],
    });
    const res = await send(bundle('transaction', [post(obs, o), post(patient('TxUrn'), p)]));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal((res.body as Bundle).type, 'transaction-response');
    const [eo, ep] = entries(res);
    assert.deepEqual([eo.response!.status, ep.response!.status], ['201 Created', '201 Created']);
    const pRef = localRef(ep);
    assert.match(pRef, /^Patient\/[0-9a-f-]{36}$/);
    const stored = (await fx.client.request('GET', localRef(eo))).body as Json;
    // Stored as written: server fields first, then the elements in the client's order.
    assert.deepEqual(Object.keys(stored), ['resourceType', 'id', 'meta', 'status', 'code', 'subject', 'contained', 'specimen', 'performer', 'extension', 'component']);
    assert.equal(stored.subject.reference, pRef);
    assert.equal(stored.performer[0].reference, pRef);
    assert.equal(stored.extension[0].valueReference.reference, pRef);
    assert.equal(stored.component[0].extension[0].valueReference.reference, pRef);
    assert.equal(stored.contained[0].subject.reference, pRef);
    assert.equal(stored.specimen.reference, '#spec');
    // The index holds the resolved reference too.
    assert.deepEqual(await fx.client.ids('Observation', { subject: pRef }), [stored.id]);
  });

  txTest('transaction: circular references between two new resources (urn:uuid and urn:oid fullUrls)', async () => {
    const a = urn(), b = `urn:oid:1.3.6.1.4.1.${Date.now()}.1`;
    const res = await send(bundle('transaction', [
      post({ ...patient('CircleA'), link: [{ other: { reference: b }, type: 'seealso' }] }, a),
      post({ ...patient('CircleB'), link: [{ other: { reference: a }, type: 'seealso' }] }, b),
    ]));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const [ea, eb] = entries(res);
    const ra = (await fx.client.request('GET', localRef(ea))).body as Json;
    const rb = (await fx.client.request('GET', localRef(eb))).body as Json;
    assert.notEqual(ra.id, rb.id);
    assert.equal(ra.link[0].other.reference, `Patient/${rb.id}`);
    assert.equal(rb.link[0].other.reference, `Patient/${ra.id}`);
  });

  txTest('transaction: relative references to entries with RESTful fullUrls, and PUT targets named by urn:uuid', async () => {
    const base = 'http://elsewhere.example/fhir';
    const putId = `tx-put-${randomUUID().slice(0, 8)}`;
    const u = urn();
    const res = await send(bundle('transaction', [
      post({ ...patient('TxRelative'), id: 'client-id' }, `${base}/Patient/client-id`),
      { fullUrl: `${base}/Observation/o1`, resource: observation('Patient/client-id', { hasMember: [{ reference: u }] }), request: { method: 'POST', url: 'Observation' } },
      put({ ...observation(`${base}/Patient/client-id`), id: putId }, `Observation/${putId}`, u),
    ]));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const [ep, eo, eput] = entries(res);
    const pRef = localRef(ep);
    assert.notEqual(pRef, 'Patient/client-id');
    const o1 = (await fx.client.request('GET', localRef(eo))).body as Json;
    assert.equal(o1.subject.reference, pRef);
    assert.equal(o1.hasMember[0].reference, `Observation/${putId}`);
    assert.equal(eput.response!.location, `${BASE}/Observation/${putId}/_history/1`);
    const o2 = (await fx.client.request('GET', `Observation/${putId}`)).body as Json;
    assert.equal(o2.subject.reference, pRef);
  });

  txTest('transaction: conditional create (ifNoneExist) finds the existing resource, and references follow it', async () => {
    const ident = randomUUID();
    const existing = await fx.client.create(patient('TxCond', ident));
    const p = urn(), q = urn(), fresh = randomUUID();
    const res = await send(bundle('transaction', [
      post(patient('TxCond', ident), p, { ifNoneExist: `identifier=${SYS}|${ident}` }),
      post(patient('TxCondNew', fresh), q, { ifNoneExist: `identifier=${SYS}|${fresh}` }),
      post(observation(p, { performer: [{ reference: q }] })),
    ]));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const [e0, e1, e2] = entries(res);
    assert.deepEqual([e0.response!.status, e1.response!.status, e2.response!.status], ['200 OK', '201 Created', '201 Created']);
    assert.equal(e0.response!.location, `${BASE}/Patient/${existing.id}/_history/1`);
    const o = (await fx.client.request('GET', localRef(e2))).body as Json;
    assert.equal(o.subject.reference, `Patient/${existing.id}`);
    assert.equal(o.performer[0].reference, localRef(e1));
    assert.deepEqual(await fx.client.ids('Patient', { identifier: `${SYS}|${ident}` }), [existing.id]);
  });

  txTest('transaction: conditional update and delete; references to a conditional PUT\'s urn:uuid follow the resource it writes', async () => {
    const ident = randomUUID(), fresh = randomUUID(), doomed = randomUUID();
    const existing = await fx.client.create(patient('TxCondPut', ident));
    const victim = await fx.client.create(patient('TxCondDel', doomed));
    const a = urn(), b = urn();
    const res = await send(bundle('transaction', [
      put({ ...patient('TxCondPutChanged', ident) }, `Patient?identifier=${SYS}|${ident}`, a),
      put(patient('TxCondPutNew', fresh), `Patient?identifier=${SYS}|${fresh}`, b),
      post(observation(a, { performer: [{ reference: b }] })),
      { request: { method: 'DELETE', url: `Patient?identifier=${SYS}|${doomed}` } },
    ]));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const e = entries(res);
    assert.deepEqual(e.map((x) => x.response!.status), ['200 OK', '201 Created', '201 Created', '204 No Content']);
    assert.equal(e[0].response!.location, `${BASE}/Patient/${existing.id}/_history/2`);
    const o = (await fx.client.request('GET', localRef(e[2]))).body as Json;
    assert.equal(o.subject.reference, `Patient/${existing.id}`);
    assert.equal(o.performer[0].reference, localRef(e[1]));
    assert.deepEqual(await fx.client.ids('Patient', { identifier: `${SYS}|${fresh}` }), [localRef(e[1]).split('/')[1]]);
    assert.equal((await fx.client.request('GET', `Patient/${victim.id}`)).status, 410);
  });

  txTest('transaction: conditional references resolve to the one match; none is 400, several 412, and nothing is stored', async () => {
    const ident = randomUUID();
    const target = await fx.client.create(patient('CondRef', ident));
    const res = await send(bundle('transaction', [post(observation(`Patient?identifier=${SYS}|${ident}`))]));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const o = (await fx.client.request('GET', localRef(entries(res)[0]))).body as Json;
    assert.equal(o.subject.reference, `Patient/${target.id}`);
    // In a batch, each entry resolves its own.
    const batch = await send(bundle('batch', [post(observation(`Patient?identifier=${SYS}|${randomUUID()}`)), post(observation(`Patient?identifier=${SYS}|${ident}`))]));
    assert.deepEqual(entries(batch).map((e) => e.response!.status), ['400 Bad Request', '201 Created']);
    assert.equal(((await fx.client.request('GET', localRef(entries(batch)[1]))).body as Json).subject.reference, `Patient/${target.id}`);

    const family = `CondRefNone${Date.now()}`;
    const none = await send(bundle('transaction', [post(patient(family)), post(observation(`Patient?identifier=${SYS}|${randomUUID()}`))]));
    assert.equal(none.status, 400);
    assert.match(issue(none).diagnostics!, /^Bundle\.entry\[1\] \(POST Observation\): Conditional reference 'Patient\?identifier=.*' matches no resource\.$/);
    const dup = randomUUID();
    await fx.client.create(patient('CondRefDup', dup));
    await fx.client.create(patient('CondRefDup', dup));
    const many = await send(bundle('transaction', [post(patient(family)), post(observation(`Patient?identifier=${SYS}|${dup}`))]));
    assert.equal(many.status, 412);
    assert.equal(await count('Patient', { 'family:exact': family }), 0);
  });

  txTest('transaction: a failing entry in the middle fails the whole transaction with its status, and nothing is stored', async () => {
    const family = `TxFail${Date.now()}`;
    const existing = await fx.client.create(patient(`${family}Existing`));
    const ident = randomUUID();
    const bad = await send(bundle('transaction', [
      post(patient(family, ident)),
      put({ ...patient(family), id: 'other-id' }, 'Patient/some-id'),
      post(observation('Patient/x')),
    ]));
    assert.equal(bad.status, 400);
    assert.equal((bad.body as OperationOutcome).resourceType, 'OperationOutcome');
    assert.equal(issue(bad).diagnostics, "Bundle.entry[1] (PUT Patient/some-id): The body's id 'other-id' does not match the URL's id 'some-id'.");
    assert.deepEqual(issue(bad).expression, ['Bundle.entry[1]']);

    const conflict = await send(bundle('transaction', [
      post(patient(family, ident)),
      { request: { method: 'DELETE', url: `Patient/${existing.id}` } },
      put({ ...existing, gender: 'other' } as Resource, `Patient/${existing.id}`),
    ]));
    // DELETE and PUT of the same resource: refused before anything runs.
    assert.equal(conflict.status, 400);
    assert.match(issue(conflict).diagnostics!, /both change Patient\//);

    const stale = await send(bundle('transaction', [
      post(patient(family, ident)),
      put({ ...existing, gender: 'other' } as Resource, `Patient/${existing.id}`, undefined, { ifMatch: 'W/"7"' }),
      post(observation('Patient/x')),
    ]));
    assert.equal(stale.status, 412);
    assert.match(issue(stale).diagnostics!, /^Bundle\.entry\[1\] \(PUT Patient\//);
    assert.equal(await count('Patient', { 'family:exact': family }), 0);
    assert.deepEqual(await fx.client.ids('Patient', { identifier: `${SYS}|${ident}` }), []);
    const after = (await fx.client.request('GET', `Patient/${existing.id}`)).body as Json;
    assert.equal(after.meta.versionId, '1');
    assert.equal(after.gender, undefined);
  });

  txTest('transaction: processing order DELETE, POST, PUT, GET; GET entries see the transaction\'s writes', async () => {
    const family = `TxOrder${Date.now()}`;
    const gone = await fx.client.create(patient(family));
    const keep = await fx.client.create(patient(`${family}Keep`));
    const res = await send(bundle('transaction', [
      get(`Patient?family:exact=${family}`),
      put({ ...keep, gender: 'female' } as Resource, `Patient/${keep.id}`, undefined, { ifMatch: 'W/"1"' }),
      post(patient(family)),
      { request: { method: 'DELETE', url: `Patient/${gone.id}` } },
      { request: { method: 'PATCH', url: `Patient?identifier=${SYS}|nobody-${randomUUID()}` }, resource: { resourceType: 'Parameters', parameter: [] } },
    ]));
    // The conditional patch matches nothing: 404 for the whole transaction.
    assert.equal(res.status, 404);
    assert.match(issue(res).diagnostics!, /^Bundle\.entry\[4\]/);
    assert.equal((await fx.client.request('GET', `Patient/${gone.id}`)).status, 200);

    const ok = await send(bundle('transaction', [
      get(`Patient?family:exact=${family}`),
      put({ ...keep, gender: 'female' } as Resource, `Patient/${keep.id}`, undefined, { ifMatch: 'W/"1"' }),
      post(patient(family)),
      { request: { method: 'DELETE', url: `Patient/${gone.id}` } },
      { request: { method: 'PATCH', url: `Patient/${keep.id}` }, resource: { resourceType: 'Binary', contentType: 'application/json-patch+json', data: Buffer.from(JSON.stringify([{ op: 'add', path: '/active', value: true }])).toString('base64') } },
    ]));
    assert.equal(ok.status, 400, 'PUT and PATCH of the same resource');
    const good = await send(bundle('transaction', [
      get(`Patient?family:exact=${family}`),
      put({ ...keep, gender: 'female' } as Resource, `Patient/${keep.id}`, undefined, { ifMatch: 'W/"1"' }),
      post(patient(family)),
      { request: { method: 'DELETE', url: `Patient/${gone.id}` } },
    ]));
    assert.equal(good.status, 200, JSON.stringify(good.body));
    const e = entries(good);
    assert.deepEqual(e.map((x) => x.response!.status), ['200 OK', '200 OK', '201 Created', '204 No Content']);
    // The search ran last: it sees the new Patient and not the deleted one.
    const found = (e[0].resource as Bundle).entry!.map((x) => x.resource!.id);
    assert.deepEqual(found, [localRef(e[2]).split('/')[1]]);
    assert.equal(e[1].response!.etag, 'W/"2"');
  });

  txTest('transaction: a Binary JSON Patch entry and If-None-Exist / If-Match headers per entry', async () => {
    const p = await fx.client.create(patient(`TxPatch${Date.now()}`));
    const res = await send(bundle('transaction', [
      { request: { method: 'PATCH', url: `Patient/${p.id}`, ifMatch: 'W/"1"' }, resource: { resourceType: 'Binary', contentType: 'application/json-patch+json', data: Buffer.from(JSON.stringify([{ op: 'add', path: '/active', value: true }])).toString('base64') } },
    ]));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(entries(res)[0].response!.etag, 'W/"2"');
    assert.equal(((await fx.client.request('GET', `Patient/${p.id}`)).body as Json).active, true);
    const stale = await send(bundle('transaction', [
      { request: { method: 'PATCH', url: `Patient/${p.id}`, ifMatch: 'W/"1"' }, resource: { resourceType: 'Binary', contentType: 'application/json-patch+json', data: Buffer.from('[]').toString('base64') } },
    ]));
    assert.equal(stale.status, 412);
  });

  txTest('bad bundles: not a Bundle, wrong type, no request, bad method or url, duplicate fullUrl, same resource twice, unknown urn:uuid → 400', async () => {
    const family = `TxBad${Date.now()}`;
    const u = urn();
    const cases: [unknown, RegExp][] = [
      [patient(family), /Bundle of type batch or transaction/],
      [undefined, /Bundle of type batch or transaction/],
      [[], /Bundle of type batch or transaction/],
      [bundle('collection', [post(patient(family))]), /'collection'/],
      [bundle('searchset', []), /'searchset'/],
      [{ resourceType: 'Bundle', type: 'transaction', entry: 'x' }, /Bundle\.entry must be an array/],
      [bundle('transaction', [post(patient(family)), { resource: patient(family) }]), /^Bundle\.entry\[1\]: The entry has no request/],
      [bundle('transaction', [post(patient(family)), { resource: patient(family), request: { method: 'FETCH', url: 'Patient' } }]), /request\.method 'FETCH'/],
      [bundle('transaction', [post(patient(family)), { resource: patient(family), request: { method: 'POST' } }]), /request\.url is missing/],
      [bundle('transaction', [post(patient(family)), { resource: patient(family), request: { method: 'POST', url: 'https://other.example/fhir/Patient' } }]), /not on this server/],
      [bundle('transaction', [post(patient(family)), { resource: patient(family), request: { method: 'POST', url: '/' } }]), /may not itself be a batch/],
      [bundle('transaction', [post(patient(family), u), post(patient(family), u)]), /have the same fullUrl/],
      [bundle('batch', [post(patient(family), u), post(patient(family), u)]), /have the same fullUrl/],
      [bundle('transaction', [put({ ...patient(family), id: 'twice' }, 'Patient/twice'), put({ ...patient(family), id: 'twice' }, 'Patient/twice')]), /both change Patient\/twice/],
      [bundle('transaction', [post(patient(family)), post(observation(urn()))]), /^Bundle\.entry\[1\] \(POST Observation\): The reference 'urn:uuid:[0-9a-f-]+' matches no entry's fullUrl\.$/],
    ];
    for (const [body, message] of cases) {
      const res = await send(body);
      assert.equal(res.status, 400, `${JSON.stringify(body)?.slice(0, 200)} -> ${JSON.stringify(res.body)}`);
      assert.equal(issue(res).severity, 'error');
      assert.match(issue(res).diagnostics!, message);
    }
    // An unknown type in an entry URL is that entry's 404.
    const unknownType = await send(bundle('transaction', [post(patient(family)), { request: { method: 'GET', url: 'NoSuchType/1' } }]));
    assert.equal(unknownType.status, 404);
    assert.equal(await count('Patient', { 'family:exact': family }), 0);
  });

  test('more entries than maxBundleEntries → 413 before anything runs', async () => {
    const family = `TxBig${Date.now()}`;
    const max = fx.engine.options.maxBundleEntries;
    for (const type of ['transaction', 'batch']) {
      const res = await send(bundle(type, Array.from({ length: max + 1 }, () => post(patient(family)))));
      assert.equal(res.status, 413);
      assert.equal(issue(res).code, 'too-costly');
      assert.equal(issue(res).diagnostics, `The bundle has ${max + 1} entries; this server takes at most ${max} per bundle.`);
    }
    const small = new FhirEngine({ adapter: fx.adapter, maxBundleEntries: 2 });
    const res = await new Client(small).request('POST', '', { body: bundle('batch', [post(patient(family)), post(patient(family)), post(patient(family))]) });
    assert.equal(res.status, 413);
    assert.equal(await count('Patient', { 'family:exact': family }), 0);
  });

  txTest('the authorizer sees every entry before any runs: a refused entry fails a transaction, and only itself in a batch', async () => {
    const family = `TxAuth${Date.now()}`;
    const victim = await fx.client.create(patient(family));
    const seen: string[] = [];
    const authorize = (route: { interaction: string; resourceType?: string }) => {
      seen.push(`${route.interaction} ${route.resourceType ?? ''}`.trim());
      if (route.interaction === 'delete') throw forbidden('Deleting is not allowed.');
    };
    const handle = (body: unknown) => fx.engine.handle({ method: 'POST', path: '', query: [], headers: {}, body, baseUrl: BASE }, authorize);
    const tx = await handle(bundle('transaction', [post(patient(family)), { request: { method: 'DELETE', url: `Patient/${victim.id}` } }, get('Patient')]));
    assert.equal(tx.status, 403);
    assert.equal(issue(tx).diagnostics, `Bundle.entry[1] (DELETE Patient/${victim.id}): Deleting is not allowed.`);
    assert.deepEqual(seen, ['transaction', 'create Patient', 'delete Patient']);
    assert.equal(await count('Patient', { 'family:exact': family }), 1);
    seen.length = 0;
    const batch = await handle(bundle('batch', [post(patient(family)), { request: { method: 'DELETE', url: `Patient/${victim.id}` } }, get(`Patient/${victim.id}`)]));
    assert.equal(batch.status, 200);
    assert.deepEqual(seen, ['batch', 'create Patient', 'delete Patient', 'read Patient']);
    assert.deepEqual(entries(batch).map((e) => e.response!.status), ['201 Created', '403 Forbidden', '200 OK']);
    assert.equal(await count('Patient', { 'family:exact': family }), 2);
  });

  test('a storage without atomic transactions refuses transaction bundles (400) but runs batches', async () => {
    const adapter = new Proxy(fx.adapter, {
      get: (target, prop, recv) => (prop === 'capabilities' ? { ...target.capabilities, transactions: false } : Reflect.get(target, prop, recv)),
    }) as PersistenceAdapter;
    const client = new Client(new FhirEngine({ adapter }));
    const family = `TxNoTx${Date.now()}`;
    const tx = await client.request('POST', '', { body: bundle('transaction', [post(patient(family))]) });
    assert.equal(tx.status, 400);
    assert.equal(issue(tx).code, 'not-supported');
    assert.match(issue(tx).diagnostics!, /need atomic transactions/);
    const batch = await client.request('POST', '', { body: bundle('batch', [post(patient(family))]) });
    assert.equal(entries(batch)[0].response!.status, '201 Created');
    assert.equal(await count('Patient', { 'family:exact': family }), 1);
  });

  txTest('a Synthea patient transaction bundle loads completely, with every reference resolved', async () => {
    const synthea = JSON.parse(readFileSync(SYNTHEA, 'utf8')) as Bundle;
    const expected = new Map<string, number>();
    for (const e of synthea.entry!) expected.set(e.resource!.resourceType, (expected.get(e.resource!.resourceType) ?? 0) + 1);
    const before = new Map<string, number>();
    for (const type of expected.keys()) before.set(type, (await count(type, {}))!);

    const res = await fx.client.request('POST', '', { body: synthea, headers: { prefer: 'return=minimal' } });
    assert.equal(res.status, 200, JSON.stringify(res.body).slice(0, 500));
    const out = entries(res);
    assert.equal(out.length, synthea.entry!.length);
    assert.ok(out.every((e) => e.response!.status === '201 Created' && !e.resource));
    for (const [type, n] of expected) assert.equal((await count(type, {}))! - before.get(type)!, n, type);

    // Every urn:uuid became the new local reference of its entry.
    const byUrn = new Map(synthea.entry!.map((e, i) => [e.fullUrl!, localRef(out[i])]));
    const patientRef = byUrn.get(synthea.entry!.find((e) => e.resource!.resourceType === 'Patient')!.fullUrl!)!;
    const encounters = await fx.client.ids('Encounter', { subject: patientRef, _count: '100' });
    assert.equal(encounters.length, expected.get('Encounter'));
    const i = synthea.entry!.findIndex((e) => e.resource!.resourceType === 'ExplanationOfBenefit');
    const eob = (await fx.client.request('GET', localRef(out[i]))).body as Json;
    const original = synthea.entry![i].resource as Json;
    assert.equal(eob.patient.reference, byUrn.get(original.patient.reference));
    assert.equal(eob.contained[0].subject.reference, patientRef);
    assert.ok(!JSON.stringify(eob).includes('urn:uuid:'));
  });
}
