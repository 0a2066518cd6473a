// Search: a Synthea-like cohort of 2,100 patients × 48 resources (100,800: Patients, Encounters,
// Conditions, Observations with LOINC codes, dates and quantities) loaded into Hestia on PostgreSQL,
// then searches over HTTP at concurrency 1 and 8, each next to hand-written SQL over the same
// tables of the same database (raw-search.ts), and the EXPLAIN ANALYZE plans of Hestia's SQL.
//   search/postgres/<search>/c<n>; the searches are listed in lib/search-queries.ts.
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { startServer, type RunningServer } from '@hestia/server';
import type { Resource, SearchExpr, SearchQuery, WriteOp } from '@hestia/core';
import { createTestDatabase } from '../../test/support/postgres.js';
import type { BenchContext, Scenario } from '../lib/context.js';
import { Explainer, formatPlan, type PlanReport } from '../lib/explain.js';
import { serverPhase, localPhase } from '../lib/phase.js';
import { RawSearchDriver } from '../lib/raw-search.js';
import { newKeysPlan } from '../lib/runner.js';
import { Cohort, instances, isWalk, SEARCH_OPS, type Instance, type SearchOp } from '../lib/search-queries.js';
import { BENCH_SERVER_ENV } from '../lib/server-env.js';
import { storedResources } from '../lib/synthea.js';

const NAME = 'search/postgres';
/** Patients in the cohort (× 48 resources); with --scale below 1, proportionally fewer. */
const PATIENTS = 2100;
const CONCURRENCY = [1, 8];
/** Measured operations per phase (searches, or whole walks), by concurrency, before --scale. */
const COUNT: Record<SearchOp, Record<number, number>> = {
  'family': { 1: 300, 8: 800 },
  'birthdate': { 1: 200, 8: 500 },
  'subject-code': { 1: 1000, 8: 2500 },
  'code-date': { 1: 50, 8: 120 },
  'chain': { 1: 200, 8: 500 },
  'include': { 1: 200, 8: 500 },
  'revinclude': { 1: 150, 8: 400 },
  'sort': { 1: 40, 8: 100 },
  'walk': { 1: 2, 8: 8 },
  'walk-sorted': { 1: 1, 8: 8 },
};
/** Patients per adapter write while loading (one multi-row statement each), and writes in flight. */
const LOAD_BATCH = 10;
const LOAD_PARALLEL = 2;

const HTTP_DRIVER = new URL('../lib/search-http.ts', import.meta.url).href;

export const searchScenario: Scenario = {
  name: NAME,
  cases: SEARCH_OPS.flatMap((op) => CONCURRENCY.map((c) => `${NAME}/${op}/c${c}`)),
  async run(ctx) {
    const patients = Math.max(50, Math.round(PATIENTS * Math.min(1, ctx.scale)));
    const db = await createTestDatabase();
    const server = await startServer({ port: 0, host: '127.0.0.1', storage: { kind: 'postgres', connectionString: db.url } }, BENCH_SERVER_ENV);
    const explainer = new Explainer(db.url);
    let raw: RawSearchDriver | undefined;
    try {
      const cohort = new Cohort(patients);
      await load(ctx, server, cohort, db.url);
      raw = new RawSearchDriver('raw SQL', db.url, cohort);
      const http = await ctx.load().open(HTTP_DRIVER, { url: server.url, label: 'Hestia postgres', patients });
      const plans: PlanReport[] = [];
      try {
        let key = 0;
        const scaled = (n: number, walk: boolean) => Math.max(walk ? 1 : 8, Math.round(n * (walk ? 1 : ctx.scale)));
        for (const op of SEARCH_OPS) {
          const cases = CONCURRENCY.filter((c) => ctx.selected(`${NAME}/${op}/c${c}`));
          if (!cases.length) continue;
          const walk = isWalk(op);
          const list = instances(cohort, op);
          for (const c of cases) {
            const caseName = `${NAME}/${op}/c${c}`;
            const count = scaled(COUNT[op][c], walk);
            const warm = walk ? (c === 1 ? 1 : 0) : Math.max(c, Math.round(count / 10));
            const spec = { op, warmup: newKeysPlan(key, warm, c), plan: newKeysPlan(key + warm, count, c) };
            key += warm + count;
            const avgMatches = list.reduce((a, i) => a + i.matches.length, 0) / list.length;
            ctx.log(`  ${caseName}: ${count} ${walk ? `walks of ~${Math.round(avgMatches)} results` : 'searches'} (+${warm} warm-up) via HTTP, then raw SQL`);
            const server = await serverPhase(ctx, 'Hestia postgres', http, spec, caseName);
            const rawSide = await localPhase(ctx, raw, spec);
            ctx.record({
              kind: 'comparison', case: caseName, subject: server.side, baseline: rawSide, ratio: server.side.stats.opsPerSec / rawSide.stats.opsPerSec,
              profile: server.profile, ...(walk ? { perOp: { items: Math.round(avgMatches), unit: 'resources' } } : {}),
            });
          }
          const reports = await explainOp(ctx, server, explainer, op, list);
          plans.push(...reports);
          for (const p of reports) ctx.log(formatPlan(p, 600));
          ctx.record({
            kind: 'values', case: `${NAME}/${op}/plan`,
            values: Object.fromEntries(reports.flatMap((p) => [
              [`${p.label}: Hestia SQL`, Math.round(p.executionMs * 10) / 10],
              [`${p.label}: indexes`, p.indexes.join(' + ') || 'none'],
              [`${p.label}: seq scans`, p.seqScans.length ? `SEQ SCAN on ${p.seqScans.join(', ')}` : 'none'],
            ])),
            units: Object.fromEntries(reports.map((p) => [`${p.label}: Hestia SQL`, 'ms'])),
          });
        }
      } finally {
        await http.close();
      }
      if (plans.length) {
        const file = join(ctx.resultsDir, 'search-plans.txt');
        await mkdir(ctx.resultsDir, { recursive: true });
        await writeFile(file, `${plans.map((p) => formatPlan(p)).join('\n\n')}\n`);
        ctx.log(`  full SQL and plans in ${file}`);
      }
    } finally {
      await raw?.close();
      await explainer.close();
      await server.close();
      await db.drop();
    }
  },
};

/** Loads the cohort through the server's adapter (the bulk write path: one multi-row statement per batch), then VACUUM ANALYZE. */
async function load(ctx: BenchContext, server: RunningServer, cohort: Cohort, url: string): Promise<void> {
  const { engine, adapter } = server;
  ctx.log(`  loading ${cohort.patients.length} patients (${cohort.resources} resources) through the adapter, ${LOAD_BATCH} patients per write, ${LOAD_PARALLEL} writes in flight`);
  const t0 = performance.now();
  let next = 0, indexRows = 0;
  const loader = async () => {
    while (next < cohort.patients.length) {
      const batch = cohort.patients.slice(next, next + LOAD_BATCH);
      next += LOAD_BATCH;
      const ops: WriteOp[] = [];
      for (const rec of batch) {
        for (const { resource } of storedResources(rec)) {
          const lastUpdated = new Date().toISOString();
          const { resourceType, id, meta, ...rest } = resource as Resource;
          const stored = { resourceType, id, meta: { ...(meta ?? {}), versionId: '1', lastUpdated }, ...rest } as Resource;
          const index = engine.indexer.extract(stored);
          indexRows += index.length;
          ops.push({ op: 'create', resourceType, id: id!, resource: stored, versionId: 1, lastUpdated, index });
        }
      }
      await adapter.write(ops);
    }
  };
  await Promise.all(Array.from({ length: LOAD_PARALLEL }, loader));
  const loadS = (performance.now() - t0) / 1000;
  const client = new pg.Pool({ connectionString: url, max: 1 });
  const t1 = performance.now();
  await client.query('vacuum analyze');
  const vacuumS = (performance.now() - t1) / 1000;
  const size = (await client.query('select round(pg_database_size(current_database()) / 1048576.0) as mb')).rows[0].mb;
  const counts = (await client.query('select (select count(*) from resource) as resources, (select count(*) from search_index) as index_rows')).rows[0];
  await client.end();
  const resources = cohort.resources;
  if (Number(counts.resources) !== resources || Number(counts.index_rows) !== indexRows) {
    throw new Error(`load: the database holds ${counts.resources} resources and ${counts.index_rows} index rows, expected ${resources} and ${indexRows}`);
  }
  ctx.record({
    kind: 'values', case: `${NAME}/load`,
    values: { resources, 'index rows': indexRows, 'load time': Math.round(loadS * 10) / 10, 'load rate': Math.round(resources / loadS), 'vacuum analyze': Math.round(vacuumS * 10) / 10, 'database size': Number(size) },
    units: { 'load time': 's', 'load rate': 'resources/s', 'vacuum analyze': 's', 'database size': 'MB' },
  });
}

/** EXPLAIN ANALYZE of every statement Hestia runs for one instance of the search (its first instance with the most matches). */
async function explainOp(ctx: BenchContext, server: RunningServer, ex: Explainer, op: SearchOp, list: Instance[]): Promise<PlanReport[]> {
  const inst = list.reduce((a, b) => (b.matches.length > a.matches.length ? b : a), list[0]);
  const { engine, adapter } = server;
  const q = ex.parse(engine, inst.type, inst.params);
  const label = (what: string) => `${op} ${what}`;
  ctx.log(`  EXPLAIN ANALYZE of Hestia's SQL for ${inst.type}?${inst.params.map(([k, v]) => `${k}=${v}`).join('&')} (${inst.matches.length} matches)`);
  const out = [await ex.search(label('search'), q)];
  if (op === 'include' || op === 'revinclude') {
    // The engine's second statement, for the first page's resources (engine.ts, includes()).
    const page = await adapter.search(q);
    const versions = page.rows.map((r) => r.version);
    if (op === 'include') {
      const refs = [...new Set(versions.map((v) => ((v.resource as { subject?: { reference?: string } }).subject?.reference ?? '')))].map((r) => r.split('/'));
      // SqlSession.readMany's statement.
      out.push(await ex.explain(label('_include readMany'), `select resource_type, id, version_id, last_updated, deleted, content from resource where (resource_type, id) in (${refs.map(() => '(?, ?)').join(', ')})`, refs.flat()));
    } else {
      const where: SearchExpr = { kind: 'or', exprs: versions.map((v) => ({ kind: 'value', param: { code: 'subject', type: 'reference' }, predicate: { type: 'reference', targetType: v.resourceType, targetId: v.id } })) };
      const rev: SearchQuery = { types: ['Observation'], where, sort: [], count: engine.options.maxIncludes, total: 'none', include: [], revinclude: [] };
      out.push(await ex.search(label('_revinclude search'), rev));
    }
  }
  if (isWalk(op)) {
    // A page further on: the keyset condition after the first page's last row.
    const first = await adapter.search(q);
    out.push(await ex.search(label('page 2 (keyset)'), { ...q, after: first.rows[first.rows.length - 1].key }));
  }
  return out;
}
