// Conditional interactions (https://hl7.org/fhir/R4/http.html#ccreate, #cond-update, #3.1.0.7.1,
// #patch), JSON Patch, and what concurrent writers of one resource see.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Bundle, FhirResponse, Resource } from '@hestia/core';
import { BASE } from '../client.js';
import type { Fixture } from '../index.js';
import { assertOutcome, Dataset, marker } from './support.js';

const JSON_PATCH = { 'content-type': 'application/json-patch+json' };
const N = 10;

export function conditionalSuite(fx: Fixture): void {
  const sys = `http://hestia.test/conditional/${marker('')}`;
  const patient = (value: string, extra: Record<string, unknown> = {}): Resource => ({ resourceType: 'Patient', identifier: [{ system: sys, value }], ...extra });
  const criteria = (value: string): [string, string][] => [['identifier', `${sys}|${value}`]];
  /** Ids of the current Patients with this identifier value, sorted. */
  const matching = async (value: string) => (await fx.client.ids('Patient', [...criteria(value), ['_count', '100']])).sort();
  const locationId = (res: FhirResponse) => /\/Patient\/([^/]+)\/_history\/\d+$/.exec(res.headers.Location)![1];

  test('conditional create (If-None-Exist): no match 201, one match 200 with the existing resource and nothing new, several 412', async () => {
    const headers = { 'If-None-Exist': `identifier=${sys}|cc1` };
    let res = await fx.client.request('POST', 'Patient', { body: patient('cc1', { gender: 'female' }), headers });
    assert.equal(res.status, 201);
    const first = res.body as Resource;
    assert.deepEqual(await matching('cc1'), [first.id]);

    res = await fx.client.request('POST', 'Patient', { body: patient('cc1', { gender: 'male' }), headers });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, first);
    assert.equal(res.headers.Location, `${BASE}/Patient/${first.id}/_history/1`);
    assert.equal(res.headers.ETag, 'W/"1"');
    assert.deepEqual(await matching('cc1'), [first.id]);

    const second = await fx.client.create(patient('cc1'));
    assertOutcome(await fx.client.request('POST', 'Patient', { body: patient('cc1'), headers }), 412);
    assert.deepEqual(await matching('cc1'), [first.id, second.id].sort());
  });

  test('conditional update: no match creates, one match updates that one, several 412, a body id other than the match 400', async () => {
    const put = (value: string, body: Resource, headers?: Record<string, string>) => fx.client.request('PUT', 'Patient', { query: criteria(value), body, headers });
    let res = await put('cu1', patient('cu1', { gender: 'female' }));
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const id = locationId(res);
    assert.equal(res.headers.Location, `${BASE}/Patient/${id}/_history/1`);
    assert.equal((res.body as Resource).id, id);

    res = await put('cu1', patient('cu1', { gender: 'male' }));
    assert.equal(res.status, 200);
    assert.equal(res.headers.Location, `${BASE}/Patient/${id}/_history/2`);
    assert.equal((res.body as Resource).gender, 'male');
    res = await put('cu1', patient('cu1', { id, gender: 'other' }), { 'If-Match': 'W/"2"' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.ETag, 'W/"3"');
    assertOutcome(await put('cu1', patient('cu1', { id, gender: 'other' }), { 'If-Match': 'W/"2"' }), 412);
    assertOutcome(await put('cu1', patient('cu1', { id: 'someone-else' })), 400);
    assert.deepEqual(await matching('cu1'), [id]);
    assert.equal((await fx.client.request('GET', `Patient/${id}`)).headers.ETag, 'W/"3"');

    // No match, with a body id that is free: update as create at that id; one that is taken: 409.
    const clientId = marker('cu-');
    res = await put('cu2', patient('cu2', { id: clientId }));
    assert.equal(res.status, 201);
    assert.equal(res.headers.Location, `${BASE}/Patient/${clientId}/_history/1`);
    assertOutcome(await put('cu3', patient('cu3', { id })), 409);
    assert.deepEqual(await matching('cu3'), []);

    await fx.client.create(patient('cu2'));
    assertOutcome(await put('cu2', patient('cu2', { gender: 'female' })), 412);
    assert.equal((await fx.client.request('GET', `Patient/${clientId}`)).headers.ETag, 'W/"1"');
  });

  test('conditional delete: one match, several up to conditionalDeleteMax, more than that 412 with nothing deleted', async () => {
    const max = fx.engine.options.conditionalDeleteMax;
    const ds = new Dataset(fx, 'cdel');
    const made = await ds.create({
      single: patient('cd-single'),
      ...Object.fromEntries(Array.from({ length: max }, (_, i) => [`few${i}`, patient('cd-few')])),
      ...Object.fromEntries(Array.from({ length: max + 1 }, (_, i) => [`many${i}`, patient('cd-many')])),
    });
    const del = (value: string) => fx.client.request('DELETE', 'Patient', { query: criteria(value) });

    assert.equal((await del('cd-single')).status, 204);
    assertOutcome(await fx.client.request('GET', `Patient/${made.single.id}`), 410);
    assert.equal((await del('cd-single')).status, 204, 'no match is an ordinary delete of nothing');

    assert.equal((await del('cd-few')).status, 204);
    assert.deepEqual(await matching('cd-few'), []);
    for (let i = 0; i < max; i++) assert.equal((await fx.client.request('GET', `Patient/${made[`few${i}`].id}`)).status, 410);

    assertOutcome(await del('cd-many'), 412);
    assert.equal((await matching('cd-many')).length, max + 1);
    assertOutcome(await fx.client.request('DELETE', 'Patient'), 400);
  });

  test('conditional patch: the one match is patched; no match 404, several 412', async () => {
    const p = await fx.client.create(patient('cp1', { gender: 'female' }));
    const patch = (value: string, body: unknown) => fx.client.request('PATCH', 'Patient', { query: criteria(value), body, headers: JSON_PATCH });
    let res = await patch('cp1', [{ op: 'replace', path: '/gender', value: 'male' }]);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.headers.ETag, 'W/"2"');
    assert.equal((res.body as Resource).id, p.id);
    assert.equal((res.body as Resource).gender, 'male');

    assertOutcome(await patch('cp-none', [{ op: 'replace', path: '/gender', value: 'male' }]), 404);
    await fx.client.create(patient('cp1'));
    assertOutcome(await patch('cp1', [{ op: 'replace', path: '/gender', value: 'other' }]), 412);
    assert.equal(((await fx.client.request('GET', `Patient/${p.id}`)).body as Resource).gender, 'male');
  });

  test('JSON Patch: applied with If-Match; stale If-Match 412, failed test op 422, bad patch 400, unsupported content type 415', async () => {
    const p = await fx.client.create(patient('jp1', { gender: 'female', name: [{ family: 'Before' }] }));
    const patch = (body: unknown, headers: Record<string, string> = JSON_PATCH) => fx.client.request('PATCH', `Patient/${p.id}`, { body, headers });
    let res = await patch([{ op: 'replace', path: '/name/0/family', value: 'After' }, { op: 'add', path: '/birthDate', value: '1970-01-01' }], { ...JSON_PATCH, 'if-match': 'W/"1"' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.headers.ETag, 'W/"2"');
    assert.equal(res.headers.Location, `${BASE}/Patient/${p.id}/_history/2`);
    const v2 = res.body as Resource;
    assert.deepEqual(v2.name, [{ family: 'After' }]);
    assert.equal(v2.birthDate, '1970-01-01');
    assert.equal(v2.meta!.versionId, '2');
    assert.deepEqual((await fx.client.request('GET', `Patient/${p.id}`)).body, v2);

    assertOutcome(await patch([{ op: 'remove', path: '/gender' }], { ...JSON_PATCH, 'if-match': 'W/"1"' }), 412);
    assertOutcome(await patch([{ op: 'test', path: '/gender', value: 'male' }, { op: 'remove', path: '/gender' }]), 422);
    assertOutcome(await patch([{ op: 'jump', path: '/gender' }]), 400);
    assertOutcome(await patch({ op: 'remove', path: '/gender' }), 400);
    assertOutcome(await patch([{ op: 'remove', path: '/gender' }], { 'content-type': 'text/plain' }), 415);
    assertOutcome(await patch([{ op: 'replace', path: '/id', value: 'other' }]), 422);
    assertOutcome(await fx.client.request('PATCH', `Patient/${marker('never-')}`, { body: [], headers: JSON_PATCH }), 404);
    // None of the rejected patches was stored.
    const read = await fx.client.request('GET', `Patient/${p.id}`);
    assert.equal(read.headers.ETag, 'W/"2"');
    assert.equal((read.body as Resource).gender, 'female');
  });

  test(`concurrency: ${N} updates with the same If-Match: exactly one succeeds, ${N - 1} get 412, final version 2`, async () => {
    const p = await fx.client.create(patient('race-ifmatch'));
    const results = await Promise.all(Array.from({ length: N }, (_, i) =>
      fx.client.request('PUT', `Patient/${p.id}`, { body: { ...p, gender: i % 2 ? 'male' : 'female', birthDate: `20${String(i).padStart(2, '0')}-01-01` }, headers: { 'If-Match': 'W/"1"' } })));
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, ...Array(N - 1).fill(412)]);
    const winner = results.find((r) => r.status === 200)!.body as Resource;
    const read = await fx.client.request('GET', `Patient/${p.id}`);
    assert.equal(read.headers.ETag, 'W/"2"');
    assert.deepEqual(read.body, winner);
  });

  test(`concurrency: ${N} updates without If-Match all succeed, and the history holds versions 1..${N + 1} once each`, async () => {
    const p = await fx.client.create(patient('race-free'));
    const results = await Promise.all(Array.from({ length: N }, (_, i) =>
      fx.client.request('PUT', `Patient/${p.id}`, { body: { ...p, birthDate: `19${String(i).padStart(2, '0')}-01-01` } })));
    assert.deepEqual(results.map((r) => r.status), Array(N).fill(200));
    assert.deepEqual(results.map((r) => Number((r.body as Resource).meta!.versionId)).sort((a, b) => a - b), Array.from({ length: N }, (_, i) => i + 2));
    const history = (await fx.client.request('GET', `Patient/${p.id}/_history`, { query: [['_count', '100']] })).body as Bundle;
    assert.deepEqual(history.entry!.map((e) => e.resource!.meta!.versionId), Array.from({ length: N + 1 }, (_, i) => String(N + 1 - i)));
    assert.equal((await fx.client.request('GET', `Patient/${p.id}`)).headers.ETag, `W/"${N + 1}"`);
  });

  test(`concurrency: ${N} identical conditional creates leave exactly one resource`, async () => {
    const value = marker('race-create-');
    const results = await Promise.all(Array.from({ length: N }, () =>
      fx.client.request('POST', 'Patient', { body: patient(value), headers: { 'If-None-Exist': `identifier=${sys}|${value}` } })));
    assert.deepEqual(results.map((r) => r.status).sort(), [...Array(N - 1).fill(200), 201]);
    const ids = await matching(value);
    assert.equal(ids.length, 1);
    assert.deepEqual([...new Set(results.map((r) => (r.body as Resource).id))], ids);
  });
}
