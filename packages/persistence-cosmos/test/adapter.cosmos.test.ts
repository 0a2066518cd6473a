// The Cosmos adapter's own mechanisms, on the emulator: the document model (current and version
// documents in two containers), history de-duplication, leases, request-unit metering, the bounds
// of chains / _has / multi-key sorts, and parameterized query text.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { CosmosClient, type Container } from '@azure/cosmos';
import { FhirEngine, FhirError, type IndexEntry, type Resource, type WriteOp } from '@hestia/core';
import { QueryBuilder } from '../src/index.js';
import { codePath } from '../src/query.js';
import { startEmulator, type Emulator } from './emulator.js';

const op = (o: Partial<WriteOp> & { id: string; versionId: number }, index: IndexEntry[] = []): WriteOp => {
  const lastUpdated = new Date(Date.now() + o.versionId).toISOString();
  const resource = { resourceType: 'Patient', id: o.id, meta: { versionId: String(o.versionId), lastUpdated } } as Resource;
  return { op: o.versionId === 1 ? 'create' : 'update', resourceType: 'Patient', resource, lastUpdated, index, ...o };
};

describe('cosmos adapter on the emulator', () => {
  let emu: Emulator;
  const database = `hestia-${randomUUID().slice(0, 8)}`;
  let raw: { resources: Container; history: Container };
  before(async () => {
    emu = await startEmulator();
    const client = new CosmosClient({ endpoint: emu.endpoint, key: 'emulator', connectionPolicy: { enableEndpointDiscovery: false } });
    raw = { resources: client.database(database).container('resources'), history: client.database(database).container('history') };
  });
  after(() => emu.stop());

  test('documents: the current version in resources (with its index), superseded versions in history; vread reads both', async () => {
    const a = await emu.open({ database });
    const id = randomUUID();
    await a.write([op({ id, versionId: 1 }, [{ code: 'family', value: { type: 'string', value: 'smith', exact: 'Smith' } }])]);
    await a.transaction(async (s) => {
      await s.read('Patient', id, { forUpdate: true });
      await s.write([op({ id, versionId: 2, expectedVersion: 1 })]);
    });
    const cur = (await raw.resources.items.query({ query: 'SELECT * FROM c WHERE c.pk = @pk', parameters: [{ name: '@pk', value: `Patient/${id}` }] }).fetchAll()).resources;
    assert.deepEqual(cur.map((d) => [d.id, d.vid, d.doc]), [[id, 2, 'resource']]);
    const old = (await raw.history.items.query({ query: 'SELECT * FROM c WHERE c.pk = @pk', parameters: [{ name: '@pk', value: `Patient/${id}` }] }).fetchAll()).resources;
    assert.deepEqual(old.map((d) => [d.id, d.vid, d.doc, d.idx]), [[`${id}@1`, 1, 'version', undefined]]);
    assert.equal((await a.vread('Patient', id, 1))?.versionId, 1);
    assert.equal((await a.vread('Patient', id, 2))?.versionId, 2);
    assert.equal(await a.vread('Patient', id, 3), undefined);
    // A stale expectedVersion and a create of an existing id are 409s.
    await assert.rejects(a.write([op({ id, versionId: 3, expectedVersion: 1 })]), (e: FhirError) => e.status === 409);
    await assert.rejects(a.write([op({ id, versionId: 1 })]), (e: FhirError) => e.status === 409 && /already exists/.test(e.message));
    await a.close();
  });

  test('history: a version copy left by a failed replace is listed once, and pages continue without repeats', async () => {
    const a = await emu.open({ database });
    const id = randomUUID();
    await a.write([op({ id, versionId: 1 })]);
    await a.write([op({ id, versionId: 2, expectedVersion: 1 })]);
    await a.write([op({ id, versionId: 3, expectedVersion: 2 })]);
    // What a writer that copied version 3 and then lost the race leaves behind.
    const { resource: current } = await raw.resources.item(id, `Patient/${id}`).read();
    const { idx: _i, srt: _s, _etag, _ts, _rid, _self, _attachments, ...fields } = current;
    await raw.history.items.upsert({ ...fields, id: `${id}@3`, doc: 'version' });
    const all = await a.history({ resourceType: 'Patient', id, count: 10 });
    assert.deepEqual(all.rows.map((r) => r.version.versionId), [3, 2, 1]);
    const first = await a.history({ resourceType: 'Patient', id, count: 1 });
    assert.deepEqual([first.rows.map((r) => r.version.versionId), first.hasMore], [[3], true]);
    const next = await a.history({ resourceType: 'Patient', id, count: 1, after: first.rows[0].key });
    assert.deepEqual(next.rows.map((r) => r.version.versionId), [2]);
    await a.close();
  });

  test('lock: a second transaction waits for the first to end; an expired lease is taken over; a held one times out with 409', async () => {
    const a = await emu.open({ database, lease: { ttlSeconds: 1, waitMs: 300 } });
    const events: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const first = a.transaction(async (s) => {
      await s.lock('k1');
      events.push('first locked');
      await held;
      events.push('first ends');
    });
    await new Promise((r) => setTimeout(r, 50));
    const second = a.transaction(async (s) => {
      await s.lock('k1');
      events.push('second locked');
    });
    await new Promise((r) => setTimeout(r, 100));
    release();
    await Promise.all([first, second]);
    assert.deepEqual(events, ['first locked', 'first ends', 'second locked']);

    // Held past the wait: 409. Past its expiry (the emulator does not run TTL): taken over.
    let unblock!: () => void;
    const stuck = new Promise<void>((r) => (unblock = r));
    const holder = a.transaction(async (s) => {
      await s.lock('k2');
      await stuck;
    });
    await new Promise((r) => setTimeout(r, 50));
    await assert.rejects(a.transaction((s) => s.lock('k2')), (e: FhirError) => e.status === 409 && e.outcome.issue[0].code === 'transient');
    await new Promise((r) => setTimeout(r, 1100));
    await a.transaction((s) => s.lock('k2'));
    unblock();
    await holder;
    await a.close();
  });

  test('metering: each request scope sums the charges of its own calls, also when scopes run concurrently', async () => {
    const a = await emu.open({ database });
    const id = randomUUID();
    await a.write([op({ id, versionId: 1 })]);
    const reads = (n: number) => a.metering.run({}, async (meter) => {
      await Promise.all(Array.from({ length: n }, () => a.read('Patient', id)));
      return meter.requestCharge;
    });
    assert.deepEqual(await Promise.all([reads(1), reads(3), reads(2)]), [1, 3, 2]);
    assert.throws(() => a.metering.run({ consistency: 'Strong' }, () => undefined), (e: FhirError) => e.status === 400);
    await a.close();
  });

  test('readMany: point reads for a few resources, one query for more; in the order asked, missing ones left out', async () => {
    const a = await emu.open({ database });
    const ids = Array.from({ length: 7 }, () => randomUUID());
    await a.write(ids.slice(0, 6).map((id) => op({ id, versionId: 1 })));
    const many = (refs: string[]) => a.metering.run({}, async (meter) => ({ ids: (await a.readMany(refs.map((id) => ({ resourceType: 'Patient', id })))).map((v) => v.id), charge: meter.requestCharge }));
    // 3 resources: 3 point reads (the emulator charges 1 per call).
    assert.deepEqual(await many([ids[2], ids[0], ids[1]]), { ids: [ids[2], ids[0], ids[1]], charge: 3 });
    // 7 asked (one never written): one query, the SDK's query plan not charged.
    const seven = [ids[5], ids[6], ids[3], ids[0], ids[4], ids[2], ids[1]];
    assert.deepEqual(await many(seven), { ids: seven.filter((id) => id !== ids[6]), charge: 1 });
    await a.close();
  });

  test('chains, _has and multi-key sorts beyond their bounds are 400 too-costly', async () => {
    const a = await emu.open({ database, limits: { joinKeys: 2, sortedMatches: 2 } });
    const engine = new FhirEngine({ adapter: a });
    await engine.init();
    const get = (path: string, query: [string, string][]) => engine.handle({ method: 'GET', path, query, headers: {}, baseUrl: 'http://x' });
    const family = `Bound${randomUUID().slice(0, 6)}`;
    const patients: string[] = [];
    for (let i = 0; i < 3; i++) {
      const p = await engine.handle({ method: 'POST', path: 'Patient', query: [], headers: {}, body: { resourceType: 'Patient', name: [{ family, given: [`g${i}`] }] }, baseUrl: 'http://x' });
      patients.push((p.body as Resource).id!);
      await engine.handle({ method: 'POST', path: 'Observation', query: [], headers: {}, body: { resourceType: 'Observation', status: 'final', code: { text: family }, subject: { reference: `Patient/${patients[i]}` } }, baseUrl: 'http://x' });
    }
    const chain1 = await get('Observation', [['code:text', family.toLowerCase()], ['subject:Patient.given', 'g1']]);
    assert.equal(chain1.status, 200);
    assert.equal((chain1.body as { entry: unknown[] }).entry.length, 1);
    const chain3 = await get('Observation', [['subject:Patient.family', family]]);
    assert.equal(chain3.status, 400);
    assert.equal((chain3.body as { issue: { code: string; diagnostics: string }[] }).issue[0].diagnostics, "The chained search on 'subject' matches more than 2 resources; narrow it.");
    const has = await get('Patient', [['_has:Observation:subject:code:text', family]]);
    assert.equal(has.status, 400);
    assert.equal((has.body as { issue: { code: string }[] }).issue[0].code, 'too-costly');
    const sorted = await get('Patient', [['family', family], ['_sort', 'family,given']]);
    assert.equal(sorted.status, 400);
    assert.equal((sorted.body as { issue: { code: string }[] }).issue[0].code, 'too-costly');
    const few = await get('Patient', [['family', family], ['given', 'g0,g2'], ['_sort', 'family,-given']]);
    assert.equal(few.status, 200);
    assert.deepEqual((few.body as { entry: { resource: Resource }[] }).entry.map((e) => e.resource.id), [patients[2], patients[0]]);
    await a.close();
  });
});

test('query text carries parameters only: request values never appear in it, and sort codes are checked', () => {
  const b = new QueryBuilder();
  const evil = `x" OR 1=1 --`;
  const where = b.where(['Patient'], { kind: 'or', exprs: [
    { kind: 'value', param: { code: 'family', type: 'string' }, predicate: { type: 'string', match: 'starts', value: evil } },
    { kind: 'value', param: { code: 'identifier', type: 'token' }, predicate: { type: 'token', system: evil, code: evil } },
    { kind: 'id', ids: [evil] },
  ] });
  assert.ok(!where.includes(evil));
  assert.equal(where, 'c.del = false AND ARRAY_CONTAINS(@p0, c.type) AND (EXISTS(SELECT VALUE i1 FROM i1 IN c.idx.str WHERE i1.c = @p1 AND STARTSWITH(i1.n, @p2))'
    + ' OR EXISTS(SELECT VALUE i2 FROM i2 IN c.idx.tok WHERE i2.c = @p3 AND i2.v = @p4 AND i2.s = @p5) OR ARRAY_CONTAINS(@p6, c.fid))');
  assert.deepEqual(b.parameters.map((p) => p.value), [['Patient'], 'family', evil, 'identifier', evil, evil, [evil]]);
  // ORDER BY takes no parameters: codes become quoted property names only when they are plain codes.
  assert.equal(codePath('c.srt', 'general-practitioner'), 'c.srt["general-practitioner"]');
  assert.throws(() => codePath('c.srt', 'x"] OR 1=1'), (e: FhirError) => e.status === 400);
});

test('sort strings order numbers and dates like their values, and carry the lowest / highest value of a parameter', async () => {
  const { encodeNumber, sortValues, toDocIndex } = await import('../src/doc-index.js');
  const numbers = [-Number.MAX_VALUE, -1e10, -2.5, -1, -0.001, 0, 1e-9, 1, 2.5, 1e10, Number.MAX_VALUE];
  const shuffled = [...numbers].reverse();
  assert.deepEqual(shuffled.map((n) => [encodeNumber(n), n]).sort((x, y) => (x[0] < y[0] ? -1 : 1)).map((x) => x[1]), numbers);
  assert.equal(encodeNumber(-0), encodeNumber(0));
  const idx = toDocIndex([
    { code: 'birthdate', value: { type: 'date', low: 100, high: 199 } },
    { code: 'birthdate', value: { type: 'date', low: 50, high: 150 } },
    { code: 'name', value: { type: 'string', value: 'zed', exact: 'Zed' } },
    { code: 'name', value: { type: 'string', value: 'amy', exact: 'Amy' } },
  ]);
  const srt = sortValues(idx, { id: 'p1', ts: 0, pk: 'Patient/p1' });
  assert.equal(srt.birthdate.a, `${encodeNumber(50)}\u0001Patient/p1`);
  assert.equal(srt.birthdate.d, `${encodeNumber(199)}\u0001Patient/p1`);
  assert.deepEqual([srt.name.a, srt.name.d], ['amy\u0001Patient/p1', 'zed\u0001Patient/p1']);
  assert.deepEqual(idx.codes, ['name', 'birthdate']);
});
