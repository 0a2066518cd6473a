// The PostgreSQL search SQL for a representative set of expression trees (shared with the SQL Server
// adapter's tests), against a snapshot: the shared walker must keep PostgreSQL's SQL byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { buildSearch } from '../src/search-sql.js';
import { FULL_TEXT_CASE, SEARCH_CASES, searchEntries } from '../../sql-common/test/queries.js';
import { matchSnapshot } from '../../sql-common/test/snapshot.js';

const entries = searchEntries([...SEARCH_CASES, FULL_TEXT_CASE], buildSearch);

test('PostgreSQL search SQL matches its snapshot', () => {
  matchSnapshot(fileURLToPath(new URL('./__snapshots__/search-sql.sql', import.meta.url)), entries);
});

test('every placeholder has exactly one binding (knex refuses the statement otherwise)', () => {
  for (const e of entries) assert.equal((e.sql.match(/\?/g) ?? []).length, e.bindings.length, e.name);
});
