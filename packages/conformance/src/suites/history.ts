// History (https://hl7.org/fhir/R4/http.html#history): instance, type and system level, newest
// first, with each entry's request and response, _count, _since and paging through `next` links.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Bundle, BundleEntry, Resource } from '@hestia/core';
import { BASE } from '../client.js';
import type { Fixture } from '../index.js';
import { assertOutcome, getBundle, marker, walk } from './support.js';

/** `METHOD url status versionId` of a history entry. */
const describeEntry = (e: BundleEntry) => `${e.request!.method} ${e.request!.url} ${e.response!.status} ${e.response!.etag}`;

export function historySuite(fx: Fixture): void {
  const put = async (r: Resource) => {
    const res = await fx.client.request('PUT', `${r.resourceType}/${r.id}`, { body: r });
    assert.equal(res.status, 200);
    return res.body as Resource;
  };
  const del = async (r: Resource) => assert.equal((await fx.client.request('DELETE', `${r.resourceType}/${r.id}`)).status, 204);

  test('instance history: newest first, each entry with its request method and url and its response status, etag and lastModified', async () => {
    const family = marker('Hist');
    const v1 = await fx.client.create({ resourceType: 'Patient', name: [{ family }] });
    const v2 = await put({ ...v1, gender: 'female' });
    const v3 = await put({ ...v2, gender: 'male' });
    await del(v3);
    const b = await getBundle(fx, `Patient/${v1.id}/_history`, []);
    assert.equal(b.type, 'history');
    const url = `Patient/${v1.id}`;
    assert.deepEqual(b.entry!.map(describeEntry), [
      `DELETE ${url} 204 No Content W/"4"`,
      `PUT ${url} 200 OK W/"3"`,
      `PUT ${url} 200 OK W/"2"`,
      'POST Patient 201 Created W/"1"',
    ]);
    assert.equal(b.entry![0].resource, undefined);
    assert.deepEqual(b.entry!.slice(1).map((e) => e.resource), [v3, v2, v1]);
    assert.deepEqual(b.entry!.map((e) => e.fullUrl), Array(4).fill(`${BASE}/${url}`));
    assert.deepEqual(b.entry!.slice(1).map((e) => e.response!.lastModified), [v3, v2, v1].map((v) => v.meta!.lastUpdated));
    const times = b.entry!.map((e) => Date.parse(e.response!.lastModified!));
    assert.deepEqual(times, [...times].sort((x, y) => y - x));
    assert.equal(b.link!.find((l) => l.relation === 'self')!.url, `${BASE}/${url}/_history`);

    // _count and _since on one instance.
    const two = await getBundle(fx, `Patient/${v1.id}/_history`, [['_count', '2']]);
    assert.deepEqual(two.entry!.map((e) => e.response!.etag), ['W/"4"', 'W/"3"']);
    assert.ok(two.link!.some((l) => l.relation === 'next'));
    const since = await getBundle(fx, `Patient/${v1.id}/_history`, [['_since', v2.meta!.lastUpdated!]]);
    assert.deepEqual(since.entry!.map((e) => e.response!.etag), ['W/"4"', 'W/"3"', 'W/"2"']);
    assertOutcome(await fx.client.request('GET', `Patient/${marker('never-')}/_history`), 404);
    assertOutcome(await fx.client.request('GET', `Patient/${v1.id}/_history`, { query: [['_since', 'yesterday']] }), 400);
    assertOutcome(await fx.client.request('GET', `Patient/${v1.id}/_history`, { query: [['_count', '-1']] }), 400);
  });

  test('type and system history: _since bounds the versions, _count pages them, and next links (_ct) visit each version once', async () => {
    // The suites of a run share the database but run one after another: versions written since our
    // first write are ours.
    const family = marker('HistType');
    const a1 = await fx.client.create({ resourceType: 'Patient', name: [{ family }] });
    const o1 = await fx.client.create({ resourceType: 'Observation', status: 'final', code: { text: family }, subject: { reference: `Patient/${a1.id}` } });
    const a2 = await put({ ...a1, gender: 'female' });
    const b1 = await fx.client.create({ resourceType: 'Patient', name: [{ family }] });
    const o2 = await put({ ...o1, status: 'amended' });
    await del(b1);
    const a3 = await put({ ...a2, gender: 'male' });
    const o3 = await put({ ...o2, status: 'corrected' });
    const since = a1.meta!.lastUpdated!;
    const p = (r: Resource, v: number) => `${r.resourceType}/${r.id}/${v}`;
    const key = (e: BundleEntry) => `${/\/([A-Za-z]+\/[^/]+)$/.exec(e.fullUrl!)![1]}/${/W\/"(\d+)"/.exec(e.response!.etag!)![1]}`;
    const allPatients = [p(a1, 3), p(b1, 2), p(b1, 1), p(a1, 2), p(a1, 1)];
    const all = [p(o1, 3), p(a1, 3), p(b1, 2), p(o1, 2), p(b1, 1), p(a1, 2), p(o1, 1), p(a1, 1)];

    const types = await getBundle(fx, 'Patient/_history', [['_since', since]]);
    assert.deepEqual(types.entry!.map(key), allPatients);
    const system = await getBundle(fx, '_history', [['_since', since]]);
    assert.deepEqual(system.entry!.map(key), all);
    assert.deepEqual(system.entry!.map((e) => e.request!.method), ['PUT', 'PUT', 'DELETE', 'PUT', 'POST', 'PUT', 'POST', 'POST']);
    assert.deepEqual(system.entry![0].resource, o3);
    assert.deepEqual(system.entry![1].resource, a3);

    // _since is inclusive of the instant given, and leaves out what came before.
    const later = await getBundle(fx, '_history', [['_since', a2.meta!.lastUpdated!]]);
    assert.deepEqual(later.entry!.map(key), all.slice(0, 6));

    for (const [path, expected] of [['Patient/_history', allPatients], ['_history', all]] as const) {
      const pages = await walk(fx, await getBundle(fx, path, [['_since', since], ['_count', '3']]), 'next');
      assert.deepEqual(pages.map((b: Bundle) => b.entry!.length), expected.length === 8 ? [3, 3, 2] : [3, 2]);
      assert.deepEqual(pages.flatMap((b) => b.entry!.map(key)), expected);
      assert.ok(new URL(pages[0].link!.find((l) => l.relation === 'next')!.url).searchParams.get('_ct'), 'the next link carries a continuation token');
      assert.ok(pages.every((b) => b.type === 'history'));
    }
    assertOutcome(await fx.client.request('GET', '_history', { query: [['_since', since], ['_ct', 'forged.token']] }), 400);
  });
}
