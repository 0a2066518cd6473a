// CRUD and versioning (https://hl7.org/fhir/R4/http.html): create, read, vread, update, delete,
// their headers (Location, ETag, Last-Modified), version-aware updates and Prefer: return.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Bundle, OperationOutcome, Resource } from '@hestia/core';
import { BASE } from '../client.js';
import type { Fixture } from '../index.js';
import { assertOutcome, marker } from './support.js';

const httpDate = (iso: string) => new Date(iso).toUTCString();

export function crudSuite(fx: Fixture): void {
  const req = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => fx.client.request(method, path, { body, headers });
  const patient = (family: string, extra: Record<string, unknown> = {}): Resource => ({ resourceType: 'Patient', name: [{ family }], ...extra });

  test('create: 201 with Location, ETag and Last-Modified; the server assigns id, versionId and lastUpdated and keeps tags, profiles and security labels', async () => {
    const family = marker('Create');
    const meta = {
      versionId: '99',
      lastUpdated: '2001-01-01T00:00:00Z',
      tag: [{ system: 'http://hestia.test/tags', code: 'keep-me' }],
      profile: ['http://hestia.test/StructureDefinition/my-patient'],
      security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' }],
    };
    const started = Date.now();
    const res = await req('POST', 'Patient', patient(family, { id: 'client-chosen', meta }));
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const body = res.body as Resource;
    assert.notEqual(body.id, 'client-chosen');
    assert.match(body.id!, /^[A-Za-z0-9\-.]{1,64}$/);
    assert.equal(res.headers.Location, `${BASE}/Patient/${body.id}/_history/1`);
    assert.equal(res.headers.ETag, 'W/"1"');
    assert.equal(body.meta!.versionId, '1');
    const lastUpdated = Date.parse(body.meta!.lastUpdated!);
    assert.ok(lastUpdated >= started - 1000 && lastUpdated <= Date.now() + 1000, `lastUpdated ${body.meta!.lastUpdated} is not the time of the write`);
    assert.equal(res.headers['Last-Modified'], httpDate(body.meta!.lastUpdated!));
    assert.deepEqual(body.meta!.tag, meta.tag);
    assert.deepEqual(body.meta!.profile, meta.profile);
    assert.deepEqual(body.meta!.security, meta.security);
    assert.deepEqual(body.name, [{ family }]);

    // The client's id was not used, and the read returns exactly what the create returned.
    assert.equal((await req('GET', 'Patient/client-chosen')).status, 404);
    const read = await req('GET', `Patient/${body.id}`);
    assert.equal(read.status, 200);
    assert.deepEqual(read.body, body);
    assert.equal(read.headers.ETag, 'W/"1"');
    assert.equal(read.headers['Last-Modified'], httpDate(body.meta!.lastUpdated!));
  });

  test('update: PUT to a new client id creates it (201), then updates it (200, version 2); If-Match match, mismatch 412, malformed 400', async () => {
    const id = marker('put-');
    let res = await req('PUT', `Patient/${id}`, patient('PutV1', { id }));
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.headers.Location, `${BASE}/Patient/${id}/_history/1`);
    assert.equal(res.headers.ETag, 'W/"1"');
    assert.equal((res.body as Resource).meta!.versionId, '1');

    res = await req('PUT', `Patient/${id}`, patient('PutV2', { id }));
    assert.equal(res.status, 200);
    assert.equal(res.headers.Location, `${BASE}/Patient/${id}/_history/2`);
    assert.equal(res.headers.ETag, 'W/"2"');
    const v2 = res.body as Resource;
    assert.equal(v2.meta!.versionId, '2');
    assert.equal(res.headers['Last-Modified'], httpDate(v2.meta!.lastUpdated!));
    assert.deepEqual(v2.name, [{ family: 'PutV2' }]);

    res = await req('PUT', `Patient/${id}`, patient('PutV3', { id }), { 'If-Match': 'W/"2"' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.ETag, 'W/"3"');

    res = await req('PUT', `Patient/${id}`, patient('Stale', { id }), { 'If-Match': 'W/"2"' });
    assertOutcome(res, 412);
    res = await req('PUT', `Patient/${id}`, patient('Bad', { id }), { 'If-Match': 'version three' });
    assertOutcome(res, 400);
    // An If-Match on a resource that does not exist cannot match.
    res = await req('PUT', `Patient/${id}-new`, patient('Nobody', { id: `${id}-new` }), { 'If-Match': 'W/"1"' });
    assertOutcome(res, 412);
    assert.equal((await req('GET', `Patient/${id}-new`)).status, 404);

    // Neither the stale nor the malformed update was stored.
    const read = await req('GET', `Patient/${id}`);
    assert.equal(read.headers.ETag, 'W/"3"');
    assert.deepEqual((read.body as Resource).name, [{ family: 'PutV3' }]);
  });

  test('read and vread: 404 unknown, every version, If-None-Match 304, 410 after delete, delete marker 410, unknown version 404', async () => {
    assertOutcome(await req('GET', `Patient/${marker('never-')}`), 404, 'not-found');
    const p = await fx.client.create(patient('ReadV1'));
    const v2 = (await req('PUT', `Patient/${p.id}`, { ...p, name: [{ family: 'ReadV2' }] })).body as Resource;

    let res = await req('GET', `Patient/${p.id}`, undefined, { 'If-None-Match': 'W/"2"' });
    assert.equal(res.status, 304);
    assert.equal(res.body, undefined);
    assert.equal(res.headers.ETag, 'W/"2"');
    res = await req('GET', `Patient/${p.id}`, undefined, { 'If-None-Match': 'W/"1"' });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, v2);

    res = await req('GET', `Patient/${p.id}/_history/1`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, p);
    assert.equal(res.headers.ETag, 'W/"1"');
    assert.equal(res.headers['Last-Modified'], httpDate(p.meta!.lastUpdated!));
    res = await req('GET', `Patient/${p.id}/_history/2`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, v2);

    res = await req('DELETE', `Patient/${p.id}`);
    assert.equal(res.status, 204);
    assert.equal(res.body, undefined);
    assertOutcome(await req('GET', `Patient/${p.id}`), 410, 'deleted');
    assertOutcome(await req('GET', `Patient/${p.id}/_history/3`), 410, 'deleted');
    // Older versions stay readable.
    assert.deepEqual((await req('GET', `Patient/${p.id}/_history/1`)).body, p);
    assert.deepEqual((await req('GET', `Patient/${p.id}/_history/2`)).body, v2);
    assertOutcome(await req('GET', `Patient/${p.id}/_history/4`), 404, 'not-found');
    assertOutcome(await req('GET', `Patient/${p.id}/_history/0`), 404, 'not-found');
    assertOutcome(await req('GET', `Patient/${marker('never-')}/_history/1`), 404, 'not-found');
  });

  test('delete: unknown id 204; deleting twice writes one delete marker; an update after delete re-creates it (201)', async () => {
    assert.equal((await req('DELETE', `Patient/${marker('never-')}`)).status, 204);
    const p = await fx.client.create(patient('DeleteTwice'));
    assert.equal((await req('DELETE', `Patient/${p.id}`)).status, 204);
    assert.equal((await req('DELETE', `Patient/${p.id}`)).status, 204);
    const history = (await req('GET', `Patient/${p.id}/_history`)).body as Bundle;
    assert.deepEqual(history.entry!.map((e) => e.request!.method), ['DELETE', 'POST']);

    const res = await req('PUT', `Patient/${p.id}`, { ...p, name: [{ family: 'Revived' }] });
    assert.equal(res.status, 201);
    assert.equal(res.headers.ETag, 'W/"3"');
    assert.equal(res.headers.Location, `${BASE}/Patient/${p.id}/_history/3`);
    const read = await req('GET', `Patient/${p.id}`);
    assert.equal(read.status, 200);
    assert.deepEqual((read.body as Resource).name, [{ family: 'Revived' }]);
  });

  test('hard delete (_hardDelete=true) removes every version: read, vread and history give 404', async () => {
    const p = await fx.client.create(patient('HardDelete'));
    assert.equal((await req('PUT', `Patient/${p.id}`, { ...p, gender: 'female' })).status, 200);
    const res = await fx.client.request('DELETE', `Patient/${p.id}`, { query: [['_hardDelete', 'true']] });
    assert.equal(res.status, 204);
    assertOutcome(await req('GET', `Patient/${p.id}`), 404);
    assertOutcome(await req('GET', `Patient/${p.id}/_history/1`), 404);
    assertOutcome(await req('GET', `Patient/${p.id}/_history/2`), 404);
    assertOutcome(await req('GET', `Patient/${p.id}/_history`), 404);
    // The id is free again: a create-on-update starts at version 1.
    const { meta: _meta, ...body } = p;
    const again = await req('PUT', `Patient/${p.id}`, body);
    assert.equal(again.status, 201);
    assert.equal(again.headers.ETag, 'W/"1"');
  });

  test('invalid requests: body type or id not matching the URL, missing id, invalid id 400; unknown resource type 404', async () => {
    const p = await fx.client.create(patient('Invalid'));
    assertOutcome(await req('POST', 'Patient', { resourceType: 'Observation', status: 'final', code: { text: 'x' } }), 400);
    assertOutcome(await req('PUT', `Patient/${p.id}`, { resourceType: 'Observation', id: p.id, status: 'final', code: { text: 'x' } }), 400);
    assertOutcome(await req('PUT', `Patient/${p.id}`, { ...p, id: 'another-id' }), 400);
    assertOutcome(await req('PUT', `Patient/${p.id}`, { ...p, id: undefined }), 400);
    assertOutcome(await req('POST', 'Patient', [patient('NotAnObject')]), 400);
    assertOutcome(await req('GET', 'Patient/bad_id!'), 400);
    assertOutcome(await req('PUT', 'Patient/bad_id!', { ...p, id: 'bad_id!' }), 400);
    assertOutcome(await req('GET', `Patient/${'x'.repeat(65)}`), 400);
    assertOutcome(await req('GET', 'NoSuchType/1'), 404, 'not-found');
    assertOutcome(await req('POST', 'NoSuchType', { resourceType: 'NoSuchType' }), 404, 'not-found');
    assertOutcome(await req('GET', 'patient/1'), 404, 'not-found');
    // Nothing was changed by the rejected writes.
    const read = await req('GET', `Patient/${p.id}`);
    assert.equal(read.headers.ETag, 'W/"1"');
  });

  test('Prefer: return=minimal has no body, return=representation the resource, return=OperationOutcome an outcome', async () => {
    const family = marker('Prefer');
    let res = await req('POST', 'Patient', patient(family), { Prefer: 'return=minimal' });
    assert.equal(res.status, 201);
    assert.equal(res.body, undefined);
    const id = /\/Patient\/([^/]+)\/_history\/1$/.exec(res.headers.Location)![1];
    assert.equal(res.headers.ETag, 'W/"1"');

    res = await req('PUT', `Patient/${id}`, patient(family, { id, gender: 'male' }), { Prefer: 'return=representation' });
    assert.equal(res.status, 200);
    assert.equal((res.body as Resource).id, id);
    assert.equal((res.body as Resource).gender, 'male');
    assert.equal((res.body as Resource).meta!.versionId, '2');

    res = await req('PUT', `Patient/${id}`, patient(family, { id, gender: 'female' }), { Prefer: 'return=OperationOutcome' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.ETag, 'W/"3"');
    const oo = res.body as OperationOutcome;
    assert.equal(oo.resourceType, 'OperationOutcome');
    assert.equal(oo.issue[0].severity, 'information');

    res = await req('PUT', `Patient/${id}`, patient(family, { id, gender: 'other' }), { Prefer: 'return=minimal' });
    assert.equal(res.status, 200);
    assert.equal(res.body, undefined);
    assert.equal(res.headers.Location, `${BASE}/Patient/${id}/_history/4`);
    assert.equal((await req('GET', `Patient/${id}`)).headers.ETag, 'W/"4"');
  });
}
