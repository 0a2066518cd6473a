// Index entries as one json document per resource, read on the server with OPENJSON: however many
// entries a resource has, its index rows travel as one parameter (SQL Server allows 2100 per request).
import type { IndexEntry } from '@hestia/core';
import { indexRows, type IndexRow } from '@hestia/sql-common';
import { INDEX_COLUMNS } from './schema.js';

const LIMITED = INDEX_COLUMNS.filter((c) => c.chars !== undefined);

/** Cuts a string to at most `n` UTF-16 units (nvarchar's unit) without splitting a surrogate pair. */
export function cut(s: string, n: number): string {
  if (s.length <= n) return s;
  const code = s.charCodeAt(n - 1);
  return s.slice(0, code >= 0xd800 && code <= 0xdbff ? n - 1 : n);
}

/** Fits a row's text values to their column lengths (see INDEX_COLUMNS). */
function fit(row: IndexRow): IndexRow {
  for (const c of LIMITED) {
    const v = row[c.name];
    if (typeof v === 'string' && v.length > c.chars!) row[c.name] = c.overflow === 'null' ? null : cut(v, c.chars!);
  }
  return row;
}

/** The json array of index rows, or undefined when there are none. Full-text entries are not stored (no full-text support). */
export function indexJson(entries: IndexEntry[]): string | undefined {
  const rows = indexRows(entries.filter((e) => e.value.type !== 'text')).map(fit);
  return rows.length ? JSON.stringify(rows) : undefined;
}
