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

  test('ValueSet/$expand, ValueSet/$validate-code, CodeSystem/$lookup and CodeSystem/$validate-code on stored terminology', async () => {
    const c = fx.client;
    const tag = `ops${Date.now()}`;
    const sys = `http://hestia.test/CodeSystem/${tag}`;
    const vsUrl = `http://hestia.test/ValueSet/${tag}`;
    const cs = await c.create({ resourceType: 'CodeSystem', url: sys, name: 'Ailments', version: '2', status: 'active', content: 'complete', concept: [
      { code: 'disease', display: 'Disease', concept: [{ code: 'infection', display: 'Infection', concept: [{ code: 'flu', display: 'Influenza' }, { code: 'covid', display: 'COVID-19' }] }, { code: 'injury', display: 'Injury' }] },
    ] });
    // The infections but covid, plus one listed code of another (not stored) system, plus a whole stored system.
    const vs = await c.create({ resourceType: 'ValueSet', url: vsUrl, status: 'active', compose: {
      include: [{ system: sys, filter: [{ property: 'concept', op: 'is-a', value: 'infection' }] }, { system: 'http://loinc.org', concept: [{ code: '1975-2', display: 'Bilirubin' }] }],
      exclude: [{ system: sys, concept: [{ code: 'covid' }] }],
    } });
    const whole = await c.create({ resourceType: 'ValueSet', url: `${vsUrl}-all`, status: 'active', compose: { include: [{ system: sys }] } });
    const external = await c.create({ resourceType: 'ValueSet', url: `${vsUrl}-loinc`, status: 'active', compose: { include: [{ system: 'http://loinc.org' }] } });
    const run = async (method: string, path: string, query: [string, string][] = [], body?: unknown) => {
      const res = await c.request(method, path, { query, body });
      return { status: res.status, body: res.body as Record<string, unknown> & { parameter?: { name: string; [k: string]: unknown }[]; expansion?: { total: number; offset?: number; contains?: { system: string; code: string; display?: string }[] } } };
    };
    const codes = (b: Awaited<ReturnType<typeof run>>) => (b.body.expansion!.contains ?? []).map((x) => `${x.system === sys ? '' : `${x.system}|`}${x.code}${x.display ? `:${x.display}` : ''}`);
    const params = (b: Awaited<ReturnType<typeof run>>) => Object.fromEntries((b.body.parameter ?? []).map((p) => [p.name, p.valueBoolean ?? p.valueString ?? p.part]));

    // $expand: by url, on the instance, with filter and paging, or of a ValueSet sent in the body.
    const expanded = await run('GET', 'ValueSet/$expand', [['url', vsUrl]]);
    assert.equal(expanded.status, 200);
    assert.equal(expanded.body.resourceType, 'ValueSet');
    assert.equal(expanded.body.expansion!.total, 3);
    assert.deepEqual(codes(expanded), ['infection:Infection', 'flu:Influenza', 'http://loinc.org|1975-2:Bilirubin']);
    assert.deepEqual(codes(await run('GET', `ValueSet/${vs.id}/$expand`, [['filter', 'INFL']])), ['flu:Influenza']);
    const paged = await run('GET', `ValueSet/${vs.id}/$expand`, [['offset', '1'], ['count', '1']]);
    assert.deepEqual([codes(paged), paged.body.expansion!.total, paged.body.expansion!.offset], [['flu:Influenza'], 3, 1]);
    assert.deepEqual(codes(await run('GET', `ValueSet/${whole.id}/$expand`)), ['disease:Disease', 'infection:Infection', 'flu:Influenza', 'covid:COVID-19', 'injury:Injury']);
    const posted = await run('POST', 'ValueSet/$expand', [], { resourceType: 'Parameters', parameter: [{ name: 'valueSet', resource: { resourceType: 'ValueSet', status: 'draft', compose: { include: [{ system: sys, concept: [{ code: 'injury' }] }] } } }] });
    assert.deepEqual(codes(posted), ['injury']);
    // What cannot be expanded: a whole code system not stored here; no such ValueSet.
    assert.equal((await run('GET', `ValueSet/${external.id}/$expand`)).status, 400);
    assert.equal((await run('GET', 'ValueSet/$expand', [['url', 'http://nowhere.test/vs']])).status, 404);
    assert.equal((await run('GET', 'ValueSet/$expand')).status, 400);
    assert.equal((await run('GET', 'CodeSystem/$expand', [['url', sys]])).status, 400);

    // ValueSet/$validate-code.
    assert.deepEqual(params(await run('GET', 'ValueSet/$validate-code', [['url', vsUrl], ['system', sys], ['code', 'flu']])), { result: true, display: 'Influenza' });
    assert.deepEqual(params(await run('GET', `ValueSet/${vs.id}/$validate-code`, [['system', sys], ['code', 'covid']])), { result: false, message: `${sys}|covid is not in ValueSet '${vsUrl}'.` });
    assert.deepEqual(params(await run('GET', `ValueSet/${vs.id}/$validate-code`, [['system', sys], ['code', 'flu'], ['display', 'Flu']])),
      { result: false, message: "The display 'Flu' is not the code's display 'Influenza'.", display: 'Influenza' });
    assert.deepEqual(params(await run('POST', `ValueSet/${vs.id}/$validate-code`, [], { resourceType: 'Parameters', parameter: [{ name: 'codeableConcept', valueCodeableConcept: { coding: [{ system: 'http://example.org', code: 'x' }, { system: 'http://loinc.org', code: '1975-2' }] } }] })),
      { result: true, display: 'Bilirubin' });
    assert.deepEqual(params(await run('GET', `ValueSet/${whole.id}/$validate-code`, [['system', sys], ['code', 'nonesuch']])), { result: false, message: `${sys}|nonesuch is not in ValueSet '${vsUrl}-all'.` });
    assert.deepEqual(params(await run('GET', `ValueSet/${external.id}/$validate-code`, [['system', 'http://loinc.org'], ['code', '718-7']])),
      { result: true, message: "CodeSystem 'http://loinc.org' is not stored in this server: the code itself was not checked." });

    // CodeSystem/$lookup: display, parent and children.
    const lookup = params(await run('GET', 'CodeSystem/$lookup', [['system', sys], ['code', 'infection']]));
    assert.deepEqual(lookup.name, 'Ailments');
    assert.deepEqual(lookup.version, '2');
    assert.deepEqual(lookup.display, 'Infection');
    const props = (await run('GET', `CodeSystem/${cs.id}/$lookup`, [['code', 'infection']])).body.parameter!.filter((p) => p.name === 'property').map((p) => (p.part as { valueCode: string }[]).map((x) => x.valueCode).join('='));
    assert.deepEqual(props, ['parent=disease', 'child=flu', 'child=covid']);
    assert.equal((await run('GET', 'CodeSystem/$lookup', [['system', sys], ['code', 'nonesuch']])).status, 404);
    assert.equal((await run('GET', 'CodeSystem/$lookup', [['system', 'http://nowhere.test/cs'], ['code', 'x']])).status, 404);
    assert.equal((await run('GET', 'CodeSystem/$lookup', [['code', 'flu']])).status, 400);

    // CodeSystem/$validate-code.
    assert.deepEqual(params(await run('GET', 'CodeSystem/$validate-code', [['url', sys], ['code', 'covid']])), { result: true, display: 'COVID-19' });
    assert.deepEqual(params(await run('GET', `CodeSystem/${cs.id}/$validate-code`, [['code', 'nonesuch']])), { result: false, message: `Code 'nonesuch' is not in CodeSystem '${sys}'.` });

    // The CapabilityStatement lists them on their types.
    const cap = (await c.request('GET', 'metadata')).body as unknown as { rest: { resource: { type: string; operation?: { name: string }[] }[] }[] };
    const ops = (type: string) => (cap.rest[0].resource.find((x) => x.type === type)!.operation ?? []).map((o) => o.name);
    assert.deepEqual(ops('ValueSet').filter((n) => n !== 'validate'), ['expand', 'validate-code']);
    assert.deepEqual(ops('CodeSystem').filter((n) => n !== 'validate'), ['lookup', 'validate-code']);
  });
}
