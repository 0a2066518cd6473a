// search_index rows of a resource as the raw baselines write them: flattened by the SQL adapters'
// own indexRows (so both sides write the same rows), then one INSERT of them all.
export { indexRows } from '@hestia/sql-common';

const FIELDS: [string, string][] = [
  ['code', 'text'], ['str_norm', 'text'], ['str_exact', 'text'], ['tok_system', 'text'], ['tok_code', 'text'], ['tok_text', 'text'],
  ['lo', 'numeric'], ['hi', 'numeric'], ['q_system', 'text'], ['q_code', 'text'], ['ref_type', 'text'], ['ref_id', 'text'], ['ref_url', 'text'],
  ['uri', 'text'], ['comp', 'jsonb'], ['fts', 'text'],
];

/** One INSERT for all index rows of a resource: $1 rid, $2 resource type, $3 the rows as a jsonb array. */
export const INSERT_INDEX_SQL = `insert into search_index (rid, resource_type, ${FIELDS.map(([n]) => n).join(', ')})
  select $1, $2, ${FIELDS.map(([n]) => (n === 'fts' ? `to_tsvector('simple', x.fts)` : `x.${n}`)).join(', ')}
  from jsonb_to_recordset($3::jsonb) as x(${FIELDS.map(([n, t]) => `${n} ${t}`).join(', ')})`;
