import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FhirEngine, type Resource } from '@hestia/core';
import { Client } from '../client.js';
import type { Fixture } from '../index.js';

const EXT = 'http://hestia.test/StructureDefinition/eye-colour';
const patient = (colour: string, family: string): Resource => ({ resourceType: 'Patient', name: [{ family }], extension: [{ url: EXT, valueString: colour }] });

export function customParamsSuite(fx: Fixture): void {
  test('a custom SearchParameter indexes new writes at once and existing data after $reindex', async () => {
    const c = fx.client;
    const family = `Custom${Date.now()}`;
    const before = [await c.create(patient('blue', family)), await c.create(patient('blue', family)), await c.create(patient('green', family))];
    const sp = { resourceType: 'SearchParameter', url: 'http://hestia.test/SearchParameter/eye-colour', name: 'eyeColour', status: 'active', description: 'Eye colour', code: 'eye-colour', base: ['Patient'], type: 'string', expression: `Patient.extension.where(url='${EXT}').value` };
    const bad = await c.request('POST', 'SearchParameter', { body: { ...sp, expression: 'Patient.name.where(' } });
    assert.equal(bad.status, 400);
    assert.equal((bad.body as unknown as { issue: { code: string }[] }).issue[0].code, 'invalid');
    const created = await c.request('POST', 'SearchParameter', { body: sp });
    assert.equal(created.status, 201);

    // Known now, but only resources written from now on carry its index values.
    assert.deepEqual(await c.ids('Patient', [['family', family], ['eye-colour', 'blue']]), []);
    const after = await c.create(patient('blue', family));
    assert.deepEqual(await c.ids('Patient', [['family', family], ['eye-colour', 'blue']]), [after.id]);

    const reindex = await c.request('POST', '$reindex');
    assert.equal(reindex.status, 200);
    const n = (reindex.body as unknown as { parameter: { name: string; valueInteger?: number }[] }).parameter.find((p) => p.name === 'resourcesReindexed')!.valueInteger!;
    assert.ok(n >= 4);
    assert.deepEqual((await c.ids('Patient', [['family', family], ['eye-colour', 'blue'], ['_sort', '_id']])).sort(), [before[0].id, before[1].id, after.id].sort());
    assert.deepEqual(await c.ids('Patient', [['family', family], ['eye-colour', 'green']]), [before[2].id]);

    // A new engine on the same database (a restart) knows the parameter.
    const restarted = new FhirEngine({ adapter: fx.adapter });
    await restarted.init();
    assert.deepEqual(await new Client(restarted).ids('Patient', [['family', family], ['eye-colour', 'green']]), [before[2].id]);
  });

  test('a SearchParameter written by a transaction that fails is not known afterwards', async (t) => {
    if (!fx.adapter.capabilities.transactions) return t.skip(`${fx.adapter.name} declares no transactions`);
    const c = fx.client;
    const existing = await c.create(patient('grey', `Rolled${Date.now()}`));
    const sp = { resourceType: 'SearchParameter', url: 'http://hestia.test/SearchParameter/hair-colour', name: 'hairColour', status: 'active', description: 'Hair colour', code: 'hair-colour', base: ['Patient'], type: 'string', expression: `Patient.extension.where(url='${EXT}').value` };
    const res = await c.request('POST', '', {
      body: {
        resourceType: 'Bundle', type: 'transaction', entry: [
          { resource: sp, request: { method: 'POST', url: 'SearchParameter' } },
          // A stale version: 412, and the whole transaction rolls back.
          { resource: existing, request: { method: 'PUT', url: `Patient/${existing.id}`, ifMatch: 'W/"99"' } },
        ],
      },
    });
    assert.equal(res.status, 412, JSON.stringify(res.body));
    const strict = await c.request('GET', 'Patient', { query: [['hair-colour', 'grey']], headers: { prefer: 'handling=strict' } });
    assert.equal(strict.status, 400, JSON.stringify(strict.body));
    assert.match((strict.body as unknown as { issue: { diagnostics: string }[] }).issue[0].diagnostics, /hair-colour/);
    // Written by a transaction that commits, it is known at once.
    const ok = await c.request('POST', '', { body: { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: sp, request: { method: 'POST', url: 'SearchParameter' } }] } });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal((await c.request('GET', 'Patient', { query: [['hair-colour', 'grey']], headers: { prefer: 'handling=strict' } })).status, 200);
  });

  test('a custom SearchParameter updated to another code, deleted or hard-deleted: only what is current applies; an official one it replaced comes back', async () => {
    const c = fx.client;
    const known = async (code: string, value = 'x') => (await c.request('GET', 'Patient', { query: [[code, value]], headers: { prefer: 'handling=strict' } })).status === 200;
    const sp = { resourceType: 'SearchParameter', url: 'http://hestia.test/SearchParameter/shoe-size', name: 'shoeSize', status: 'active', description: 'Shoe size', code: 'shoe-size', base: ['Patient'], type: 'string', expression: `Patient.extension.where(url='${EXT}').value` };
    const created = await c.create(sp);
    assert.equal(await known('shoe-size'), true);
    const updated = await c.request('PUT', `SearchParameter/${created.id}`, { body: { ...sp, id: created.id, code: 'shoe' } });
    assert.equal(updated.status, 200);
    assert.deepEqual([await known('shoe-size'), await known('shoe')], [false, true]);
    assert.equal((await c.request('DELETE', `SearchParameter/${created.id}`)).status, 204);
    assert.equal(await known('shoe'), false);

    // One that replaces the official `family` on Patient, then is hard-deleted.
    const family = `Shadow${Date.now()}`;
    const p = await c.create(patient('violet', family));
    const shadow = await c.create({ ...sp, url: 'http://hestia.test/SearchParameter/family-shadow', name: 'familyShadow', code: 'family' });
    const byFamily = await c.create(patient('violet', family));
    assert.deepEqual(await c.ids('Patient', [['family', 'violet']]), [byFamily.id]);
    assert.equal((await c.request('DELETE', `SearchParameter/${shadow.id}`, { query: [['_hardDelete', 'true']] })).status, 204);
    // New writes are indexed by the official parameter again; what was written meanwhile, after $reindex.
    const after = await c.create(patient('violet', family));
    assert.deepEqual((await c.ids('Patient', [['family', family]])).sort(), [p.id, after.id].sort());
    assert.equal((await c.request('POST', 'Patient/$reindex')).status, 200);
    assert.deepEqual((await c.ids('Patient', [['family', family]])).sort(), [p.id, byFamily.id, after.id].sort());
    assert.deepEqual(await c.ids('Patient', [['family', 'violet']]), []);
  });

  test('another server on the same database learns of the SearchParameters created, changed and deleted there when it syncs', async () => {
    const other = new FhirEngine({ adapter: fx.adapter });
    await other.init();
    const there = new Client(other);
    const known = async (client: Client, code: string) => (await client.request('GET', 'Patient', { query: [[code, 'x']], headers: { prefer: 'handling=strict' } })).status === 200;
    const sp = { resourceType: 'SearchParameter', url: 'http://hestia.test/SearchParameter/glove-size', name: 'gloveSize', status: 'active', description: 'Glove size', code: 'glove-size', base: ['Patient'], type: 'string', expression: `Patient.extension.where(url='${EXT}').value` };
    const created = await fx.client.create(sp);
    assert.equal(await known(there, 'glove-size'), false);
    assert.equal(await other.syncSearchParameters(), true);
    assert.equal(await known(there, 'glove-size'), true);
    assert.equal(await other.syncSearchParameters(), false, 'nothing changed since');
    assert.equal((await fx.client.request('PUT', `SearchParameter/${created.id}`, { body: { ...sp, id: created.id, code: 'glove' } })).status, 200);
    assert.equal(await other.syncSearchParameters(), true);
    assert.deepEqual([await known(there, 'glove-size'), await known(there, 'glove')], [false, true]);
    assert.equal((await fx.client.request('DELETE', `SearchParameter/${created.id}`, { query: [['_hardDelete', 'true']] })).status, 204);
    assert.equal(await other.syncSearchParameters(), true);
    assert.equal(await known(there, 'glove'), false);
  });
}
