// Search: a Synthea-like cohort of 2,100 patients × 48 resources (100,800: Patients, Encounters,
// Conditions, Observations with LOINC codes, dates and quantities) loaded into Hestia on PostgreSQL,
// then searches over HTTP at concurrency 1 and 8, each next to hand-written SQL over the same
// tables of the same database (raw-search.ts), and the EXPLAIN ANALYZE plans of Hestia's SQL.
//   search/postgres/<search>/c<n>; the searches are listed in lib/search-queries.ts.
// The server runs on this thread and nothing else of the benchmark does while it is measured: the
// clients and the raw SQL run in the load worker, the minimal HTTP server on a thread of its own,
// and the cohort (50 MB of generated facts) is not kept here after loading, so that the server's
// heap and garbage collections are its own.
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startServer, type RunningServer } from '@hestia/server';
import type { SearchExpr, SearchQuery } from '@hestia/core';
import { READ_MANY_SQL } from '@hestia/persistence-postgres';
import { createTestDatabase } from '../../test/support/postgres.js';
import { loadCohort } from '../lib/cohort-load.js';
import type { BenchContext, Scenario } from '../lib/context.js';
import { Explainer, formatPlan, type PlanReport } from '../lib/explain.js';
import { serverPhase, remotePhase } from '../lib/phase.js';
import { newKeysPlan } from '../lib/runner.js';
import { Cohort, instances, isWalk, SEARCH_OPS, type SearchOp } from '../lib/search-queries.js';
import { startMinimalServer, type MinimalServer } from '../lib/minimal-server.js';
import { BENCH_SERVER_ENV } from '../lib/server-env.js';

const NAME = 'search/postgres';
/** Patients in the cohort (× 48 resources); with --scale below 1, proportionally fewer. */
const PATIENTS = 2100;
const CONCURRENCY = [1, 8];
/** Measured operations per phase (searches, or whole walks), by concurrency, before --scale (at least a few hundred at c8: a p99 over 100 is the second-worst of them). */
const COUNT: Record<SearchOp, Record<number, number>> = {
  'family': { 1: 300, 8: 800 },
  'birthdate': { 1: 200, 8: 500 },
  'subject-code': { 1: 1000, 8: 2500 },
  'code-date': { 1: 100, 8: 400 },
  'chain': { 1: 200, 8: 500 },
  'include': { 1: 200, 8: 500 },
  'revinclude': { 1: 150, 8: 400 },
  'sort': { 1: 100, 8: 300 },
  'walk': { 1: 2, 8: 8 },
  'walk-sorted': { 1: 1, 8: 8 },
};
const HTTP_DRIVER = new URL('../lib/search-http.ts', import.meta.url).href;
const RAW_DRIVER = new URL('../lib/raw-search.ts', import.meta.url).href;

/** What this thread keeps of a search's instances: the mean number of matches, and the instance whose plans are explained (the first with the most matches). */
interface OpFacts { avgMatches: number; explained: { type: string; params: [string, string][]; matches: number } }

/** Loads the cohort and returns the facts of every search; the cohort itself is not kept. */
async function loadAndSummarize(ctx: BenchContext, server: RunningServer, patients: number, url: string): Promise<Map<SearchOp, OpFacts>> {
  const cohort = new Cohort(patients);
  await loadCohort(ctx, server, cohort, url, `${NAME}/load`);
  return new Map(SEARCH_OPS.map((op) => {
    const list = instances(cohort, op);
    const top = list.reduce((a, b) => (b.matches.length > a.matches.length ? b : a), list[0]);
    return [op, { avgMatches: list.reduce((a, i) => a + i.matches.length, 0) / list.length, explained: { type: top.type, params: top.params, matches: top.matches.length } }];
  }));
}

export const searchScenario: Scenario = {
  name: NAME,
  cases: SEARCH_OPS.flatMap((op) => CONCURRENCY.map((c) => `${NAME}/${op}/c${c}`)),
  async run(ctx) {
    const patients = Math.max(50, Math.round(PATIENTS * Math.min(1, ctx.scale)));
    const db = await createTestDatabase();
    const server = await startServer({ port: 0, host: '127.0.0.1', storage: { kind: 'postgres', connectionString: db.url } }, BENCH_SERVER_ENV);
    const explainer = new Explainer(db.url);
    let minimal: MinimalServer | undefined;
    try {
      const facts = await loadAndSummarize(ctx, server, patients, db.url);
      const load = ctx.load();
      const raw = await load.open(RAW_DRIVER, { url: db.url, label: 'raw SQL', patients });
      const rawPrepared = await load.open(RAW_DRIVER, { url: db.url, label: 'raw SQL prepared', patients, prepared: true });
      const http = await load.open(HTTP_DRIVER, { url: server.url, label: 'Hestia postgres', patients });
      minimal = await startMinimalServer(db.url, patients);
      const minHttp = await load.open(HTTP_DRIVER, { url: minimal.url, label: 'minimal HTTP', patients });
      const plans: PlanReport[] = [];
      try {
        let key = 0;
        const scaled = (n: number, walk: boolean) => Math.max(walk ? 1 : 8, Math.round(n * (walk ? 1 : ctx.scale)));
        for (const op of SEARCH_OPS) {
          const cases = CONCURRENCY.filter((c) => ctx.selected(`${NAME}/${op}/c${c}`));
          if (!cases.length) continue;
          const walk = isWalk(op);
          const { avgMatches } = facts.get(op)!;
          for (const c of cases) {
            const caseName = `${NAME}/${op}/c${c}`;
            const count = scaled(COUNT[op][c], walk);
            // (half the count: with a tenth, the first cases measured code still being compiled)
            const warm = walk ? (c === 1 ? 1 : 0) : Math.max(c, Math.round(count / 2));
            const spec = { op, warmup: newKeysPlan(key, warm, c), plan: newKeysPlan(key + warm, count, c) };
            key += warm + count;
            ctx.log(`  ${caseName}: ${count} ${walk ? `walks of ~${Math.round(avgMatches)} results` : 'searches'} (+${warm} warm-up) via HTTP, then raw SQL`);
            const server = await serverPhase(ctx, 'Hestia postgres', http, spec, caseName);
            const rawSide = await remotePhase(ctx, 'raw SQL', raw, spec);
            const perOp = walk ? { perOp: { items: Math.round(avgMatches), unit: 'resources' } } : {};
            ctx.record({ kind: 'comparison', case: caseName, subject: server.side, baseline: rawSide, ratio: server.side.stats.opsPerSec / rawSide.stats.opsPerSec, profile: server.profile, ...perOp });
            // The same hand-written SQL as named prepared statements: beside it, what Hestia's own
            // prepared statements (plan-stable searches) are worth is not counted in its favour.
            const preparedSide = await remotePhase(ctx, 'raw SQL prepared', rawPrepared, spec);
            ctx.record({ kind: 'comparison', case: `${caseName}/raw-prepared`, subject: server.side, baseline: preparedSide, ratio: server.side.stats.opsPerSec / preparedSide.stats.opsPerSec, ...perOp });
            if (!walk) {
              // The same searches through the least an HTTP server can do (lib/minimal-server.ts).
              const least = await remotePhase(ctx, 'minimal HTTP', minHttp, spec);
              ctx.record({ kind: 'comparison', case: `${caseName}/minimal-http`, subject: least, baseline: rawSide, ratio: least.stats.opsPerSec / rawSide.stats.opsPerSec });
              ctx.log(`    Hestia = ${Math.round((100 * server.side.stats.opsPerSec) / least.stats.opsPerSec)} % of the minimal HTTP server's throughput`);
            }
          }
          const reports = await explainOp(ctx, server, explainer, op, facts.get(op)!.explained);
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
        for (const d of [http, minHttp, raw, rawPrepared]) await d.close();
      }
      if (plans.length) {
        const file = join(ctx.resultsDir, 'search-plans.txt');
        await mkdir(ctx.resultsDir, { recursive: true });
        await writeFile(file, `${plans.map((p) => formatPlan(p)).join('\n\n')}\n`);
        ctx.log(`  full SQL and plans in ${file}`);
      }
    } finally {
      await minimal?.close();
      await explainer.close();
      await server.close();
      await db.drop();
    }
  },
};

/** EXPLAIN ANALYZE of every statement Hestia runs for one instance of the search (its first instance with the most matches). */
async function explainOp(ctx: BenchContext, server: RunningServer, ex: Explainer, op: SearchOp, inst: OpFacts['explained']): Promise<PlanReport[]> {
  const { engine, adapter } = server;
  const q = ex.parse(engine, inst.type, inst.params);
  const label = (what: string) => `${op} ${what}`;
  ctx.log(`  EXPLAIN ANALYZE of Hestia's SQL for ${inst.type}?${inst.params.map(([k, v]) => `${k}=${v}`).join('&')} (${inst.matches} matches)`);
  const out = await ex.search(label('search'), q);
  if (op === 'include' || op === 'revinclude') {
    // The engine's second statement, for the first page's resources (engine.ts, includes()).
    const page = await adapter.search(q);
    const versions = page.rows.map((r) => r.version);
    if (op === 'include') {
      const refs = [...new Set(versions.map((v) => ((v.resource as { subject?: { reference?: string } }).subject?.reference ?? '')))].map((r) => r.split('/'));
      // SqlSession.readMany's statement.
      out.push(await ex.explain(label('_include readMany'), READ_MANY_SQL, [JSON.stringify(refs)]));
    } else {
      const where: SearchExpr = { kind: 'or', exprs: versions.map((v) => ({ kind: 'value', param: { code: 'subject', type: 'reference' }, predicate: { type: 'reference', targetType: v.resourceType, targetId: v.id } })) };
      const rev: SearchQuery = { types: ['Observation'], where, sort: [], count: engine.options.maxIncludes, total: 'none', include: [], revinclude: [] };
      out.push(...(await ex.search(label('_revinclude search'), rev)));
    }
  }
  if (isWalk(op)) {
    // A page further on: the keyset condition after the first page's last row.
    const first = await adapter.search(q);
    out.push(...(await ex.search(label('page 2 (keyset)'), { ...q, after: first.rows[first.rows.length - 1].key })));
  }
  return out;
}
