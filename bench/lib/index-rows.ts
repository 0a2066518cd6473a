// search_index rows of a resource, flattened exactly as packages/persistence-postgres/src/store.ts
// does (indexRows, INDEX_FIELDS), so the raw baselines write the same rows as the server.
import type { IndexEntry } from '@hestia/core';

// Open date range ends, as in search-sql.ts (MIN_MS / MAX_MS).
const MIN_MS = -8.64e15;
const MAX_MS = 8.64e15;
const clampMs = (v: number) => (v === -Infinity ? MIN_MS : v === Infinity ? MAX_MS : v);

export function indexRows(entries: IndexEntry[]): Record<string, unknown>[] {
  return entries.map(({ code, value: v }) => {
    switch (v.type) {
      case 'string': return { code, str_norm: v.value, str_exact: v.exact };
      case 'token': return { code, tok_system: v.system, tok_code: v.code ?? '', tok_text: v.text };
      case 'date': return { code, lo: clampMs(v.low), hi: clampMs(v.high) };
      case 'number': return { code, lo: v.value, hi: v.value };
      case 'quantity': return { code, lo: v.value, hi: v.value, q_system: v.system, q_code: v.code };
      case 'reference': return { code, ref_type: v.targetType, ref_id: v.targetId, ref_url: v.url };
      case 'uri': return { code, uri: v.value };
      case 'composite': return { code, comp: v.components };
      case 'text': return { code, fts: v.value };
    }
  });
}

const FIELDS: [string, string][] = [
  ['code', 'text'], ['str_norm', 'text'], ['str_exact', 'text'], ['tok_system', 'text'], ['tok_code', 'text'], ['tok_text', 'text'],
  ['lo', 'numeric'], ['hi', 'numeric'], ['q_system', 'text'], ['q_code', 'text'], ['ref_type', 'text'], ['ref_id', 'text'], ['ref_url', 'text'],
  ['uri', 'text'], ['comp', 'jsonb'], ['fts', 'text'],
];

/** One INSERT for all index rows of a resource: $1 rid, $2 resource type, $3 the rows as a jsonb array. */
export const INSERT_INDEX_SQL = `insert into search_index (rid, resource_type, ${FIELDS.map(([n]) => n).join(', ')})
  select $1, $2, ${FIELDS.map(([n]) => (n === 'fts' ? `to_tsvector('simple', x.fts)` : `x.${n}`)).join(', ')}
  from jsonb_to_recordset($3::jsonb) as x(${FIELDS.map(([n, t]) => `${n} ${t}`).join(', ')})`;
