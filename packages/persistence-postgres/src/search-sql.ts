// The PostgreSQL dialect of the shared search translation (@hestia/sql-common walks the expression
// tree; this file says how PostgreSQL spells the parts that differ). Placeholders are knex's `?`.
import type { SearchQuery } from '@hestia/core';
import { buildSearch as buildSqlSearch, type Sql, type SqlDialect } from '@hestia/sql-common';

export { SqlBuilder, keyset, MIN_MS, MAX_MS, clampMs, type Sql } from '@hestia/sql-common';

export const postgresDialect: SqlDialect = {
  alwaysTrue: 'true',
  alwaysFalse: 'false',
  notDeleted: (a) => `not ${a}.deleted`,
  timestamp: (ms, bind) => `cast(${bind(new Date(ms).toISOString())} as timestamptz)`,
  escapeLike: (s) => s.replace(/[\\%_]/g, (c) => `\\${c}`),
  like: (value, pattern) => `${value} like ${pattern}`,
  escapeLikeSql: (e) => `replace(replace(${e}, '%', '\\%'), '_', '\\_')`,
  concat: (parts) => parts.join(' || '),
  jsonElements: (json, index, alias) => `jsonb_array_elements(${json}->${index}) ${alias}`,
  jsonField: (alias, name, numeric) => (numeric ? `cast(${alias}->>'${name}' as numeric)` : `(${alias}->>'${name}')`),
  fullText: (column, query) => `${column} @@ plainto_tsquery('simple', ${query})`,
  // Without a null to place, the default (nulls last ascending, first descending) is kept: it is the
  // order of a btree index read forwards or backwards.
  orderTerm: (sql, desc, nullsFirst, nullable) => `${sql} ${desc ? 'desc' : 'asc'}${nullable ? ` nulls ${nullsFirst ? 'first' : 'last'}` : ''}`,
  selectLimited: (columns, rest, limit) => `select ${columns} ${rest} limit ${limit}`,
  // Schema migration 5.
  rangeIndexes: true,
  // (offset 0 keeps the planner from pulling the subquery up into a join)
  perRow: (select, alias) => `cross join lateral (${select} offset 0) ${alias}`,
};

export function buildSearch(q: SearchQuery): { select: Sql; probe?: Sql; count?: Sql } {
  return buildSqlSearch(q, postgresDialect);
}
