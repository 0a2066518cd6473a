// Index entries flattened into the columns of the search_index table that the SQL adapters share.
import type { IndexEntry } from '@hestia/core';
import { clampMs } from './ranges.js';

export type IndexRow = Record<string, unknown>;

/** One row per entry: only the columns of the entry's value type are set. */
export function indexRows(entries: IndexEntry[]): IndexRow[] {
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
