// The job store's statements on SQL Server, without a server: SqlJobStore (sql-common) builds them
// with knex's query builder for every dialect; here they are rendered by knex's mssql client exactly
// as it sends them, compared with the expected T-SQL, and syntax-checked (see tsql-check.ts). The
// live conformance suite (HESTIA_TEST_MSSQL) runs them for real.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import knexFactory, { type Knex } from 'knex';
import { JOB_TABLE, JobStatements, jobUpdateSet, newJobRow } from '../../sql-common/src/jobs.js';
import { MIGRATIONS } from '../src/schema.js';
import { checkStatement, closeChecker } from './tsql-check.js';

/** knex's mssql client, never connected: toSQL() only renders. */
const knex = knexFactory({ client: 'mssql' });
after(async () => {
  await knex.destroy();
  await closeChecker();
});

const S = new JobStatements(knex);
const NOW = '2024-03-01T10:00:00.000Z';
const STALE = '2024-03-01T09:59:00.000Z';

interface Expected { sql: string; bindings: unknown[] }

/**
 * Two more forms of valid T-SQL that node-sql-parser 5.4.0 rejects (besides tsql-check's PARSER_GAPS),
 * both from knex: TOP with a parameter (`first()` binds its 1), parsed with the bound integer in its
 * place; and an OUTPUT clause (`returning`) of `inserted.[col]` in an UPDATE or `deleted.[col]` in a
 * DELETE, right before WHERE, removed for parsing. Anything else still goes to the parser as is.
 */
function parserGaps(sql: string, bindings: readonly unknown[]): string {
  return sql
    .replace(/^select top \(@p(\d+)\) /, (_match, i: string) => {
      const n = bindings[Number(i)];
      assert.ok(Number.isInteger(n) && (n as number) > 0, `TOP takes a positive integer, not ${String(n)}`);
      return `select top (${n as number}) `;
    })
    .replace(/^(update \[\w+\] set .+?) output inserted\.\[\w+\](?= where )/, '$1')
    .replace(/^(delete from \[\w+\]) output deleted\.\[\w+\](?= where )/, '$1');
}

/** The statement as knex's mssql client sends it; checks its text, bindings, and that it parses as T-SQL. */
function expectSql(builder: Knex.QueryBuilder, expected: Expected): Knex.Sql {
  const sql = builder.toSQL();
  const n = sql.toNative();
  assert.equal(n.sql, expected.sql);
  assert.deepEqual([...n.bindings], expected.bindings);
  checkStatement(parserGaps(n.sql, n.bindings));
  return sql;
}

describe('job store T-SQL', () => {
  test('create: one insert of every column, the job queued at version 1', () => {
    expectSql(S.insert(newJobRow({ id: 'j1', kind: 'export', owner: 'alice', data: { types: ['Patient'] } }, NOW)), {
      sql: 'insert into [hestia_job] ([created_at], [data], [heartbeat_at], [id], [kind], [owner], [status], [updated_at], [version], [worker]) values (@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8, @p9)',
      bindings: [NOW, '{"types":["Patient"]}', null, 'j1', 'export', 'alice', 'queued', NOW, 1, null],
    });
  });

  test('read by id: first() is TOP (1), bound as a parameter', () => {
    expectSql(S.select('j1'), { sql: 'select top (@p0) * from [hestia_job] where [id] = @p1', bindings: [1, 'j1'] });
  });

  test('the parser-gap rewrites are narrow: other broken forms still fail', () => {
    assert.throws(() => checkStatement(parserGaps('select top (@p0) * from [hestia_job] where', [1])));
    assert.throws(() => parserGaps('select top (@p0) * from [hestia_job]', ['1; drop table x']));
    assert.throws(() => checkStatement(parserGaps('update [hestia_job] set [a] = @p0 output inserted.[id] where [id] =', [])));
    assert.throws(() => checkStatement(parserGaps('delete from [hestia_job] output deleted.[id] where [id] = @p0 limit 1', [])));
    // Only the forms knex writes are rewritten.
    assert.throws(() => checkStatement(parserGaps('delete from [hestia_job] output inserted.[id], x where [id] = @p0', [])));
  });

  test('compare-and-set update: only at the expected version; OUTPUT returns the changed row, so no row means it lost', () => {
    const claim = expectSql(S.update('j1', 1, jobUpdateSet(1, { status: 'running', heartbeat: true }, NOW, 'w1')), {
      sql: 'update [hestia_job] set [updated_at] = @p0, [version] = @p1, [status] = @p2, [heartbeat_at] = @p3, [worker] = @p4 output inserted.[id] where [id] = @p5 and [version] = @p6',
      bindings: [NOW, 2, 'running', NOW, 'w1', 'j1', 1],
    });
    // knex answers rows (not a count) only for a statement with `returning`: SqlJobStore counts them.
    assert.deepEqual((claim as Knex.Sql & { returning?: unknown }).returning, ['id']);
    // Leaving 'running' clears the heartbeat and keeps the worker.
    expectSql(S.update('j1', 2, jobUpdateSet(2, { status: 'completed', data: { output: [] } }, NOW)), {
      sql: 'update [hestia_job] set [updated_at] = @p0, [version] = @p1, [status] = @p2, [data] = @p3, [heartbeat_at] = @p4 output inserted.[id] where [id] = @p5 and [version] = @p6',
      bindings: [NOW, 3, 'completed', '{"output":[]}', null, 'j1', 2],
    });
    expectSql(S.update('j1', 3, jobUpdateSet(3, { heartbeat: true }, NOW)), {
      sql: 'update [hestia_job] set [updated_at] = @p0, [version] = @p1, [heartbeat_at] = @p2 output inserted.[id] where [id] = @p3 and [version] = @p4',
      bindings: [NOW, 4, NOW, 'j1', 3],
    });
  });

  test('claim candidate: the oldest queued or stale running job of the kind, oldest first with id breaking ties', () => {
    expectSql(S.claimCandidate('export', STALE), {
      sql: 'select top (@p0) * from [hestia_job] where [kind] = @p1 and ([status] = @p2 or ([status] = @p3 and [heartbeat_at] < @p4)) order by [created_at] asc, [id] asc',
      bindings: [1, 'export', 'queued', 'running', STALE],
    });
  });

  test('list: by kind and status, oldest first', () => {
    expectSql(S.list('export', 'completed'), {
      sql: 'select * from [hestia_job] where [kind] = @p0 and [status] = @p1 order by [created_at] asc, [id] asc',
      bindings: ['export', 'completed'],
    });
  });

  test('delete: OUTPUT tells whether a row was there', () => {
    const del = expectSql(S.delete('j1'), { sql: 'delete from [hestia_job] output deleted.[id] where [id] = @p0', bindings: ['j1'] });
    assert.deepEqual((del as Knex.Sql & { returning?: unknown }).returning, ['id']);
  });

  test('the hestia_job migration parses, and has exactly the columns the store writes', () => {
    const stmts = MIGRATIONS.flat().filter((s) => new RegExp(`\\b${JOB_TABLE}\\b`).test(s));
    assert.equal(stmts.length, 2, 'create table and its index');
    for (const s of stmts) checkStatement(s);
    const create = stmts.find((s) => /^\s*create table/i.test(s))!;
    const columns = [...create.matchAll(/^\s+(\w+) /gm)].map((m) => m[1]).sort();
    assert.deepEqual(columns, Object.keys(newJobRow({ id: 'j', kind: 'k', owner: 'o', data: {} }, NOW)).sort());
    for (const c of Object.keys(jobUpdateSet(1, { status: 'running', data: {}, heartbeat: true }, NOW, 'w'))) assert.ok(columns.includes(c), c);
  });
});
