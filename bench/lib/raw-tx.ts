// The raw baseline of transaction ingest: the rows a transaction Bundle of one patient record
// (48 resources) makes, written straight to PostgreSQL in one transaction with one multi-row INSERT
// per table (resource, resource_history, search_index). Ids, reference rewriting, stamped content
// and the index rows (from the real indexer, flattened as the store does) are built in prepare(),
// before the clock starts.
import { randomUUID } from 'node:crypto';
import type { Resource } from '@hestia/core';
import { check, type Driver, type Plan } from './driver.js';
import { indexRows } from './index-rows.js';
import type { IndexSource, RawExecutor } from './raw-crud.js';
import { record, recordResources, type Kind } from './synthea.js';

const FIELDS: [string, string][] = [
  ['code', 'text'], ['str_norm', 'text'], ['str_exact', 'text'], ['tok_system', 'text'], ['tok_code', 'text'], ['tok_text', 'text'],
  ['lo', 'numeric'], ['hi', 'numeric'], ['q_system', 'text'], ['q_code', 'text'], ['ref_type', 'text'], ['ref_id', 'text'], ['ref_url', 'text'],
  ['uri', 'text'], ['comp', 'jsonb'], ['fts', 'text'],
];

const values = (rows: number, perRow: number, row: (p: (i: number) => string) => string) =>
  Array.from({ length: rows }, (_, r) => row((i) => `$${r * perRow + i + 1}`)).join(',\n  ');

/** resource: 4 values per row; returns rid and seq in row order (matched by id). */
const insertResources = (n: number) => `insert into resource (resource_type, id, version_id, last_updated, seq, deleted, content) values
  ${values(n, 4, (p) => `(${p(0)}, ${p(1)}, 1, ${p(2)}, nextval('hestia_write_seq'), false, ${p(3)})`)}
  returning rid, seq, id`;
/** resource_history: 6 values per row. */
const insertHistory = (n: number) => `insert into resource_history (resource_type, id, version_id, rid, last_updated, seq, deleted, content) values
  ${values(n, 6, (p) => `(${p(0)}, ${p(1)}, 1, ${p(2)}, ${p(3)}, ${p(4)}, false, ${p(5)})`)}`;
/** search_index: every row of the bundle in one jsonb array; $1 the rids by resource position. */
const INSERT_INDEX = `insert into search_index (rid, resource_type, ${FIELDS.map(([n]) => n).join(', ')})
  select ($1::bigint[])[x.ord], x.resource_type, ${FIELDS.map(([n]) => (n === 'fts' ? `to_tsvector('simple', x.fts)` : `x.${n}`)).join(', ')}
  from jsonb_to_recordset($2::jsonb) as x(ord int, resource_type text, ${FIELDS.map(([n, t]) => `${n} ${t}`).join(', ')})`;

interface Prepared { items: { type: string; id: string; lastUpdated: string; content: string }[]; index: string }

export class RawTransactionDriver implements Driver {
  private readonly prepared = new Map<number, Prepared>();
  private written = 0;

  constructor(readonly label: string, private readonly db: RawExecutor, private readonly indexer: IndexSource) {}

  size(): number {
    return this.written;
  }

  prepare(_op: string, plan: Plan): void {
    for (const n of plan.flat()) {
      const rec = record(n, 'hestia-bench-raw');
      // Fresh ids, as the server gives them; references point at them (what the server rewrites urn:uuid references to).
      const ids = new Map<string, string>();
      const idOf = (kind: Kind, k: number) => {
        const key = `${kind}:${k}`;
        let id = ids.get(key);
        if (!id) ids.set(key, (id = randomUUID()));
        return id;
      };
      const lastUpdated = new Date().toISOString();
      const rows: Record<string, unknown>[] = [];
      const items = recordResources(rec, (kind, k) => `${kind}/${idOf(kind, k)}`).map((x, ord) => {
        const id = idOf(x.kind, x.k);
        const { resourceType, meta, ...rest } = x.resource as Resource;
        const stored = { resourceType, id, meta: { ...(meta ?? {}), versionId: '1', lastUpdated }, ...rest } as Resource;
        for (const r of indexRows(this.indexer.extract(stored))) rows.push({ ord: ord + 1, resource_type: resourceType, ...r });
        return { type: resourceType, id, lastUpdated, content: JSON.stringify(stored) };
      });
      this.prepared.set(n, { items, index: JSON.stringify(rows) });
    }
  }

  async run(_op: string, n: number): Promise<void> {
    const p = this.prepared.get(n);
    if (!p) throw new Error(`raw transaction ${n} was not prepared`);
    this.prepared.delete(n);
    const count = p.items.length;
    await this.db.transaction(async (q) => {
      const { rows } = await q(`raw_tx_resource_${count}`, insertResources(count), p.items.flatMap((x) => [x.type, x.id, x.lastUpdated, x.content]));
      check(rows.length === count, () => `raw transaction ${n}: ${rows.length} resource rows inserted, expected ${count}`);
      const byId = new Map(rows.map((r) => [r.id as string, r]));
      const written = p.items.map((x) => byId.get(x.id)!);
      await q(`raw_tx_history_${count}`, insertHistory(count), p.items.flatMap((x, i) => [x.type, x.id, written[i].rid, x.lastUpdated, written[i].seq, x.content]));
      await q('raw_tx_index', INSERT_INDEX, [written.map((r) => r.rid), p.index]);
    });
    this.written += count;
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
