// The T-SQL dialect of the shared search translation (@hestia/sql-common). SQL Server has no
// boolean values, no NULLS LAST, no LIMIT and no default LIKE escape character; json travels as
// nvarchar and is read with OPENJSON / JSON_VALUE (SQL Server 2016+, compatibility level 130+).
import type { SqlDialect } from '@hestia/sql-common';

/** Every text column compares and sorts by code point, case- and accent-sensitively, like PostgreSQL's `=`. */
export const COLLATION = 'Latin1_General_100_BIN2';

/** The range of datetimeoffset: 0001-01-01 to 9999-12-31. */
const MIN_TIMESTAMP = Date.parse('0001-01-01T00:00:00.000Z');
const MAX_TIMESTAMP = Date.parse('9999-12-31T23:59:59.999Z');

/** An ISO timestamp as datetimeoffset(3) (style 127 reads both `Z` and `±hh:mm`). */
export const toTimestamp = (placeholder: string) => `convert(datetimeoffset(3), ${placeholder}, 127)`;

export const tsqlDialect: SqlDialect = {
  alwaysTrue: '1 = 1',
  alwaysFalse: '1 = 0',
  notDeleted: (a) => `${a}.deleted = 0`,
  timestamp: (ms, bind) => toTimestamp(bind(new Date(Math.min(MAX_TIMESTAMP, Math.max(MIN_TIMESTAMP, ms))).toISOString())),
  // `[` opens a character class in T-SQL patterns, so it is escaped too.
  escapeLike: (s) => s.replace(/[\\%_[]/g, (c) => `\\${c}`),
  like: (value, pattern) => `${value} like ${pattern} escape '\\'`,
  escapeLikeSql: (e) => `replace(replace(replace(replace(${e}, '\\', '\\\\'), '%', '\\%'), '_', '\\_'), '[', '\\[')`,
  concat: (parts) => parts.join(' + '),
  jsonElements: (json, index, alias) => `openjson(${json}, '$[${index}]') ${alias}`,
  // json text has the database's default collation: compare it as the columns compare.
  jsonField: (alias, name, numeric) => (numeric
    ? `cast(json_value(${alias}.value, '$.${name}') as float)`
    : `(json_value(${alias}.value, '$.${name}') collate ${COLLATION})`),
  fullText: () => {
    throw new Error('Full-text search (_text, _content) is not supported by the SQL Server adapter.');
  },
  orderTerm: (sql, desc, nullsFirst, nullable) => {
    const term = `${sql} ${desc ? 'desc' : 'asc'}`;
    return nullable ? `case when ${sql} is null then ${nullsFirst ? 0 : 1} else ${nullsFirst ? 1 : 0} end, ${term}` : term;
  },
  selectLimited: (columns, rest, limit) => `select top (${limit}) ${columns} ${rest}`,
};
