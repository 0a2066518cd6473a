// Searches whose plan does not depend on their values run as named prepared statements on
// PostgreSQL (planned once per connection); ranges and patterns are planned with their values.
// One pooled connection, so pg_prepared_statements shows what that connection has prepared.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FhirEngine, type Bundle } from '@hestia/core';
import { planStable } from '@hestia/sql-common';
import { Client } from '@hestia/conformance';
import { createPostgresAdapter } from '../src/index.js';
import { createTestDatabase, postgresAvailable } from '../../../test/support/postgres.js';

test('plan-stable searches: equality tests without a sort; ranges, patterns, full text and sorts are not', () => {
  const q = (where: unknown, sort: unknown[] = []) => planStable({ types: ['Observation'], where: where as never, sort: sort as never, count: 10, total: 'none', include: [], revinclude: [] });
  const token = { kind: 'value', param: { code: 'code', type: 'token' }, predicate: { type: 'token', system: 'http://loinc.org', code: '1' } };
  const ref = { kind: 'value', param: { code: 'subject', type: 'reference' }, predicate: { type: 'reference', targetType: 'Patient', targetId: 'p' } };
  const date = { kind: 'value', param: { code: 'date', type: 'date' }, predicate: { type: 'date', range: { conds: [{ bound: 'low', op: '>=', value: 0 }] } } };
  const starts = { kind: 'value', param: { code: 'family', type: 'string' }, predicate: { type: 'string', match: 'starts', value: 'sm' } };
  const exact = { kind: 'value', param: { code: 'family', type: 'string' }, predicate: { type: 'string', match: 'exact', value: 'Smith' } };
  assert.equal(q(undefined), true);
  assert.equal(q({ kind: 'and', exprs: [token, ref, exact, { kind: 'id', ids: ['a'] }, { kind: 'missing', param: ref.param, missing: true }] }), true);
  assert.equal(q({ kind: 'chain', param: ref.param, targetTypes: ['Patient'], expr: exact }), true);
  assert.equal(q({ kind: 'and', exprs: [token, date] }), false);
  assert.equal(q({ kind: 'or', exprs: [token, starts] }), false);
  assert.equal(q({ kind: 'chain', param: ref.param, targetTypes: ['Patient'], expr: starts }), false);
  assert.equal(q({ kind: 'lastUpdated', range: { conds: [] } }), false);
  assert.equal(q({ kind: 'value', param: { code: '_text', type: 'special' }, predicate: { type: 'text', query: 'x' } }), false);
  assert.equal(q(token, [{ param: { code: '_id', type: 'special' }, descending: false }]), false);
});

const unavailable = await postgresAvailable();
test('equality searches and _include reads run as prepared statements, one per statement text; pattern searches do not', { skip: unavailable }, async () => {
  const db = await createTestDatabase();
  const adapter = createPostgresAdapter({ connection: db.url, pool: { max: 1 } });
  try {
    await adapter.init();
    const engine = new FhirEngine({ adapter });
    await engine.init();
    const client = new Client(engine);
    const prepared = async () => ((await adapter.knex.raw(`select statement from pg_prepared_statements where name like 'hestia_g%' or name = 'hestia_read_many' order by prepare_time`)).rows as { statement: string }[]).map((r) => r.statement);
    const before = await prepared();
    const pats = [await client.create({ resourceType: 'Patient', name: [{ family: 'Smith' }] }), await client.create({ resourceType: 'Patient', name: [{ family: 'Smythe' }] })];
    const obs = [];
    for (const [i, code] of ['1-1', '2-2', '1-1'].entries()) {
      obs.push(await client.create({ resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code }] }, subject: { reference: `Patient/${pats[i % 2].id}` } }));
    }
    // The same search shape with other values: one statement, prepared once.
    assert.deepEqual(await client.ids('Observation', [['code', 'http://loinc.org|1-1'], ['subject', `Patient/${pats[0].id}`]]), [obs[0].id, obs[2].id]);
    assert.deepEqual(await client.ids('Observation', [['code', 'http://loinc.org|2-2'], ['subject', `Patient/${pats[1].id}`]]), [obs[1].id]);
    assert.deepEqual(await client.ids('Observation', [['code', 'http://loinc.org|2-2'], ['subject', `Patient/${pats[0].id}`]]), []);
    const afterEq = await prepared();
    assert.equal(afterEq.length, before.length + 1);
    assert.match(afterEq.at(-1)!, /i\d\.tok_code = \$\d+/);
    // Patterns (and ranges) are planned with their values: nothing more is prepared.
    assert.deepEqual(await client.ids('Patient', [['family', 'sm']]), pats.map((p) => p.id));
    assert.deepEqual(await client.ids('Observation', [['_lastUpdated', 'gt2000-01-01']]), obs.map((o) => o.id));
    assert.equal((await prepared()).length, afterEq.length);
    // _include: the match statement (already prepared) and the read of the included resources by
    // their keys (new; one text for any number of keys).
    const res = await client.request('GET', 'Observation', { query: [['code', 'http://loinc.org|1-1'], ['subject', `Patient/${pats[0].id}`], ['_include', 'Observation:subject']] });
    assert.deepEqual(((res.body as Bundle).entry ?? []).map((e) => `${e.search?.mode} ${e.resource?.id}`), [`match ${obs[0].id}`, `match ${obs[2].id}`, `include ${pats[0].id}`]);
    const afterInclude = await prepared();
    assert.equal(afterInclude.length, afterEq.length + 1);
    assert.equal(afterInclude.at(-1), 'select resource_type, id, version_id, last_updated, deleted, content from resource where (resource_type, id) in (select k->>0, k->>1 from json_array_elements($1::json) k)');
    // A page of three matches, two patients to include: the same read statement.
    const three = await client.request('GET', 'Observation', { query: [['code', 'http://loinc.org|1-1,http://loinc.org|2-2'], ['_include', 'Observation:subject']] });
    assert.deepEqual(((three.body as Bundle).entry ?? []).map((e) => `${e.search?.mode} ${e.resource?.id}`).sort(), [...obs.map((o) => `match ${o.id}`), ...pats.map((p) => `include ${p.id}`)].sort());
    assert.equal((await prepared()).length, afterInclude.length + 1, 'only the new match statement (two codes) was prepared');
  } finally {
    await adapter.close();
    await db.drop();
  }
});

test('with preparedStatements off (a pooler that does not track them), every statement runs unnamed', { skip: unavailable }, async () => {
  const db = await createTestDatabase();
  const adapter = createPostgresAdapter({ connection: db.url, pool: { max: 1 }, preparedStatements: false });
  try {
    await adapter.init();
    const engine = new FhirEngine({ adapter });
    await engine.init();
    const client = new Client(engine);
    const p = await client.create({ resourceType: 'Patient', identifier: [{ system: 'urn:x', value: '1' }] });
    assert.equal((await client.request('GET', `Patient/${p.id}`)).status, 200);
    assert.deepEqual(await client.ids('Patient', [['identifier', 'urn:x|1']]), [p.id]);
    const named = (await adapter.knex.raw(`select name from pg_prepared_statements where name like 'hestia%'`)).rows;
    assert.deepEqual(named, []);
  } finally {
    await adapter.close();
    await db.drop();
  }
});
