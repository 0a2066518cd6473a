import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Resource } from '@hestia/core';
import type { Fixture } from '../index.js';

export function crudSuite(fx: Fixture): void {
  test('create, read, update with If-Match, delete, vread', async () => {
    const p = await fx.client.create<Resource>({ resourceType: 'Patient', name: [{ family: 'Conformance' }] });
    assert.equal(p.meta?.versionId, '1');
    let r = await fx.client.request('GET', `Patient/${p.id}`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.ETag, 'W/"1"');
    r = await fx.client.request('PUT', `Patient/${p.id}`, { body: { ...p, gender: 'other' }, headers: { 'If-Match': 'W/"1"' } });
    assert.equal(r.status, 200);
    assert.equal(r.headers.ETag, 'W/"2"');
    r = await fx.client.request('PUT', `Patient/${p.id}`, { body: { ...p, gender: 'male' }, headers: { 'If-Match': 'W/"1"' } });
    assert.equal(r.status, 412);
    r = await fx.client.request('DELETE', `Patient/${p.id}`);
    assert.equal(r.status, 204);
    r = await fx.client.request('GET', `Patient/${p.id}`);
    assert.equal(r.status, 410);
    r = await fx.client.request('GET', `Patient/${p.id}/_history/2`);
    assert.equal(r.status, 200);
    assert.equal((r.body as { gender?: string }).gender, 'other');
  });
}
