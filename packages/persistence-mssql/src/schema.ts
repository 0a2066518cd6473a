// The T-SQL schema and its versioned migrations, applied at startup inside one transaction under an
// application lock, so running them twice (or from two processes at once) is safe.
import type { Knex } from 'knex';
import { render, type Stmt } from './batch.js';
import { COLLATION } from './dialect.js';

/** A text column: nvarchar(chars), compared by code point. */
const text = (chars: number | 'max') => `nvarchar(${chars}) collate ${COLLATION}`;

/** Longest text kept in an index key column (SQL Server keys hold at most 1700 bytes; code + value stay below). */
export const KEY_CHARS = 700;
/** Resource types and ids (FHIR ids have at most 64 characters). */
export const NAME_CHARS = 64;

/**
 * A search_index column. `chars` is the nvarchar length; longer values are cut to it ('truncate'),
 * or dropped ('null') where a cut value could name another resource.
 */
export interface IndexColumn { name: string; sqlType: string; chars?: number; overflow?: 'truncate' | 'null'; json?: boolean }

const textCol = (name: string, chars: number, overflow: 'truncate' | 'null' = 'truncate'): IndexColumn => ({ name, sqlType: text(chars), chars, overflow });

/** The value columns of search_index, in the order of the table (rid and resource_type come first). */
export const INDEX_COLUMNS: IndexColumn[] = [
  textCol('code', 100),
  textCol('str_norm', KEY_CHARS), textCol('str_exact', KEY_CHARS),
  textCol('tok_system', KEY_CHARS), textCol('tok_code', KEY_CHARS), textCol('tok_text', 1000),
  { name: 'lo', sqlType: 'float' }, { name: 'hi', sqlType: 'float' },
  textCol('q_system', KEY_CHARS), textCol('q_code', KEY_CHARS),
  textCol('ref_type', NAME_CHARS, 'null'), textCol('ref_id', NAME_CHARS, 'null'), textCol('ref_url', KEY_CHARS),
  textCol('uri', KEY_CHARS),
  { name: 'comp', sqlType: 'nvarchar(max)', json: true },
];

const indexColumnDdl = INDEX_COLUMNS.map((c) => `${c.name} ${c.sqlType} ${c.name === 'code' ? 'not null' : 'null'}`).join(',\n      ');

/** Each entry upgrades the schema by one version; never edit a released entry, append a new one. */
export const MIGRATIONS: string[][] = [
  [
    // Content is the resource's json as written (nvarchar, element order kept); searches use
    // search_index, never the content. rid (an identity) clusters the table: inserts append.
    `create table resource (
      rid bigint identity(1, 1) not null,
      resource_type ${text(NAME_CHARS)} not null,
      id ${text(NAME_CHARS)} not null,
      version_id int not null,
      last_updated datetimeoffset(3) not null,
      seq bigint not null,
      deleted bit not null constraint resource_deleted_default default 0,
      content nvarchar(max) null,
      constraint resource_pk primary key clustered (rid)
    )`,
    `create unique index resource_type_id on resource (resource_type, id) include (deleted)`,
    `create index resource_type_rid on resource (resource_type, rid) include (deleted)`,
    `create index resource_type_updated on resource (resource_type, last_updated)`,
    `create sequence hestia_write_seq as bigint start with 1 increment by 1`,
    // Every version, the current one included: vread and history read only this table, which is
    // clustered by write sequence (history pages newest first; inserts append).
    `create table resource_history (
      resource_type ${text(NAME_CHARS)} not null,
      id ${text(NAME_CHARS)} not null,
      version_id int not null,
      rid bigint not null,
      last_updated datetimeoffset(3) not null,
      seq bigint not null,
      deleted bit not null,
      content nvarchar(max) null,
      constraint resource_history_pk primary key nonclustered (resource_type, id, version_id)
    )`,
    `create unique clustered index resource_history_seq on resource_history (seq)`,
    `create index resource_history_type_seq on resource_history (resource_type, seq)`,
    // One row per search index value; the columns used depend on the parameter's type. Searches
    // test it per resource (rid, code: the clustered key) or seek by code and value; filtered
    // indexes keep each row in the indexes of its own type only.
    `create table search_index (
      rid bigint not null,
      resource_type ${text(NAME_CHARS)} not null,
      ${indexColumnDdl}
    )`,
    `create clustered index search_index_rid on search_index (rid, code)`,
    `create index search_index_string on search_index (code, str_norm) where str_norm is not null`,
    `create index search_index_exact on search_index (code, str_exact) where str_exact is not null`,
    `create index search_index_token on search_index (code, tok_code) include (tok_system) where tok_code is not null`,
    `create index search_index_range on search_index (code, lo, hi) where lo is not null`,
    `create index search_index_reference on search_index (code, ref_id, ref_type) include (resource_type) where ref_id is not null`,
    `create index search_index_reverse on search_index (ref_id, ref_type) include (resource_type, code) where ref_id is not null`,
    `create index search_index_ref_url on search_index (code, ref_url) where ref_url is not null`,
    `create index search_index_uri on search_index (code, uri) where uri is not null`,
  ],
  [
    // Long-running jobs ($export): JSON state, ISO-string times (sql-common's SqlJobStore).
    `create table hestia_job (
      id ${text(NAME_CHARS)} not null constraint hestia_job_pk primary key,
      kind ${text(NAME_CHARS)} not null,
      status ${text(16)} not null,
      owner ${text(400)} not null,
      created_at ${text(32)} not null,
      updated_at ${text(32)} not null,
      heartbeat_at ${text(32)} null,
      worker ${text(200)} null,
      data nvarchar(max) not null,
      version int not null
    )`,
    `create index hestia_job_kind_status on hestia_job (kind, status, created_at)`,
  ],
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** OPENJSON (index rows, composite search) needs compatibility level 130 (SQL Server 2016) or later. */
export const MIN_COMPATIBILITY_LEVEL = 130;

/** The statements of migrate(), besides MIGRATIONS. */
export const MIGRATION_SQL: Record<'lock' | 'compatibility' | 'versionTable' | 'current' | 'record', Stmt[]> = {
  /** Serializes migrations across processes; held until the transaction ends. */
  lock: [
    'declare @status int',
    `exec @status = sp_getapplock @Resource = N'hestia:migrate', @LockMode = N'Exclusive', @LockOwner = N'Transaction', @LockTimeout = 60000`,
    'select @status as status',
  ],
  compatibility: ['select compatibility_level as level from sys.databases where name = db_name()'],
  versionTable: [{
    if: `object_id(N'hestia_schema', N'U') is null`,
    then: ['create table hestia_schema (version int not null constraint hestia_schema_pk primary key, applied_at datetimeoffset(3) not null constraint hestia_schema_applied default sysdatetimeoffset())'],
  }],
  current: ['select max(version) as v from hestia_schema'],
  record: ['insert into hestia_schema (version) values (?)'],
};

type Row = Record<string, unknown>;

export async function migrate(knex: Knex): Promise<number> {
  return knex.transaction(async (trx) => {
    const [{ status }] = (await trx.raw(render(MIGRATION_SQL.lock))) as Row[];
    if (Number(status) < 0) throw new Error(`Could not lock the schema for migration (sp_getapplock returned ${status}).`);
    const [{ level }] = (await trx.raw(render(MIGRATION_SQL.compatibility))) as Row[];
    if (Number(level) < MIN_COMPATIBILITY_LEVEL) {
      throw new Error(`The database's compatibility level is ${level}; Hestia needs ${MIN_COMPATIBILITY_LEVEL} or later (SQL Server 2016+) for OPENJSON.`);
    }
    await trx.raw(render(MIGRATION_SQL.versionTable));
    const [row] = (await trx.raw(render(MIGRATION_SQL.current))) as Row[];
    const current = Number(row?.v ?? 0);
    if (current > SCHEMA_VERSION) throw new Error(`The database schema (version ${current}) is newer than this Hestia (version ${SCHEMA_VERSION}).`);
    for (let v = current; v < SCHEMA_VERSION; v++) {
      for (const sql of MIGRATIONS[v]) await trx.raw(sql);
      await trx.raw(render(MIGRATION_SQL.record), [v + 1]);
    }
    return SCHEMA_VERSION;
  });
}
