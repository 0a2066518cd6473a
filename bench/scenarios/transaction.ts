// Transaction ingest: Synthea-like patient records (48 resources: Patient, 8 Encounters, 4
// Conditions, 35 Observations, linked by urn:uuid references) POSTed as transaction Bundles over
// HTTP at concurrency 1 and 8, next to the same rows written straight to a second database with the
// same schema (one transaction per record, one multi-row INSERT per table; raw-tx.ts). Then the same
// records POSTed resource by resource (single creates), to compare resources/s.
//   transaction/postgres/bundle/c<n>: Hestia transaction Bundles vs raw pg
//   transaction/postgres/single/c<n>: Hestia, one POST per resource (no baseline; see the summary line)
import { startServer } from '@hestia/server';
import { createPostgresAdapter } from '@hestia/persistence-postgres';
import { createTestDatabase } from '../../test/support/postgres.js';
import type { ComparisonResult, Scenario } from '../lib/context.js';
import { serverPhase, localPhase } from '../lib/phase.js';
import { pgExecutor } from '../lib/raw-pg.js';
import { RawTransactionDriver } from '../lib/raw-tx.js';
import { newKeysPlan } from '../lib/runner.js';
import { BENCH_SERVER_ENV } from '../lib/server-env.js';
import { RESOURCES_PER_PATIENT } from '../lib/synthea.js';

const NAME = 'transaction/postgres';
const CONCURRENCY = [1, 8];
/** Measured records (48 resources each) per phase and warm-up records, by concurrency, before --scale. */
const COUNT: Record<string, Record<number, number>> = { bundle: { 1: 150, 8: 400 }, single: { 1: 40, 8: 120 } };
const WARMUP: Record<string, Record<number, number>> = { bundle: { 1: 15, 8: 40 }, single: { 1: 4, 8: 16 } };

const HTTP_DRIVER = new URL('../lib/tx-http.ts', import.meta.url).href;

export const transactionScenario: Scenario = {
  name: NAME,
  cases: ['bundle', 'single'].flatMap((op) => CONCURRENCY.map((c) => `${NAME}/${op}/c${c}`)),
  async run(ctx) {
    const dbServer = await createTestDatabase();
    const dbRaw = await createTestDatabase();
    const server = await startServer({ port: 0, host: '127.0.0.1', storage: { kind: 'postgres', connectionString: dbServer.url } }, BENCH_SERVER_ENV);
    const schema = createPostgresAdapter({ connection: dbRaw.url, pool: { max: 1 } });
    await schema.init();
    await schema.close();
    const raw = new RawTransactionDriver('raw pg', pgExecutor(dbRaw.url, 8), server.engine.indexer);
    const http = await ctx.load().open(HTTP_DRIVER, { url: server.url, label: 'Hestia postgres' });
    const perOp = { items: RESOURCES_PER_PATIENT, unit: 'resources' };
    const results = new Map<string, ComparisonResult>();
    try {
      let n = 1;
      const plan = (count: number, c: number) => {
        const p = newKeysPlan(n, count, c);
        n += count;
        return p;
      };
      for (const op of ['bundle', 'single']) {
        for (const c of CONCURRENCY) {
          const caseName = `${NAME}/${op}/c${c}`;
          if (!ctx.selected(caseName)) continue;
          const count = Math.max(c, Math.round(COUNT[op][c] * ctx.scale));
          const warm = Math.max(c, Math.round(WARMUP[op][c] * ctx.scale));
          const spec = { op: op === 'bundle' ? 'transaction' : 'single', warmup: plan(warm, c), plan: plan(count, c) };
          ctx.log(`  ${caseName}: ${count} records of ${RESOURCES_PER_PATIENT} resources (+${warm} warm-up) via HTTP${op === 'bundle' ? ', then raw' : ''}`);
          const s = await serverPhase(ctx, 'Hestia postgres', http, spec, caseName);
          const r: ComparisonResult = { kind: 'comparison', case: caseName, subject: s.side, profile: s.profile, perOp };
          if (op === 'bundle') {
            r.baseline = await localPhase(ctx, raw, spec);
            r.ratio = s.side.stats.opsPerSec / r.baseline.stats.opsPerSec;
          }
          ctx.record(r);
          results.set(caseName, r);
        }
      }
      // Transactions against single creates, per concurrency.
      for (const c of CONCURRENCY) {
        const b = results.get(`${NAME}/bundle/c${c}`), s = results.get(`${NAME}/single/c${c}`);
        if (!b || !s) continue;
        const rate = (x: ComparisonResult) => Math.round(x.subject.stats.opsPerSec * RESOURCES_PER_PATIENT);
        ctx.record({
          kind: 'values', case: `${NAME}/bundle-vs-single/c${c}`,
          values: { 'transaction bundles': rate(b), 'single creates': rate(s), 'bundles ÷ single creates': `${(rate(b) / rate(s)).toFixed(2)}×` },
          units: { 'transaction bundles': 'resources/s', 'single creates': 'resources/s' },
        });
      }
    } finally {
      await http.close();
      await raw.close();
      await server.close();
      await dbServer.drop();
      await dbRaw.drop();
    }
  },
};
