// Search: sorting and keyset paging with the adapter's own positions (never Cosmos continuation
// tokens). Cosmos orders by one stored path without a composite index, so every current document
// carries a unique sort string per parameter (doc-index.ts); a sorted search walks two segments:
// the resources that have a value (by that string), then those that have none (by partition key),
// which puts missing values last in both directions. Several sort keys: see sort-memory.ts.
import { badRequest, type SearchPage, type SearchQuery, type SortKey } from '@hestia/core';
import type { CosmosDb } from './db.js';
import { toStoredVersion, VERSION_COLUMNS, type VersionFields } from './documents.js';
import { resolveJoins } from './joins.js';
import { codePath, QueryBuilder, type ResolvedExpr } from './query.js';
import { sortInMemory } from './sort-memory.js';

/** A stretch of the result order: the documents matching `filter`, ordered by `field` alone. */
interface Segment { filter: string; field: string; desc: boolean }

/** Where a page starts: after (or before) `value` of segment `seg`, or at the segment's start. */
interface Position { seg: number; value?: string }

type Row = Pick<VersionFields, 'type' | 'fid' | 'vid' | 'lu' | 'del' | 'res'> & { k: string };

function segmentsFor(sort: SortKey[]): Segment[] {
  if (!sort.length) return [{ filter: 'true', field: 'c.pk', desc: false }];
  const { param, descending } = sort[0];
  const values = codePath('c.srt', param.code);
  return [
    { filter: `IS_DEFINED(${values})`, field: `${values}.${descending ? 'd' : 'a'}`, desc: descending },
    { filter: `NOT IS_DEFINED(${values})`, field: 'c.pk', desc: false },
  ];
}

/** Row keys: [sort string or null, partition key] when sorted, [partition key] when not. */
const rowKey = (sorted: boolean, seg: number, k: string): unknown[] => (!sorted ? [k] : seg === 0 ? [k, null] : [null, k]);

function positionOf(sorted: boolean, key: unknown[]): Position {
  const invalid = () => badRequest('Invalid search position.');
  if (!sorted) {
    if (typeof key[0] !== 'string') throw invalid();
    return { seg: 0, value: key[0] };
  }
  if (typeof key[0] === 'string') return { seg: 0, value: key[0] };
  if (key[0] === null && typeof key[1] === 'string') return { seg: 1, value: key[1] };
  throw invalid();
}

/** Bounds of the work done outside single Cosmos queries (400 too-costly beyond them). */
export interface SearchLimits {
  /** Keys a chain or _has sub-query may collect. */
  joinKeys: number;
  /** Matches a search sorted by several parameters may have. */
  sortedMatches: number;
}

export async function search(db: CosmosDb, q: SearchQuery, limits: SearchLimits): Promise<SearchPage> {
  const where = q.where ? await resolveJoins(q.where, (spec) => db.query<string>(spec), limits.joinKeys) : undefined;
  let page: SearchPage = { rows: [], hasMore: false };
  if (q.count > 0 && q.sort.length > 1) {
    page = await sortInMemory(db, q, where, limits.sortedMatches);
  } else if (q.count > 0) {
    const segments = segmentsFor(q.sort);
    const sorted = q.sort.length > 0;
    const backwards = !!q.before;
    const key = q.before ?? q.after;
    const start: Position = key ? positionOf(sorted, key) : { seg: backwards ? segments.length - 1 : 0 };
    const need = Number(q.count) + 1;
    const found: { row: Row; seg: number }[] = [];
    for (let seg = start.seg; seg >= 0 && seg < segments.length && found.length < need; seg += backwards ? -1 : 1) {
      const rows = await querySegment(db, q.types, where, segments[seg], seg === start.seg ? start.value : undefined, backwards, need - found.length);
      found.push(...rows.map((row) => ({ row, seg })));
    }
    page.hasMore = found.length > q.count;
    const kept = found.slice(0, q.count);
    if (backwards) kept.reverse();
    page.rows = kept.map(({ row, seg }) => ({ version: toStoredVersion(row), key: rowKey(sorted, seg, row.k) }));
  }
  if (q.total === 'accurate' || q.total === 'estimate') {
    const b = new QueryBuilder();
    const [n] = await db.query<number>({ query: `SELECT VALUE COUNT(1) FROM c WHERE ${b.where(q.types, where)}`, parameters: b.parameters });
    page.total = n ?? 0;
  }
  return page;
}

/** Up to `limit` rows of one segment, after (or, going backwards, before) `from`, in the direction of travel. */
async function querySegment(db: CosmosDb, types: string[], where: ResolvedExpr | undefined, s: Segment, from: string | undefined,
  backwards: boolean, limit: number): Promise<Row[]> {
  const b = new QueryBuilder();
  const desc = s.desc !== backwards;
  const conds = [b.where(types, where), s.filter];
  if (from !== undefined) conds.push(`${s.field} ${desc ? '<' : '>'} ${b.bind(from)}`);
  const query = `SELECT TOP ${limit} ${VERSION_COLUMNS}, ${s.field} AS k FROM c WHERE ${conds.join(' AND ')} ORDER BY ${s.field} ${desc ? 'DESC' : 'ASC'}`;
  return db.query<Row>({ query, parameters: b.parameters });
}
