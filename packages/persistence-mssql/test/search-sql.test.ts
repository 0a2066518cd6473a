// The T-SQL of the representative searches shared with the PostgreSQL adapter (every expression kind
// and predicate type, chains, _has, sorts, keyset paging both ways, totals), as knex sends it:
// snapshotted and syntax-checked. Plus the parameter limit: too many values are inlined safely.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import type { SearchQuery } from '@hestia/core';
import { FULL_TEXT_CASE, SEARCH_CASES, searchEntries } from '../../sql-common/test/queries.js';
import { matchSnapshot } from '../../sql-common/test/snapshot.js';
import { literal, MAX_PARAMS } from '../src/params.js';
import { searchSql } from '../src/statements.js';
import { checkStatement, closeChecker, native } from './tsql-check.js';

after(closeChecker);

const sql = (q: SearchQuery) => searchSql(q).select.text;
const caseQuery = (name: string) => SEARCH_CASES.find((c) => c.name === name)!.query;

describe('T-SQL search', () => {
  test('every search matches its snapshot (text and parameters as knex sends them)', () => {
    const entries = searchEntries(SEARCH_CASES, searchSql).map((e) => ({ name: e.name, ...native(e.sql, e.bindings) }));
    matchSnapshot(fileURLToPath(new URL('./__snapshots__/search.sql', import.meta.url)), entries);
  });

  for (const c of SEARCH_CASES) {
    test(`parses: ${c.name}`, () => {
      const { select, count } = searchSql(c.query);
      checkStatement(select.text);
      if (count) checkStatement(count.text);
    });
  }

  test('T-SQL forms: TOP, no boolean literals, NULLS LAST spelled with CASE, LIKE with an escape character', () => {
    assert.match(sql(caseQuery('type only')), /^select top \(21\) x\.\* from .* where r\.deleted = 0 .* order by x\.rid asc$/);
    assert.match(sql(caseQuery('_id empty')), /and 1 = 0\)/);
    assert.match(sql(caseQuery('empty and / empty or')), /\(1 = 1 and not 1 = 0\)/);
    assert.match(sql(caseQuery('sort by date descending')), /order by case when x\.k0 is null then 1 else 0 end, x\.k0 desc, x\.rid asc$/);
    assert.match(sql(caseQuery('keyset before (previous page)')), /order by case when x\.k0 is null then 0 else 1 end, x\.k0 desc, case when x\.k1 is null then 0 else 1 end, x\.k1 asc, x\.rid desc$/);
    assert.doesNotMatch(SEARCH_CASES.map((c) => sql(c.query)).join('\n'), /\bnulls (first|last)\b|\blimit\b|\btrue\b|\bfalse\b|\|\||->>|::/);
    const starts = searchSql(caseQuery('string starts with (wildcards escaped)')).select;
    assert.match(starts.text, /like \? escape '\\'/);
    assert.ok(starts.bindings.includes('o\\%\\_\\\\\\[x%'), 'all four of % _ \\ [ escaped');
    assert.match(sql(caseQuery('uri above')), /\? like \(replace\(replace\(replace\(replace\(i1\.uri, '\\', '\\\\'\), '%', '\\%'\), '_', '\\_'\), '\[', '\\\['\) \+ '%'\) escape '\\'/);
    assert.match(sql(caseQuery('sort by reference, token, number, quantity and uri')), /\(select min\(o1\.ref_type \+ '\/' \+ o1\.ref_id\) from search_index o1 .*\(select max\(o2\.tok_code\) from/);
  });

  test('composite components are read with OPENJSON and compared by code point', () => {
    const text = sql(caseQuery('composite token + quantity'));
    assert.match(text, /openjson\(i1\.comp, '\$\[0\]'\) v2 where \(json_value\(v2\.value, '\$\.code'\) collate Latin1_General_100_BIN2\) = \?/);
    assert.match(text, /openjson\(i1\.comp, '\$\[1\]'\) v3 where \(cast\(json_value\(v3\.value, '\$\.value'\) as float\) > \?\)/);
  });

  test('_lastUpdated bounds are datetimeoffset, clamped to its range (0001 to 9999)', () => {
    const ge = searchSql(caseQuery('_lastUpdated ge with an open end')).select;
    assert.match(ge.text, /r\.last_updated >= convert\(datetimeoffset\(3\), \?, 127\) and r\.last_updated < convert\(datetimeoffset\(3\), \?, 127\)/);
    assert.deepEqual(ge.bindings.slice(1), ['2020-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z']);
    assert.deepEqual(searchSql(caseQuery('_lastUpdated before the first representable date')).select.bindings.slice(1), ['0001-01-01T00:00:00.000Z']);
  });

  test('full text is not translated (the adapter declares no full-text support)', () => {
    assert.throws(() => searchSql(FULL_TEXT_CASE.query), /not supported by the SQL Server adapter/);
  });

  test('more values than SQL Server takes per request are inlined as literals, quotes doubled and ? kept', () => {
    const ids = Array.from({ length: MAX_PARAMS + 500 }, (_, i) => `id${i}`);
    ids[7] = "o'brien?";
    const q: SearchQuery = { types: ['Patient'], where: { kind: 'id', ids }, sort: [], count: 10, total: 'accurate', include: [], revinclude: [] };
    const { select, count } = searchSql(q);
    assert.deepEqual(select.bindings, []);
    assert.deepEqual(count!.bindings, []);
    const sent = native(select.text);
    assert.equal(sent.bindings.length, 0);
    assert.match(sent.sql, /r\.resource_type in \(N'Patient'\) and r\.id in \(N'id0', N'id1', .*N'o''brien\?', /);
    checkStatement(select.text);
    // At the limit nothing changes.
    const fits = searchSql({ ...q, where: { kind: 'id', ids: ids.slice(0, MAX_PARAMS - 1) } }).select;
    assert.equal(fits.bindings.length, MAX_PARAMS);
  });

  test('literals: numbers, booleans, null, timestamps', () => {
    assert.equal(literal(1.5e21), '1.5e+21');
    assert.equal(literal(-8.64e15), '-8640000000000000');
    assert.equal(literal(true), '1');
    assert.equal(literal(null), 'null');
    assert.equal(literal(new Date(0)), "N'1970-01-01T00:00:00.000Z'");
    assert.throws(() => literal(Infinity));
  });
});
