// Cosmos DB: Hestia on the Cosmos adapter, against the emulator @zeit/cosmosdb-server started in this
// process (plain HTTP, as in the tests), with the request units (RU) every operation cost, read from
// each response's x-ms-request-charge. The emulator charges exactly 1 RU per database call, so here
// RU/op counts the adapter's calls per operation; latencies include the emulator's own work (it
// runs on the server's thread, evaluating every query over every document). No raw baseline.
//   cosmos/load: a Synthea-like cohort (synthea.ts) as one batch Bundle of 48 PUTs per patient
//                (recorded when a search runs; not selectable on its own)
//   cosmos/search/<search>/c1: searches of search-queries.ts over that cohort, checked against it
//   cosmos/{create,update,read}/c<n>: POST, PUT with If-Match, GET of ~2.5 KB Patients (crud-http.ts)
// Searches run before the CRUD phases: the Patients those create would otherwise match family searches.
import type { AddressInfo } from 'node:net';
import { createHttpServer } from '@zeit/cosmosdb-server';
import { startServer, type RunningServer } from '@hestia/server';
import type { ChargeReport } from '../lib/cosmos-http.js';
import type { BenchContext, Scenario } from '../lib/context.js';
import type { RemoteDriver } from '../lib/load-client.js';
import { serverPhase, type PhaseSpec } from '../lib/phase.js';
import { existingKeysPlan, newKeysPlan } from '../lib/runner.js';
import { Cohort, type SearchOp } from '../lib/search-queries.js';
import { BENCH_SERVER_ENV } from '../lib/server-env.js';
import { CONDITIONS, ENCOUNTERS, OBS_CODES, RESOURCES_PER_PATIENT, WELLNESS } from '../lib/synthea.js';

const NAME = 'cosmos';
/** Patients in the cohort (× 48 resources); with --scale below 1, proportionally fewer (at least 20). */
const PATIENTS = 50;
/** Batch bundles in flight while loading (each runs its 48 entries one after the other). */
const LOAD_CONCURRENCY = 4;
const SEARCHES: SearchOp[] = ['family', 'subject-code', 'code-date', 'chain', 'include', 'revinclude'];
const CRUD = ['create', 'update', 'read'] as const;
/**
 * Searches at concurrency 1 only: the emulator evaluates every query over every document on the
 * server's thread, so at 8 they would only queue behind each other (their charges do not change).
 */
const SEARCH_CONCURRENCY = [1];
const CRUD_CONCURRENCY = [1, 8];
/** Measured operations per phase, by concurrency, before --scale (warm-up: a tenth more). */
const SEARCH_COUNT: Record<number, number> = { 1: 30 };
const CRUD_COUNT: Record<number, number> = { 1: 150, 8: 300 };
/** Patients to create first when updates or reads run without the create phases. */
const SEED = 200;

const HTTP_DRIVER = new URL('../lib/cosmos-http.ts', import.meta.url).href;
const searchCase = (op: string, c: number) => `${NAME}/search/${op}/c${c}`;
const crudCase = (op: string, c: number) => `${NAME}/${op}/c${c}`;

export const cosmosScenario: Scenario = {
  name: NAME,
  cases: [...SEARCHES.flatMap((op) => SEARCH_CONCURRENCY.map((c) => searchCase(op, c))), ...CRUD.flatMap((op) => CRUD_CONCURRENCY.map((c) => crudCase(op, c)))],
  async run(ctx) {
    const emulator = createHttpServer();
    emulator.on('request', () => requests.n++);
    await new Promise<void>((resolve) => emulator.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(emulator.address() as AddressInfo).port}`;
    let server: RunningServer | undefined;
    let http: RemoteDriver | undefined;
    try {
      server = await startServer({
        port: 0, host: '127.0.0.1',
        storage: { kind: 'cosmos', cosmos: { endpoint, key: 'emulator', database: 'hestia-bench', endpointDiscovery: false } },
        // No export worker: its polls (every 2 s) would query the emulator on this thread between operations.
        export: { enabled: false },
      }, BENCH_SERVER_ENV);
      const patients = Math.max(20, Math.round(PATIENTS * Math.min(1, ctx.scale)));
      http = await ctx.load().open(HTTP_DRIVER, { url: server.url, label: 'Hestia cosmos', patients });
      ctx.log(`  Cosmos DB emulator (@zeit/cosmosdb-server, in process) at ${endpoint}; Hestia at ${server.url}`);
      if (SEARCHES.some((op) => SEARCH_CONCURRENCY.some((c) => ctx.selected(searchCase(op, c))))) {
        await load(ctx, server, http, patients);
        await searches(ctx, http);
      }
      await crud(ctx, http);
    } finally {
      await http?.close();
      await server?.close();
      emulator.closeAllConnections();
      await new Promise<void>((resolve) => emulator.close(() => resolve()));
    }
  },
};

/** HTTP requests the emulator has received (nothing else calls it while a phase runs: the export worker is off). */
const requests = { n: 0 };

/**
 * Runs a phase and records it with its charges (the driver's report) and the emulator's requests per
 * operation. The warm-up runs first, on its own, so that the count covers the measured operations only.
 */
async function phase(ctx: BenchContext, http: RemoteDriver, spec: PhaseSpec, caseName: string, perOp?: { items: number; unit: string })
  : Promise<{ charge: ChargeReport; size?: number }> {
  if (spec.warmup.flat().length) {
    await http.prepare(spec.op, spec.warmup);
    await http.measure(spec.op, spec.warmup, ctx.maxSeconds);
  }
  const before = requests.n;
  const r = await serverPhase(ctx, 'Hestia cosmos', http, { ...spec, warmup: [] }, caseName);
  const calls = (requests.n - before) / r.side.stats.ops;
  // (a phase stopped early by --max-seconds has fewer operations, and as many charges)
  const charge = r.report as ChargeReport | undefined;
  if (!charge || charge.ops !== r.side.stats.ops) throw new Error(`${caseName}: charges of ${charge?.ops} operations for ${r.side.stats.ops} measured`);
  ctx.record({
    kind: 'metered', case: caseName, subject: r.side, profile: r.profile,
    charge: { mean: charge.mean, min: charge.min, max: charge.max, unit: 'RU', counts: charge.counts }, calls,
    ...(perOp ? { perOp } : {}),
  });
  ctx.log(`    RU per operation: ${Object.entries(charge.counts).sort((a, b) => Number(a[0]) - Number(b[0])).map(([ru, n]) => `${ru} × ${n}`).join(', ')}`);
  return { charge, size: r.size };
}

/** Loads the cohort through the server (batch bundles of PUTs), then checks what each type holds. */
async function load(ctx: BenchContext, server: RunningServer, http: RemoteDriver, patients: number): Promise<void> {
  const cohort = new Cohort(patients);
  ctx.log(`  ${NAME}/load: ${patients} patients (${cohort.resources} resources), one batch Bundle of ${RESOURCES_PER_PATIENT} PUTs each, ${LOAD_CONCURRENCY} in flight`);
  // The whole cohort must be loaded: --max-seconds does not cut this phase short.
  const whole = { ...ctx, maxSeconds: Infinity };
  await phase(whole, http, { op: 'load', warmup: [], plan: newKeysPlan(1, patients, LOAD_CONCURRENCY) }, `${NAME}/load`, { items: RESOURCES_PER_PATIENT, unit: 'resources' });
  const expected: Record<string, number> = { Patient: 1, Encounter: ENCOUNTERS, Condition: CONDITIONS, Observation: WELLNESS * OBS_CODES.length };
  for (const [type, per] of Object.entries(expected)) {
    const res = await fetch(`${server.url}/${type}?_summary=count`, { headers: { Accept: 'application/fhir+json' } });
    const total = res.ok ? ((await res.json()) as { total?: number }).total : undefined;
    if (total !== per * patients) throw new Error(`load: ${type}?_summary=count answers ${res.status} total ${total}, expected ${per * patients}`);
  }
}

async function searches(ctx: BenchContext, http: RemoteDriver): Promise<void> {
  const scaled = (n: number) => Math.max(8, Math.round(n * ctx.scale));
  let key = 0;
  for (const op of SEARCHES) {
    for (const c of SEARCH_CONCURRENCY) {
      const caseName = searchCase(op, c);
      if (!ctx.selected(caseName)) continue;
      const count = scaled(SEARCH_COUNT[c]);
      const warm = Math.max(c, Math.round(count / 10));
      const spec = { op, warmup: newKeysPlan(key, warm, c), plan: newKeysPlan(key + warm, count, c) };
      key += warm + count;
      ctx.log(`  ${caseName}: ${count} searches (+${warm} warm-up) via HTTP`);
      await phase(ctx, http, spec, caseName);
    }
  }
}

async function crud(ctx: BenchContext, http: RemoteDriver): Promise<void> {
  const scaled = (n: number) => Math.max(8, Math.round(n * ctx.scale));
  let nextPatient = 1, size = 0, offset = 0;
  const newPlan = (count: number, c: number) => {
    const plan = newKeysPlan(nextPatient, count, c);
    nextPatient += count;
    return plan;
  };
  for (const op of CRUD) {
    for (const c of CRUD_CONCURRENCY) {
      const caseName = crudCase(op, c);
      if (!ctx.selected(caseName)) continue;
      const count = scaled(CRUD_COUNT[c]);
      const warm = Math.max(c, Math.round(count / 10));
      if (op !== 'create' && size < Math.min(SEED, count)) {
        ctx.log(`  seeding ${SEED} patients`);
        const plan = newPlan(SEED, 8);
        await http.prepare('create', plan);
        size = (await http.measure('create', plan)).size ?? 0;
      }
      let spec: PhaseSpec;
      if (op === 'create') {
        spec = { op, warmup: newPlan(warm, c), plan: newPlan(count, c) };
      } else {
        // Warm-up and measured operations touch items from different offsets of the ledger.
        spec = { op, warmup: existingKeysPlan(size, warm, c, offset), plan: existingKeysPlan(size, count, c, offset + Math.ceil(warm / c)) };
        offset += Math.ceil((warm + count) / c);
      }
      ctx.log(`  ${caseName}: ${count} ops (+${warm} warm-up) via HTTP`);
      // Creates add to the ledger that updates and reads work through.
      size = (await phase(ctx, http, spec, caseName)).size ?? size;
    }
  }
}
