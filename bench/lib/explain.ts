// EXPLAIN ANALYZE of the SQL Hestia generates for a search: parsed by the engine's own parser,
// translated by @hestia/persistence-postgres's buildSearch, run through knex with its bindings (as
// the store runs it), and summarized: which indexes each query uses, and any sequential scan of
// resource or search_index (flagged).
import knexFactory, { type Knex } from 'knex';
import type { FhirEngine, SearchQuery } from '@hestia/core';
import { buildSearch } from '@hestia/persistence-postgres';

export interface PlanReport {
  label: string;
  sql: string;
  plan: string;
  executionMs: number;
  indexes: string[];
  seqScans: string[];
}

export class Explainer {
  private readonly knex: Knex;

  constructor(connectionString: string) {
    this.knex = knexFactory({ client: 'pg', connection: connectionString, pool: { min: 0, max: 1 } });
  }

  /** The adapter-neutral query the engine would run for `type?params` (terminology needs no resolution here). */
  parse(engine: FhirEngine, type: string, params: [string, string][]): SearchQuery {
    return engine.parser.parse([type], params).query;
  }

  /** The search's statements: its probe first when it has one (the store runs the page statement only when the probe leaves the page short). */
  async search(label: string, q: SearchQuery): Promise<PlanReport[]> {
    const { select, probe } = buildSearch(q);
    const page = await this.explain(label, select.text, select.bindings as Knex.RawBinding[]);
    return probe ? [await this.explain(`${label} (probe)`, probe.text, probe.bindings as Knex.RawBinding[]), page] : [page];
  }

  async explain(label: string, sql: string, bindings: Knex.RawBinding[]): Promise<PlanReport> {
    const res = await this.knex.raw(`explain (analyze, costs off, timing on) ${sql}`, bindings);
    const plan = (res.rows as Record<string, string>[]).map((r) => r['QUERY PLAN']).join('\n');
    const indexes = new Set<string>();
    for (const m of plan.matchAll(/(?:Index Scan|Index Only Scan)(?: Backward)? using (\S+) on (\S+)/g)) indexes.add(m[1]);
    for (const m of plan.matchAll(/Bitmap Index Scan on (\S+)/g)) indexes.add(m[1]);
    const seqScans = [...plan.matchAll(/Seq Scan on (\S+)/g)].map((m) => m[1]).filter((t) => t === 'resource' || t === 'search_index');
    const executionMs = Number(/Execution Time: ([\d.]+) ms/.exec(plan)?.[1] ?? NaN);
    return { label, sql: this.knex.raw(sql, bindings).toQuery(), plan, executionMs, indexes: [...indexes], seqScans: [...new Set(seqScans)] };
  }

  async close(): Promise<void> {
    await this.knex.destroy();
  }
}

/** The plan as text; `sqlChars` cuts the SQL (with its values inlined) to that many characters. */
export function formatPlan(p: PlanReport, sqlChars = Infinity): string {
  const flag = p.seqScans.length ? `  *** SEQ SCAN on ${p.seqScans.join(', ')} ***` : '';
  const sql = p.sql.replace(/\s+/g, ' ');
  return [
    `  ${p.label}: ${p.executionMs.toFixed(1)} ms; indexes: ${p.indexes.join(', ') || 'none'}${flag}`,
    `    SQL  ${sql.length > sqlChars ? `${sql.slice(0, sqlChars)} …` : sql}`,
    ...p.plan.split('\n').map((l) => `    ${l}`),
  ].join('\n');
}
