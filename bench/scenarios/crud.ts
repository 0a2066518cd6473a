// CRUD: create, update (If-Match) and read of ~2 KB Patients through the HTTP server, each next to
// a raw baseline writing/reading the same rows straight through the database driver.
//   crud/postgres/<op>/c<n>: Hestia on PostgreSQL vs pg on a second database with the same schema
//   crud/embedded/<op>/c<n>: Hestia on embedded PGlite vs PGlite used directly (its own folder)
import { join } from 'node:path';
import { startServer, type RunningServer } from '@hestia/server';
import { createEmbeddedAdapter, createPostgresAdapter } from '@hestia/persistence-postgres';
import { createTestDatabase } from '../../test/support/postgres.js';
import type { BenchContext, Scenario } from '../lib/context.js';
import type { RemoteDriver } from '../lib/load-client.js';
import { serverPhase, localPhase, type PhaseSpec } from '../lib/phase.js';
import { RawCrudDriver } from '../lib/raw-crud.js';
import { BENCH_SERVER_ENV } from '../lib/server-env.js';
import { pgExecutor } from '../lib/raw-pg.js';
import { pgliteExecutor } from '../lib/raw-pglite.js';
import { existingKeysPlan, measure, newKeysPlan } from '../lib/runner.js';

const OPS = ['create', 'update', 'read'] as const;
const CONCURRENCY = [1, 8];
/** Measured operations and warm-up operations per phase, by concurrency (before --scale). */
const COUNT: Record<number, number> = { 1: 2000, 8: 4000 };
const WARMUP: Record<number, number> = { 1: 200, 8: 400 };
/** Resources to create first when updates or reads run without the create phases. */
const SEED = 1000;

const HTTP_DRIVER = new URL('../lib/crud-http.ts', import.meta.url).href;

interface Setup {
  server: RunningServer;
  http: RemoteDriver;
  raw: RawCrudDriver;
  close(): Promise<void>;
}

type Backend = 'postgres' | 'embedded';

export function crudScenario(backend: Backend): Scenario {
  const name = `crud/${backend}`;
  return {
    name,
    cases: OPS.flatMap((op) => CONCURRENCY.map((c) => `${name}/${op}/c${c}`)),
    async run(ctx) {
      const s = backend === 'postgres' ? await setupPostgres(ctx) : await setupEmbedded(ctx);
      try {
        await runCases(ctx, name, s);
      } finally {
        await s.close();
      }
    },
  };
}

async function runCases(ctx: BenchContext, name: string, s: Setup): Promise<void> {
  const scaled = (n: number) => Math.max(8, Math.round(n * ctx.scale));
  let nextPatient = 1;
  const sizes = { server: 0, raw: 0 };
  let offset = 0;
  const newPlan = (count: number, c: number) => {
    const plan = newKeysPlan(nextPatient, count, c);
    nextPatient += count;
    return plan;
  };
  const sizeNow = () => Math.min(sizes.server, sizes.raw);

  for (const op of OPS) {
    for (const c of CONCURRENCY) {
      const caseName = `${name}/${op}/c${c}`;
      if (!ctx.selected(caseName)) continue;
      const count = scaled(COUNT[c]);
      const warm = scaled(WARMUP[c]);
      if (op !== 'create' && sizeNow() < Math.min(SEED, count)) {
        ctx.log(`  seeding ${SEED} patients on both sides`);
        const plan = newPlan(SEED, 8);
        await s.http.prepare('create', plan);
        sizes.server = (await s.http.measure('create', plan)).size ?? 0;
        s.raw.prepare('create', plan);
        await measure(s.raw, 'create', plan);
        sizes.raw = s.raw.size();
      }
      let spec: PhaseSpec;
      if (op === 'create') {
        spec = { op, warmup: newPlan(warm, c), plan: newPlan(count, c) };
      } else {
        // Warm-up and measured operations touch items from different offsets of the ledger.
        spec = { op, warmup: existingKeysPlan(sizeNow(), warm, c, offset), plan: existingKeysPlan(sizeNow(), count, c, offset + Math.ceil(warm / c)) };
        offset += Math.ceil((warm + count) / c);
      }
      ctx.log(`  ${caseName}: ${count} ops (+${warm} warm-up) via HTTP, then raw`);
      const server = await serverPhase(ctx, `Hestia ${name.split('/')[1]}`, s.http, spec, caseName);
      sizes.server = server.size ?? sizes.server;
      const raw = await localPhase(ctx, s.raw, spec);
      sizes.raw = s.raw.size();
      ctx.record({ kind: 'comparison', case: caseName, subject: server.side, baseline: raw, ratio: server.side.stats.opsPerSec / raw.stats.opsPerSec, profile: server.profile });
    }
  }
}

const serverOptions = { port: 0, host: '127.0.0.1' };

async function setupPostgres(ctx: BenchContext): Promise<Setup> {
  const dbServer = await createTestDatabase();
  const dbRaw = await createTestDatabase();
  const server = await startServer({ ...serverOptions, storage: { kind: 'postgres', connectionString: dbServer.url } }, BENCH_SERVER_ENV);
  // The raw side gets the same schema through the adapter's migrations.
  const schema = createPostgresAdapter({ connection: dbRaw.url, pool: { max: 1 } });
  await schema.init();
  await schema.close();
  const raw = new RawCrudDriver('raw pg', pgExecutor(dbRaw.url, 8), server.engine.indexer);
  const http = await ctx.load().open(HTTP_DRIVER, { url: server.url, label: 'Hestia postgres' });
  return {
    server, http, raw,
    async close() {
      await http.close();
      await raw.close();
      await server.close();
      await dbServer.drop();
      await dbRaw.drop();
    },
  };
}

async function setupEmbedded(ctx: BenchContext): Promise<Setup> {
  const dir = await ctx.tmpDir('hestia-bench-embedded-');
  const server = await startServer({ ...serverOptions, storage: { kind: 'embedded', dataDir: join(dir, 'server') } }, BENCH_SERVER_ENV);
  const rawDir = join(dir, 'raw');
  const schema = await createEmbeddedAdapter({ dataDir: rawDir });
  await schema.init();
  await schema.close();
  const raw = new RawCrudDriver('raw PGlite', await pgliteExecutor(rawDir), server.engine.indexer);
  const http = await ctx.load().open(HTTP_DRIVER, { url: server.url, label: 'Hestia embedded' });
  return {
    server, http, raw,
    async close() {
      await http.close();
      await raw.close();
      await server.close();
    },
  };
}
