// History: current documents (resources container) and version documents (history container)
// together, newest first by their history key. A version document is an exact copy of a version that
// was current, made just before it is replaced; if the replace then fails, the copy and the current
// document exist side by side with the same key, so rows are de-duplicated by key. Each container
// gives its newest `count + 1` rows after the position, and the merge keeps the newest of both.
import { badRequest, type HistoryPage, type HistoryQuery } from '@hestia/core';
import type { CosmosDb } from './db.js';
import { partitionKey, toStoredVersion, VERSION_COLUMNS, type VersionFields } from './documents.js';
import { QueryBuilder } from './query.js';

type Row = Pick<VersionFields, 'type' | 'fid' | 'vid' | 'lu' | 'del' | 'res' | 'hk'>;

export async function history(stores: { resources: CosmosDb; history: CosmosDb }, q: HistoryQuery): Promise<HistoryPage> {
  if (q.after !== undefined && typeof q.after[0] !== 'string') throw badRequest('Invalid history position.');
  const need = Number(q.count) + 1;
  const pk = q.resourceType && q.id ? partitionKey(q.resourceType, q.id) : undefined;
  const [current, superseded] = await Promise.all([stores.resources, stores.history].map((db) => query(db, q, pk, need)));
  const rows: Row[] = [];
  for (const r of [...current, ...superseded].sort((a, b) => (a.hk < b.hk ? 1 : a.hk > b.hk ? -1 : 0))) {
    if (rows[rows.length - 1]?.hk !== r.hk) rows.push(r);
  }
  return { hasMore: rows.length > q.count, rows: rows.slice(0, q.count).map((r) => ({ version: toStoredVersion(r), key: [r.hk] })) };
}

async function query(db: CosmosDb, q: HistoryQuery, pk: string | undefined, limit: number): Promise<Row[]> {
  const b = new QueryBuilder();
  const conds: string[] = [];
  if (pk) conds.push(`c.pk = ${b.bind(pk)}`);
  else if (q.resourceType) conds.push(`c.type = ${b.bind(q.resourceType)}`);
  if (q.since) conds.push(`c.ts >= ${b.bind(Date.parse(q.since))}`);
  if (q.at) conds.push(`c.ts <= ${b.bind(Date.parse(q.at))}`);
  if (q.after !== undefined) conds.push(`c.hk < ${b.bind(q.after[0] as string)}`);
  // Version documents only exist for versions; leases (same container) have no history key.
  conds.push('IS_STRING(c.hk)');
  const text = `SELECT TOP ${limit} ${VERSION_COLUMNS}, c.hk FROM c WHERE ${conds.join(' AND ')} ORDER BY c.hk DESC`;
  return db.query<Row>({ query: text, parameters: b.parameters }, pk);
}
