// SQL Server takes at most 2100 parameters per request. Writes are split into batches under a
// budget; a search with more values than that (e.g. a large :in expansion) gets them inlined as
// literals instead.
import type { Sql } from '@hestia/sql-common';

/** Parameters one request may use here (SQL Server's limit is 2100; the rest is headroom). */
export const MAX_PARAMS = 2000;

/** Splits `items` into runs whose summed `cost` stays within `budget` and whose length within `maxItems`. */
export function chunk<T>(items: T[], cost: (item: T) => number, budget = MAX_PARAMS, maxItems = Infinity): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  let used = 0;
  for (const item of items) {
    const c = cost(item);
    if (cur.length && (used + c > budget || cur.length >= maxItems)) {
      out.push(cur);
      cur = [];
      used = 0;
    }
    cur.push(item);
    used += c;
  }
  if (cur.length) out.push(cur);
  return out;
}

/**
 * A T-SQL literal for a bound value. Strings become N'…' with quotes doubled (the only escape T-SQL
 * string literals have); `?` is written `\?`, which knex turns back into `?` instead of a placeholder.
 */
export function literal(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`Cannot write ${v} as a T-SQL literal.`);
    return String(v);
  }
  if (typeof v === 'bigint') return v.toString();
  const s = v instanceof Date ? v.toISOString() : typeof v === 'string' ? v : JSON.stringify(v);
  return `N'${s.replace(/'/g, "''").replace(/\?/g, '\\?')}'`;
}

/** The statement as is when its parameters fit in one request; otherwise with every value inlined. */
export function fitParameters(sql: Sql): Sql {
  if (sql.bindings.length <= MAX_PARAMS) return sql;
  let i = 0;
  const text = sql.text.replace(/\?/g, () => literal(sql.bindings[i++]));
  return { text, bindings: [] };
}
