// The T-SQL of every non-search operation (schema, reads, writes, history, reindex, locks), as knex
// sends it: snapshotted, and each statement syntax-checked (see tsql-check.ts). No server needed.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import type { IndexEntry, WriteOp } from '@hestia/core';
import { matchSnapshot, type SnapshotEntry } from '../../sql-common/test/snapshot.js';
import { countPlaceholders, render, type Batch, type Stmt } from '../src/batch.js';
import { cut, indexJson } from '../src/index-json.js';
import { chunk, MAX_PARAMS } from '../src/params.js';
import { KEY_CHARS, MIGRATION_SQL, MIGRATIONS } from '../src/schema.js';
import * as S from '../src/statements.js';
import { lockName } from '../src/store.js';
import { checkBatch, checkStatement, checkStructure, closeChecker, native } from './tsql-check.js';

after(closeChecker);

const NOW = '2024-03-01T10:00:00.000Z';
const INDEX: IndexEntry[] = [
  { code: 'family', value: { type: 'string', value: 'chalmers', exact: 'Chalmers' } },
  { code: 'identifier', value: { type: 'token', system: 'urn:oid:1.2.36.146.595.217.0.1', code: '12345', text: null } },
  { code: 'birthdate', value: { type: 'date', low: Date.UTC(1974, 11, 25), high: Date.UTC(1974, 11, 26) } },
  { code: 'death-date', value: { type: 'date', low: -Infinity, high: Infinity } },
  { code: 'general-practitioner', value: { type: 'reference', targetType: 'Practitioner', targetId: 'pr1', url: null } },
  { code: 'link', value: { type: 'reference', targetType: null, targetId: null, url: 'http://other.org/fhir/Patient/9' } },
  { code: '_profile', value: { type: 'uri', value: 'http://hl7.org/fhir/StructureDefinition/Patient' } },
  { code: 'probability', value: { type: 'number', value: 0.8 } },
  { code: 'value-quantity', value: { type: 'quantity', value: 5.4, system: 'http://unitsofmeasure.org', code: 'mg', unit: 'mg' } },
  { code: 'code-value-quantity', value: { type: 'composite', components: [[{ type: 'token', system: 'http://loinc.org', code: '8480-6', text: null }], [{ type: 'quantity', value: 120, system: null, code: 'mm[Hg]', unit: null }]] } },
  { code: '_content', value: { type: 'text', value: 'chalmers peter james' } },
];

const op = (o: Partial<WriteOp> & Pick<WriteOp, 'op' | 'id'>): WriteOp => ({
  resourceType: 'Patient', versionId: 1, lastUpdated: NOW, index: [], resource: { resourceType: 'Patient', id: o.id }, ...o,
});
const create = (id: string, index: IndexEntry[] = []) => op({ op: 'create', id, index });
const update = (id: string, expectedVersion: number, index: IndexEntry[] = []) => op({ op: 'update', id, versionId: expectedVersion + 1, expectedVersion, index });
const remove = (id: string, expectedVersion: number) => op({ op: 'delete', id, versionId: expectedVersion + 1, expectedVersion, resource: undefined });

interface Case { name: string; stmts: Stmt[]; bindings: unknown[] }
const batch = (name: string, b: Batch): Case => ({ name, ...b });
const single = (name: string, sql: string, bindings: unknown[] = []): Case => ({ name, stmts: [sql], bindings });

const CASES: Case[] = [
  ...MIGRATIONS.flatMap((m, v) => m.map((sql, i) => single(`migration ${v + 1}, statement ${i + 1}`, sql))),
  ...Object.entries(MIGRATION_SQL).map(([k, stmts]) => ({ name: `migrate: ${k}`, stmts, bindings: k === 'record' ? [1] : [] })),
  single('read', S.READ_SQL, ['Patient', 'p1']),
  single('read for update', S.READ_FOR_UPDATE_SQL, ['Patient', 'p1']),
  single('readMany', S.READ_MANY_SQL, [JSON.stringify([['Patient', 'p1'], ['Observation', 'o1']])]),
  single('vread', S.VREAD_SQL, ['Patient', 'p1', 2]),
  single('ping', S.PING_SQL),
  batch('write: one create with every kind of index value, outside a transaction', S.writeBatch([create('p1', INDEX)], false)),
  batch('write: update inside a transaction', S.writeBatch([update('p1', 1, INDEX.slice(0, 1))], true)),
  batch('write: delete outside a transaction', S.writeBatch([remove('p1', 2)], false)),
  batch('write: create, update, delete out of key order (locks in key order, sequence in operation order)', S.writeBatch([create('c', INDEX.slice(0, 2)), update('b', 3), remove('a', 1)], true)),
  batch('hardDelete outside a transaction', S.hardDeleteBatch('Patient', 'p1', false)),
  batch('hardDelete inside a transaction', S.hardDeleteBatch('Patient', 'p1', true)),
  { name: 'history: system', ...toCase(S.historySql({ count: 10 })) },
  { name: 'history: type, _since, next page', ...toCase(S.historySql({ resourceType: 'Patient', since: '2024-01-01T00:00:00Z', count: 10, after: ['1234'] })) },
  { name: 'history: instance, _at', ...toCase(S.historySql({ resourceType: 'Patient', id: 'p1', at: '2024-01-01T00:00:00+02:00', count: 5 })) },
  batch('replaceIndex: two resources, all parameters', S.replaceIndexBatch([{ resourceType: 'Patient', id: 'p1', json: indexJson(INDEX) }, { resourceType: 'Patient', id: 'p2' }], undefined, false)),
  batch('replaceIndex: some parameters, inside a transaction', S.replaceIndexBatch([{ resourceType: 'Patient', id: 'p1', json: indexJson(INDEX.slice(0, 1)) }], ['family', 'given'], true)),
  batch('lock', S.lockBatch(lockName('create:Patient?identifier=x'))),
];

function toCase(sql: { text: string; bindings: unknown[] }) {
  return { stmts: [sql.text], bindings: sql.bindings };
}

describe('T-SQL statements', () => {
  test('every statement matches its snapshot (text and parameters as knex sends them)', () => {
    const entries: SnapshotEntry[] = CASES.map((c) => ({ name: c.name, ...native(render(c.stmts), c.bindings) }));
    matchSnapshot(fileURLToPath(new URL('./__snapshots__/statements.sql', import.meta.url)), entries);
  });

  for (const c of CASES) {
    test(`parses: ${c.name}`, () => {
      assert.equal(countPlaceholders(c.stmts), c.bindings.length, 'placeholders and bindings');
      checkBatch(c.stmts);
    });
  }

  test('the checker is not vacuous: it rejects broken T-SQL and broken structure', () => {
    assert.throws(() => checkStatement('select x.* from resource r where'));
    assert.throws(() => checkStatement('select top 5 from resource'));
    assert.throws(() => checkStatement('insert into search_index (rid) select r.rid from resource r cross apply openjson(?) with (code nvarchar(100) $.code) j'));
    assert.throws(() => checkStatement("update resource set deleted = 1 where resource_type = ? and id = ? limit 1"));
    assert.throws(() => checkStructure('if 1 = 1\nbegin\n  select 1;\nend;\nend;'));
    assert.throws(() => checkStructure('if 1 = 1 select 1; else select 2;'));
    assert.throws(() => checkStructure("select ('a';"));
  });
});

describe('write batches', () => {
  test('lock in (resource_type, id) order; sequence numbers follow the operations', () => {
    const ops = [create('c'), update('b', 3), remove('a', 1)];
    const text = render(S.writeBatch(ops, false).stmts);
    const at = (s: string) => text.indexOf(s);
    // Resource ids are bound in the order the statements run: a, b, c.
    const { bindings } = S.writeBatch(ops, false);
    const ids = bindings.filter((b) => b === 'a' || b === 'b' || b === 'c');
    assert.deepEqual([...new Set(ids)], ['a', 'b', 'c']);
    // ...while op 0 (c) takes the first sequence number, op 2 (a) the last.
    assert.ok(at('declare @s0') < at('declare @s1') && at('declare @s1') < at('declare @s2'));
    assert.match(text, /seq = @s2,\s*deleted = 1/);
    assert.match(text, /seq = @s1,\s*deleted = 0/);
    assert.match(text, /@s0, 0, \?/);
  });

  test('outside a transaction a batch commits or rolls back itself; inside one it uses a savepoint', () => {
    const out = render(S.writeBatch([create('a')], false).stmts);
    assert.match(out, /begin transaction;[\s\S]*commit transaction;[\s\S]*rollback transaction;/);
    const inside = render(S.writeBatch([create('a')], true).stmts);
    assert.match(inside, /save transaction hestia_write;[\s\S]*rollback transaction hestia_write;/);
    assert.doesNotMatch(inside, /begin transaction|commit transaction/);
  });

  test('each operation binds at most WRITE_OP_PARAMS values; chunks stay under the parameter budget', () => {
    for (const o of [create('a', INDEX), update('a', 1, INDEX), remove('a', 1)]) {
      assert.ok(S.writeBatch([o], false).bindings.length <= S.WRITE_OP_PARAMS);
    }
    const ops = Array.from({ length: 600 }, (_, i) => create(`p${i}`, INDEX));
    const parts = chunk(ops, () => S.WRITE_OP_PARAMS, MAX_PARAMS, 100);
    assert.deepEqual(parts.flat(), ops);
    for (const part of parts) {
      assert.ok(part.length <= 100);
      const b = S.writeBatch(part, true);
      assert.ok(native(render(b.stmts), b.bindings).bindings.length <= MAX_PARAMS);
    }
  });
});

describe('index rows', () => {
  test('one json parameter per resource; full-text entries are not stored', () => {
    const rows = JSON.parse(indexJson(INDEX)!) as Record<string, unknown>[];
    assert.equal(rows.length, INDEX.length - 1);
    assert.ok(!rows.some((r) => r.code === '_content'));
    assert.equal(indexJson([]), undefined);
    const open = rows.find((r) => r.code === 'death-date')!;
    assert.deepEqual([open.lo, open.hi], [-8.64e15, 8.64e15]);
  });

  test('values longer than their column are cut (text) or dropped (reference ids, which could name another resource)', () => {
    const long = 'x'.repeat(KEY_CHARS + 50);
    const [s, r] = JSON.parse(indexJson([
      { code: 'family', value: { type: 'string', value: long, exact: long } },
      { code: 'subject', value: { type: 'reference', targetType: 'Patient', targetId: 'y'.repeat(65), url: null } },
    ])!) as Record<string, unknown>[];
    assert.equal((s.str_norm as string).length, KEY_CHARS);
    assert.equal(r.ref_id, null);
    assert.equal(r.ref_type, 'Patient');
    // A surrogate pair is never split.
    assert.equal(cut(`ab\u{1F600}`, 3), 'ab');
    assert.equal(cut(`ab\u{1F600}`, 4), `ab\u{1F600}`);
  });
});
