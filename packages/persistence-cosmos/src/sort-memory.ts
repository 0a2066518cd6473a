// Sorting by several parameters. Cosmos orders by several paths only with a composite index
// declared for exactly those paths, which cannot be known in advance for every combination of
// parameters; so a search sorted by several keys reads the sort values of all its matches (at most
// `max`, else 400 too-costly), orders and pages them here, and point-reads the page.
import { badRequest, tooCostly, type SearchQuery, type SearchRow } from '@hestia/core';
import type { CosmosDb } from './db.js';
import { sortValueOf } from './doc-index.js';
import { toStoredVersion, type CurrentDoc } from './documents.js';
import { mapLimited, READ_CONCURRENCY } from './parallel.js';
import { codePath, QueryBuilder, type ResolvedExpr } from './query.js';

/** Sort values (null = missing) and the partition key as the tiebreak. */
type Key = (string | null)[];

/** Missing values last in both directions, then the partition key ascending. */
function compare(a: Key, b: Key, desc: boolean[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i], y = b[i];
    if (x === y) continue;
    if (x === null) return 1;
    if (y === null) return -1;
    const c = x < y ? -1 : 1;
    return desc[i] ? -c : c;
  }
  return 0;
}

function checkKey(key: unknown[], n: number): Key {
  if (key.length !== n + 1 || !key.every((v, i) => (v === null && i < n) || typeof v === 'string')) throw badRequest('Invalid search position.');
  return key as Key;
}

export async function sortInMemory(db: CosmosDb, q: SearchQuery, where: ResolvedExpr | undefined, max: number): Promise<{ rows: SearchRow[]; hasMore: boolean }> {
  const b = new QueryBuilder();
  const cols = q.sort.map((k, i) => `${codePath('c.srt', k.param.code)}.${k.descending ? 'd' : 'a'} AS k${i}`);
  const query = `SELECT TOP ${max + 1} c.pk, c.fid, ${cols.join(', ')} FROM c WHERE ${b.where(q.types, where)}`;
  const found = await db.query<Record<string, string | undefined>>({ query, parameters: b.parameters });
  if (found.length > max) {
    throw tooCostly(`Sorting by several parameters is done on at most ${max} matches; narrow the search or sort by one parameter.`);
  }
  const desc = [...q.sort.map((k) => k.descending), false];
  const keyed = found.map((r) => ({ pk: r.pk!, fid: r.fid!, key: [...q.sort.map((_, i) => (typeof r[`k${i}`] === 'string' ? sortValueOf(r[`k${i}`]!) : null)), r.pk!] }));
  keyed.sort((x, y) => compare(x.key, y.key, desc));
  const n = q.sort.length;
  let page: typeof keyed, hasMore: boolean;
  if (q.before) {
    const before = checkKey(q.before, n);
    const earlier = keyed.filter((r) => compare(r.key, before, desc) < 0);
    page = earlier.slice(Math.max(0, earlier.length - q.count));
    hasMore = earlier.length > q.count;
  } else {
    const after = q.after && checkKey(q.after, n);
    const later = after ? keyed.filter((r) => compare(r.key, after, desc) > 0) : keyed;
    page = later.slice(0, q.count);
    hasMore = later.length > q.count;
  }
  const docs = await mapLimited(page, READ_CONCURRENCY, (r) => db.read<CurrentDoc>(r.fid, r.pk));
  const rows: SearchRow[] = [];
  docs.forEach((d, i) => {
    if (d && !d.del) rows.push({ version: toStoredVersion(d), key: page[i].key });
  });
  return { rows, hasMore };
}
