// Every T-SQL statement the adapter sends, built as pure functions of their inputs (the store only
// runs them), so they can be snapshotted and syntax-checked without a server.
//
// Writes are batches that run atomically: outside a transaction the batch opens and commits its own
// (XACT_ABORT rolls it back on any error); inside one it works under a savepoint. Resources are
// locked in (resource_type, id) order whatever the order of the operations, so concurrent batches
// cannot deadlock on each other's rows; the write sequence still follows the operations' order.
import type { HistoryQuery, SearchQuery, WriteOp } from '@hestia/core';
import { buildSearch, type Sql } from '@hestia/sql-common';
import { BatchBuilder, type Batch, type Stmt } from './batch.js';
import { COLLATION, toTimestamp, tsqlDialect } from './dialect.js';
import { indexJson } from './index-json.js';
import { INDEX_COLUMNS } from './schema.js';
import { fitParameters } from './params.js';

const VERSION_COLUMNS = 'resource_type, id, version_id, last_updated, deleted, content';
const HISTORY_COLUMNS = 'resource_type, id, version_id, rid, last_updated, seq, deleted, content';

export const READ_SQL = `select ${VERSION_COLUMNS} from resource where resource_type = ? and id = ?`;
/** UPDLOCK keeps other writers out until the transaction ends; HOLDLOCK also locks the key of a resource not there yet. */
export const READ_FOR_UPDATE_SQL = `select ${VERSION_COLUMNS} from resource with (updlock, holdlock, rowlock) where resource_type = ? and id = ?`;
/** The references travel as one json array of [type, id] pairs. */
export const READ_MANY_SQL = `select r.resource_type, r.id, r.version_id, r.last_updated, r.deleted, r.content`
  + ` from openjson(?) with (resource_type nvarchar(4000) '$[0]', id nvarchar(4000) '$[1]') k`
  + ` join resource r on r.resource_type = k.resource_type collate ${COLLATION} and r.id = k.id collate ${COLLATION}`;
export const VREAD_SQL = `select ${VERSION_COLUMNS} from resource_history where resource_type = ? and id = ? and version_id = ?`;
export const PING_SQL = 'select 1 as ok';

/** The prologue of every batch: no row-count messages, and any error rolls the whole transaction back. */
const PROLOGUE: Stmt[] = ['set nocount on', 'set xact_abort on'];

/** A batch whose statements commit together: in their own transaction, or in the caller's. */
function atomic(body: Stmt[], inTransaction: boolean): Stmt[] {
  return inTransaction ? [...PROLOGUE, ...body] : [...PROLOGUE, 'begin transaction', ...body, 'commit transaction'];
}

const openjsonSchema = INDEX_COLUMNS.map((c) => `${c.name} ${c.sqlType.replace(/ collate .*/, '')} '$.${c.name}'${c.json ? ' as json' : ''}`).join(', ');
const indexNames = INDEX_COLUMNS.map((c) => c.name).join(', ');
const indexValues = INDEX_COLUMNS.map((c) => `j.${c.name}`).join(', ');

/** Inserts the index rows of the resource whose rid is in @rid. */
function insertIndex(b: BatchBuilder, json: string): string {
  return `insert into search_index (rid, resource_type, ${indexNames})\n`
    + `select r.rid, r.resource_type, ${indexValues}\n`
    + `from resource r cross apply openjson(${b.bind(json)}) with (${openjsonSchema}) j where r.rid = @rid`;
}

const copyToHistory = `insert into resource_history (${HISTORY_COLUMNS}) select ${HISTORY_COLUMNS} from resource where rid = @rid`;

/** Parameters one write operation binds at most (the batch is split to stay under SQL Server's limit). */
export const WRITE_OP_PARAMS = 8;

/** The statements of one operation: on success @rid is the resource's row, otherwise @failed = its index. */
function writeOp(b: BatchBuilder, op: WriteOp, k: number): Stmt {
  const json = indexJson(op.index);
  const content = op.resource ? JSON.stringify(op.resource) : null;
  let change: string;
  let onWritten: Stmt[];
  if (op.expectedVersion === undefined) {
    change = `insert into resource (resource_type, id, version_id, last_updated, seq, deleted, content)\n`
      + `select ${b.bind(op.resourceType)}, ${b.bind(op.id)}, ${b.bind(op.versionId)}, ${toTimestamp(b.bind(op.lastUpdated))}, @s${k}, 0, ${b.bind(content)}\n`
      + `where not exists (select 1 from resource with (updlock, holdlock) where resource_type = ${b.bind(op.resourceType)} and id = ${b.bind(op.id)})`;
    onWritten = ['set @rid = scope_identity()', copyToHistory];
  } else {
    change = `update resource set version_id = ${b.bind(op.versionId)}, last_updated = ${toTimestamp(b.bind(op.lastUpdated))}, seq = @s${k},`
      + ` deleted = ${op.op === 'delete' ? 1 : 0}, content = ${b.bind(content)}, @rid = rid\n`
      + `where resource_type = ${b.bind(op.resourceType)} and id = ${b.bind(op.id)} and version_id = ${b.bind(op.expectedVersion)}`;
    onWritten = [copyToHistory, 'delete from search_index where rid = @rid'];
  }
  if (json) onWritten.push(insertIndex(b, json));
  return { if: '@failed is null', then: [change, { if: '@@rowcount = 0', then: [`set @failed = ${k}`], else: onWritten }] };
}

const byKey = (a: WriteOp, b: WriteOp) => (a.resourceType < b.resourceType ? -1 : a.resourceType > b.resourceType ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * One batch writing `ops` (at most WRITE_OP_PARAMS parameters each). It answers one row: `failed`,
 * the index in `ops` of the operation that found a conflict (nothing is written then), or null.
 */
export function writeBatch(ops: WriteOp[], inTransaction: boolean): Batch {
  const b = new BatchBuilder();
  b.add(...PROLOGUE, 'declare @failed int, @rid bigint');
  // Sequence numbers in the operations' order; row locks in key order.
  ops.forEach((_, k) => b.add(`declare @s${k} bigint = next value for hestia_write_seq`));
  b.add(inTransaction ? 'save transaction hestia_write' : 'begin transaction');
  const order = ops.map((op, k) => ({ op, k })).sort((x, y) => byKey(x.op, y.op));
  for (const { op, k } of order) b.add(writeOp(b, op, k));
  b.add(inTransaction
    ? { if: '@failed is not null', then: ['rollback transaction hestia_write'] }
    : { if: '@failed is null', then: ['commit transaction'], else: ['rollback transaction'] });
  b.add('select @failed as failed');
  return b.build();
}

/** Removes a resource with every version and index row; answers its rid (null when it had no current row). */
export function hardDeleteBatch(resourceType: string, id: string, inTransaction: boolean): Batch {
  const b = new BatchBuilder();
  b.add(...atomic([
    'declare @rid bigint',
    `select @rid = rid from resource with (updlock, holdlock) where resource_type = ${b.bind(resourceType)} and id = ${b.bind(id)}`,
    'delete from search_index where rid = @rid',
    'delete from resource where rid = @rid',
    `delete from resource_history where resource_type = ${b.bind(resourceType)} and id = ${b.bind(id)}`,
  ], inTransaction), 'select @rid as rid');
  return b.build();
}

export interface IndexItem { resourceType: string; id: string; json?: string }

/** Parameters one reindexed resource binds. */
export const reindexParams = (codes?: string[]) => 3 + (codes?.length ?? 0);

/** Replaces the index rows of current resources (only those of `codes` when given). */
export function replaceIndexBatch(items: IndexItem[], codes: string[] | undefined, inTransaction: boolean): Batch {
  const b = new BatchBuilder();
  const body: Stmt[] = ['declare @rid bigint'];
  for (const item of items) {
    body.push('set @rid = null');
    body.push(`select @rid = rid from resource where resource_type = ${b.bind(item.resourceType)} and id = ${b.bind(item.id)} and deleted = 0`);
    const del = `delete from search_index where rid = @rid${codes ? ` and code in (${codes.map((c) => b.bind(c)).join(', ')})` : ''}`;
    body.push({ if: '@rid is not null', then: item.json ? [del, insertIndex(b, item.json)] : [del] });
  }
  b.add(...atomic(body, inTransaction));
  return b.build();
}

/**
 * Takes the transaction-owned application lock of `resource` (waiting for it); answers `status`,
 * sp_getapplock's result (0 or 1 granted, -1 timeout, -2 cancelled, -3 deadlock victim, -999 error).
 */
export function lockBatch(resource: string): Batch {
  const b = new BatchBuilder();
  b.add('declare @status int',
    `exec @status = sp_getapplock @Resource = ${b.bind(resource)}, @LockMode = N'Exclusive', @LockOwner = N'Transaction'`,
    'select @status as status');
  return b.build();
}

export function historySql(q: HistoryQuery): Sql {
  const where: string[] = [];
  const bindings: unknown[] = [];
  const cond = (sql: string, v: unknown) => { where.push(sql); bindings.push(v); };
  if (q.resourceType) cond('resource_type = ?', q.resourceType);
  if (q.id) cond('id = ?', q.id);
  if (q.since) cond(`last_updated >= ${toTimestamp('?')}`, q.since);
  if (q.at) cond(`last_updated <= ${toTimestamp('?')}`, q.at);
  if (q.after) cond('seq < ?', q.after[0]);
  const text = `select top (${Number(q.count) + 1}) ${VERSION_COLUMNS}, seq from resource_history${where.length ? ` where ${where.join(' and ')}` : ''} order by seq desc`;
  return { text, bindings };
}

/** The search (and count) statements; a search needing more parameters than SQL Server takes gets its values inlined. */
export function searchSql(q: SearchQuery): { select: Sql; count?: Sql } {
  const { select, count } = buildSearch(q, tsqlDialect);
  return { select: fitParameters(select), count: count && fitParameters(count) };
}
