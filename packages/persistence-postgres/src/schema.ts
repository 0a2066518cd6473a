// Versioned schema migrations, applied at startup inside one transaction under an advisory lock,
// so running them twice (or from two processes at once) is safe.
import type { Knex } from 'knex';

/** Each entry upgrades the schema by one version; never edit a released entry, append a new one. */
export const MIGRATIONS: string[][] = [
  [
    // Content is json, not jsonb: kept as written (element order, resourceType first) and cheaper to
    // write; searches use search_index, never the content.
    `create table resource (
      rid bigserial primary key,
      resource_type text not null,
      id text not null,
      version_id integer not null,
      last_updated timestamptz not null,
      seq bigint not null,
      deleted boolean not null default false,
      content json,
      unique (resource_type, id)
    )`,
    `create index resource_type_updated on resource (resource_type, last_updated)`,
    `create sequence hestia_write_seq`,
    // Every version, the current one included: vread and history read only this table.
    `create table resource_history (
      resource_type text not null,
      id text not null,
      version_id integer not null,
      rid bigint not null,
      last_updated timestamptz not null,
      seq bigint not null,
      deleted boolean not null,
      content json,
      primary key (resource_type, id, version_id)
    )`,
    `create index resource_history_seq on resource_history (seq)`,
    `create index resource_history_type_seq on resource_history (resource_type, seq)`,
    // One row per search index value; the columns used depend on the parameter's type, and
    // partial indexes keep each row in the indexes of its own type only.
    `create table search_index (
      rid bigint not null,
      resource_type text not null,
      code text not null,
      str_norm text, str_exact text,
      tok_system text, tok_code text, tok_text text,
      lo numeric, hi numeric,
      q_system text, q_code text,
      ref_type text, ref_id text, ref_url text,
      uri text,
      comp jsonb
    )`,
    `create index search_index_rid on search_index (rid, code)`,
    `create index search_index_string on search_index (resource_type, code, str_norm text_pattern_ops) where str_norm is not null`,
    `create index search_index_exact on search_index (resource_type, code, str_exact) where str_exact is not null`,
    `create index search_index_token on search_index (resource_type, code, tok_code, tok_system) where tok_code is not null`,
    `create index search_index_range on search_index (resource_type, code, lo, hi) where lo is not null`,
    `create index search_index_reference on search_index (resource_type, code, ref_id, ref_type) where ref_id is not null`,
    `create index search_index_reverse on search_index (ref_id, ref_type) where ref_id is not null`,
    `create index search_index_ref_url on search_index (resource_type, code, ref_url) where ref_url is not null`,
    `create index search_index_uri on search_index (resource_type, code, uri) where uri is not null`,
  ],
  [
    // Full-text search (_text, _content): a tsvector per text entry, GIN-indexed.
    `alter table search_index add column fts tsvector`,
    `create index search_index_fts on search_index using gin (fts) where fts is not null`,
  ],
  [
    // Token and reference lookups end with rid: a search on one code or one reference reads its
    // matches in rid order (the results' order), so a page can stop early and the semi-join is an
    // index-only scan. Each replaces the index it extends (same leading columns), so writes keep
    // the same number of index entries.
    `create index search_index_token_rid on search_index (resource_type, code, tok_code, tok_system, rid) where tok_code is not null`,
    `drop index search_index_token`,
    `create index search_index_reference_rid on search_index (resource_type, code, ref_id, ref_type, rid) where ref_id is not null`,
    `drop index search_index_reference`,
    // A token's parameter, system and code are strongly correlated (a LOINC code only ever appears
    // under 'code' with the LOINC system); without these statistics the planner multiplies their
    // selectivities and expects ~100 matches where there are 10,000, and picks plans accordingly.
    `create statistics search_index_token_stats (mcv, dependencies) on resource_type, code, tok_code, tok_system from search_index`,
  ],
  [
    // Long-running jobs ($export): JSON state, ISO-string times (sql-common's SqlJobStore).
    `create table hestia_job (
      id text primary key,
      kind text not null,
      status text not null,
      owner text not null,
      created_at text not null,
      updated_at text not null,
      heartbeat_at text,
      worker text,
      data text not null,
      version integer not null
    )`,
    `create index hestia_job_kind_status on hestia_job (kind, status, created_at)`,
  ],
  [
    // Range rows (dates, numbers, quantities) for the walker's range plans (search.ts, rangeIndexes).
    // By low end, ending with rid like the token and reference indexes: index-only semi-joins.
    // It replaces search_index_range (same leading columns).
    `create index search_index_range_rid on search_index (resource_type, code, lo, hi, rid) where lo is not null`,
    `drop index search_index_range`,
    // By high end: _sort=-date reads the highest values first and stops after a page.
    `create index search_index_range_high on search_index (resource_type, code, hi, rid) where lo is not null`,
    // The widest stored range of a parameter, max(hi - lo), in one index probe: it bounds the low
    // end of the ranges a test on the high end (ge, gt, ge…&lt… merged) can match.
    `create index search_index_range_span on search_index (resource_type, code, (hi - lo)) where lo is not null`,
    // No parallel scans of the index rows: searches read them in order and stop after a page, and
    // the planner, misjudging how many rows one parameter's range holds, would start workers for
    // such reads (and for parts of a statement that a false condition skips), which costs more than
    // it saves on a server answering many searches at once.
    `alter table search_index set (parallel_workers = 0)`,
  ],
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export async function migrate(knex: Knex): Promise<number> {
  return knex.transaction(async (trx) => {
    await trx.raw('select pg_advisory_xact_lock(727274)');
    await trx.raw('create table if not exists hestia_schema (version integer primary key, applied_at timestamptz not null default now())');
    const row = await trx('hestia_schema').max({ v: 'version' }).first();
    const current = Number(row?.v ?? 0);
    if (current > SCHEMA_VERSION) throw new Error(`The database schema (version ${current}) is newer than this Hestia (version ${SCHEMA_VERSION}).`);
    for (let v = current; v < SCHEMA_VERSION; v++) {
      for (const sql of MIGRATIONS[v]) await trx.raw(sql);
      await trx('hestia_schema').insert({ version: v + 1 });
    }
    return SCHEMA_VERSION;
  });
}
