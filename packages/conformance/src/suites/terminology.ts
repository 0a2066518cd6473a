import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Fixture } from '../index.js';
import { getBundle, walk } from './support.js';

/** Token :in / :not-in / :below / :above answered from ValueSets and CodeSystems stored in the server, and _list. */
export function terminologySuite(fx: Fixture): void {
  test('token :in, :not-in, :below, :above use stored ValueSets and CodeSystems; _list', async () => {
    const c = fx.client;
    const tag = `term${Date.now()}`;
    const sys = `http://hestia.test/CodeSystem/${tag}`;
    await c.create({ resourceType: 'CodeSystem', url: sys, status: 'active', content: 'complete', concept: [
      { code: 'disease', concept: [{ code: 'infection', concept: [{ code: 'flu' }, { code: 'covid' }] }, { code: 'injury' }] },
    ] });
    await c.create({ resourceType: 'ValueSet', url: `http://hestia.test/ValueSet/${tag}-resp`, status: 'active', compose: { include: [{ system: sys, concept: [{ code: 'flu' }, { code: 'covid' }] }] } });
    await c.create({ resourceType: 'ValueSet', url: `http://hestia.test/ValueSet/${tag}-infections`, status: 'active', compose: { include: [{ system: sys, filter: [{ property: 'concept', op: 'is-a', value: 'infection' }] }], exclude: [{ system: sys, concept: [{ code: 'covid' }] }] } });
    const cond = async (code: string) => c.create({ resourceType: 'Condition', subject: { reference: `Patient/${tag}` }, code: { coding: [{ system: sys, code }] } });
    const flu = await cond('flu'), covid = await cond('covid'), injury = await cond('injury'), infection = await cond('infection');
    const q = (k: string, v: string) => c.ids('Condition', [['subject', `Patient/${tag}`], [k, v], ['_sort', '_id']]);
    const sorted = (...ids: (string | undefined)[]) => ids.map(String).sort();

    assert.deepEqual(await q('code:in', `http://hestia.test/ValueSet/${tag}-resp`), sorted(flu.id, covid.id));
    assert.deepEqual(await q('code:not-in', `http://hestia.test/ValueSet/${tag}-resp`), sorted(injury.id, infection.id));
    assert.deepEqual(await q('code:in', `http://hestia.test/ValueSet/${tag}-infections`), sorted(flu.id, infection.id));
    assert.deepEqual(await q('code:below', `${sys}|infection`), sorted(flu.id, covid.id, infection.id));
    assert.deepEqual(await q('code:above', `${sys}|flu`), sorted(flu.id, infection.id));
    // Paging through an :in search: the continuation token belongs to the query as written, not to its expansion.
    const pages = await walk(fx, await getBundle(fx, 'Condition', [['subject', `Patient/${tag}`], ['code:in', `http://hestia.test/ValueSet/${tag}-resp`], ['_count', '1']]), 'next');
    assert.deepEqual(pages.map((b) => (b.entry ?? []).filter((e) => e.search?.mode === 'match').length), [1, 1]);
    assert.deepEqual(pages.flatMap((b) => (b.entry ?? []).map((e) => e.resource!.id!)).sort(), sorted(flu.id, covid.id));
    const missing = await c.request('GET', 'Condition', { query: [['code:in', 'http://nowhere.test/ValueSet/x']] });
    assert.equal(missing.status, 400);
    assert.match((missing.body as unknown as { issue: { diagnostics: string }[] }).issue[0].diagnostics, /not stored in this server/);

    const list = await c.create({ resourceType: 'List', status: 'current', mode: 'working', entry: [{ item: { reference: `Condition/${flu.id}` } }, { item: { reference: `Condition/${injury.id}` } }] });
    assert.deepEqual(await c.ids('Condition', [['_list', list.id!], ['_sort', '_id']]), sorted(flu.id, injury.id));
  });
}
