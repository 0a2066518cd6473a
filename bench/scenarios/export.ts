// Bulk $export: the Synthea-like cohort of the search scenario (2,100 patients × 48 = 100,800
// resources) loaded into Hestia on PostgreSQL, then a system-level $export over HTTP (kick-off,
// status polled until the manifest) to a folder and to Azure Blob Storage (Azurite), each next to a
// raw sequential read of the same rows with pg written to NDJSON files (raw-export.ts). Every
// export, Hestia's and the raw one, is read back and checked against the cohort (export-check.ts).
//   export/postgres/folder: Hestia, folder destination, vs raw pg → NDJSON files
//   export/postgres/blob:   Hestia, blob destination (Azurite in a child process), vs the same raw
// Memory: RSS and heap of this process (server and raw baseline run here), sampled every 50 ms.
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { BlobServiceClient } from '@azure/storage-blob';
import { parseExportRequest } from '@hestia/core';
import { startServer, type RunningServer } from '@hestia/server';
import { createTestDatabase } from '../../test/support/postgres.js';
import { startAzuriteProcess, type AzuriteProcess } from '../lib/azurite.js';
import { loadCohort } from '../lib/cohort-load.js';
import type { ComparisonResult, Scenario, Side } from '../lib/context.js';
import { assertSameLines, ExportExpectation, NdjsonChecker, type CheckSummary } from '../lib/export-check.js';
import { MemorySampler, type MemoryGrowth } from '../lib/memory.js';
import { startCpuProfile, summarizeProfile, type ProfileSummary } from '../lib/profile.js';
import { RawExporter, type RawMode } from '../lib/raw-export.js';
import { Cohort } from '../lib/search-queries.js';
import { BENCH_SERVER_ENV } from '../lib/server-env.js';
import { cpuBusy, cpuSnapshot, summarize } from '../lib/stats.js';

const NAME = 'export/postgres';
/** Patients in the cohort (× 48 resources); with --scale below 1, proportionally fewer. */
const PATIENTS = 2100;
/** Measured rounds (raw json, raw text, Hestia folder, Hestia blob, interleaved), after one warm-up round. */
const ROUNDS = 3;
/** Status polls while a job runs. */
const POLL_MS = 20;
const CONTAINER = 'hestia-bench-export';
/** The size limit of the memory store startAzurite() gives Azurite. */
const AZURITE_STORE_BYTES = 512 * 1024 * 1024;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (b: number) => Math.round((b / 1048576) * 10) / 10;

/** One export, timed, with memory, event-loop and machine figures. */
interface Run {
  ms: number;
  mem: MemoryGrowth;
  elu: number;
  /** Whole machine busy share. */
  cpu?: number;
  /** CPU seconds used by this process (server or raw baseline), and by Azurite, during the export. */
  processCpu: number;
  azuriteCpu?: number;
  check: CheckSummary;
  profile?: ProfileSummary;
  rawProfile?: unknown;
}

type Phase = 'raw json' | 'raw text' | 'folder' | 'blob';

export const exportScenario: Scenario = {
  name: NAME,
  cases: [`${NAME}/folder`, `${NAME}/blob`],
  async run(ctx) {
    const wantFolder = ctx.selected(`${NAME}/folder`), wantBlob = ctx.selected(`${NAME}/blob`);
    const patients = Math.max(50, Math.round(PATIENTS * Math.min(1, ctx.scale)));
    const rounds = ctx.scale < 1 ? 1 : ROUNDS;
    const root = await ctx.tmpDir('hestia-bench-export-');
    const db = await createTestDatabase();
    // The two servers share the database (and its job table): a long poll interval keeps each one's
    // runner from claiming the other's jobs (a kick-off wakes its own server's runner at once).
    const quiet = { pollSeconds: 3600 };
    // Job start/end lines of the app log would be interleaved with the report.
    const logs = { observability: { logLevel: 'warn' } };
    const servers: RunningServer[] = [];
    let azurite: AzuriteProcess | undefined;
    let raw: RawExporter | undefined;
    try {
      const folderServer = await startServer({
        port: 0, host: '127.0.0.1', storage: { kind: 'postgres', connectionString: db.url }, ...logs,
        export: { ...quiet, destination: 'folder', folder: join(root, 'hestia') },
      }, BENCH_SERVER_ENV);
      servers.push(folderServer);
      let blobServer: RunningServer | undefined;
      if (wantBlob) {
        azurite = await startAzuriteProcess();
        blobServer = await startServer({
          port: 0, host: '127.0.0.1', storage: { kind: 'postgres', connectionString: db.url }, ...logs,
          export: { ...quiet, destination: 'blob', folder: join(root, 'unused'), blob: { connectionString: azurite.connectionString, container: CONTAINER } },
        }, BENCH_SERVER_ENV);
        servers.push(blobServer);
      }
      const cohort = new Cohort(patients);
      await loadCohort(ctx, folderServer, cohort, db.url, `${NAME}/load`);
      const expect = new ExportExpectation(cohort);
      // The types a system-level export walks (all of them, in this order), and its page size.
      const { types } = await parseExportRequest(folderServer.engine, 'system', []);
      const pageSize = folderServer.config.export.pageSize;
      raw = await RawExporter.connect(db.url);
      const container = azurite ? BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(CONTAINER) : undefined;

      let reference: CheckSummary | undefined;
      const same = (check: CheckSummary, what: string) => {
        if (reference) return assertSameLines(check, what, reference, 'the first raw export');
        reference = check;
        // Azurite keeps blobs in a memory store capped at 512 MB (test/support/azurite.ts), and deleting
        // a blob does not give its space back at once: every blob export of the run must fit.
        const blobBytes = check.bytes * (rounds + 1);
        if (wantBlob && blobBytes > AZURITE_STORE_BYTES * 0.9) {
          throw new Error(`The blob exports of this run would write ${mb(blobBytes)} MB to Azurite, whose memory store holds ${mb(AZURITE_STORE_BYTES)} MB: use fewer rounds or a smaller cohort.`);
        }
      };

      const rawRun = async (mode: RawMode): Promise<Run> => {
        const dir = await mkdtemp(join(root, `raw-${mode}-`));
        const cpu0 = await cpuSnapshot();
        const sampler = new MemorySampler();
        const elu0 = performance.eventLoopUtilization();
        const own0 = process.cpuUsage();
        const t0 = performance.now();
        const out = await raw!.run(dir, types, pageSize, mode);
        const ms = performance.now() - t0;
        const elu = performance.eventLoopUtilization(elu0).utilization;
        const own = process.cpuUsage(own0);
        const cpu = cpuBusy(cpu0, await cpuSnapshot());
        const mem = sampler.stop();
        const checker = new NdjsonChecker(expect, `raw ${mode} export`);
        for (const [type, file] of out.files) await checker.file(type, file, createReadStream(file), out.counts.get(type));
        const check = checker.finish();
        same(check, `raw ${mode} export`);
        await rm(dir, { recursive: true, force: true });
        return { ms, mem, elu, cpu, processCpu: (own.user + own.system) / 1e6, check };
      };

      const hestiaRun = async (server: RunningServer, dest: 'folder' | 'blob', profile: boolean): Promise<Run> => {
        const what = `Hestia ${dest} export`;
        const cpu0 = await cpuSnapshot();
        const stopProfile = profile ? await startCpuProfile() : undefined;
        const sampler = new MemorySampler();
        const elu0 = performance.eventLoopUtilization();
        const az0 = dest === 'blob' ? await azurite!.cpuSeconds() : undefined;
        const own0 = process.cpuUsage();
        const t0 = performance.now();
        const statusUrl = await kickoff(server.url, '$export');
        const manifest = await waitForManifest(statusUrl, Math.max(300, ctx.maxSeconds * 10) * 1000);
        const ms = performance.now() - t0;
        const elu = performance.eventLoopUtilization(elu0).utilization;
        const own = process.cpuUsage(own0);
        const az1 = dest === 'blob' ? await azurite!.cpuSeconds() : undefined;
        const p = stopProfile ? await stopProfile() : undefined;
        const cpu = cpuBusy(cpu0, await cpuSnapshot());
        const mem = sampler.stop();
        // The manifest first: counts by type must be the cohort's before anything is downloaded.
        const byType = new Map<string, number>();
        for (const o of manifest.output) byType.set(o.type, (byType.get(o.type) ?? 0) + o.count);
        const total = [...byType.values()].reduce((a, b) => a + b, 0);
        if (total !== expect.total) throw new Error(`${what}: the manifest counts ${total} resources, ${expect.total} were loaded`);
        for (const [type, n] of expect.counts) if (byType.get(type) !== n) throw new Error(`${what}: the manifest counts ${byType.get(type) ?? 0} ${type}, ${n} were loaded`);
        if (manifest.error.length) throw new Error(`${what}: the manifest lists errors: ${JSON.stringify(manifest.error)}`);
        // The files are where the destination says.
        const jobId = statusUrl.split('/').pop()!;
        const names = manifest.output.map((o) => o.url.split('/').pop()!).sort();
        const stored = dest === 'folder'
          ? (await readdir(join(root, 'hestia', jobId))).sort()
          : await blobNames(container!, `${jobId}/`);
        if (JSON.stringify(stored) !== JSON.stringify(names)) throw new Error(`${what}: the ${dest} holds ${stored.join(', ')}, the manifest lists ${names.join(', ')}`);
        // Every file downloaded through the server and checked line by line.
        const checker = new NdjsonChecker(expect, what);
        for (const o of manifest.output) {
          const res = await fetch(o.url);
          if (res.status !== 200 || !res.body) throw new Error(`${what}: download ${o.url}: ${res.status} ${await res.text()}`);
          await checker.file(o.type, o.url.split('/').pop()!, Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>), o.count);
        }
        const check = checker.finish();
        same(check, what);
        // Done with the job: DELETE removes its files (and keeps Azurite's memory flat).
        const del = await fetch(statusUrl, { method: 'DELETE' });
        await del.arrayBuffer();
        if (del.status !== 202) throw new Error(`${what}: DELETE ${statusUrl}: ${del.status}`);
        return { ms, mem, elu, cpu, processCpu: (own.user + own.system) / 1e6, azuriteCpu: az0 !== undefined && az1 !== undefined ? az1 - az0 : undefined, check, profile: p ? summarizeProfile(p) : undefined, rawProfile: p };
      };

      const phases: Phase[] = ['raw json', 'raw text', ...(wantFolder ? ['folder' as const] : []), ...(wantBlob ? ['blob' as const] : [])];
      const runs = new Map<Phase, Run[]>(phases.map((p) => [p, []]));
      ctx.log(`  ${rounds} measured round${rounds > 1 ? 's' : ''} after a warm-up round, each: ${phases.join(', ')} (system-level export of ${types.length} types, page size ${pageSize}); every export read back and checked`);
      for (let round = 0; round <= rounds; round++) {
        const measured = round > 0;
        for (const phase of phases) {
          const r = phase === 'raw json' ? await rawRun('json')
            : phase === 'raw text' ? await rawRun('text')
            : await hestiaRun(phase === 'folder' ? folderServer : blobServer!, phase, measured && ctx.profile);
          ctx.log(`  ${measured ? `round ${round}` : 'warm-up'}: ${phase.padEnd(8)} ${(r.ms / 1000).toFixed(2).padStart(6)} s, ${Math.round((expect.total * 1000) / r.ms).toString().padStart(6)} resources/s, ` +
            `peak growth RSS ${mb(r.mem.rss)} MB, heap ${mb(r.mem.heapUsed)} MB (retained ${mb(r.mem.heapRetained)} MB); ELU ${Math.round(r.elu * 100)} %, CPU ${r.cpu === undefined ? '-' : Math.round(r.cpu * 100)} %, ` +
            `process CPU ${r.processCpu.toFixed(2)} s${r.azuriteCpu === undefined ? '' : `, Azurite CPU ${r.azuriteCpu.toFixed(2)} s`}; ${r.check.sampled} lines compared with the generator`);
          if (measured) runs.get(phase)!.push(r);
        }
      }

      // Figures are medians over the rounds (one busy moment of the machine moves a mean a lot):
      // ops/s = 1 / median duration, and the table's p50/p99 are the durations' median and max.
      const perOp = { items: expect.total, unit: 'resources' };
      const median = (xs: number[]) => {
        const s = [...xs].sort((a, b) => a - b);
        return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
      };
      const side = (label: string, rs: Run[], server: boolean): Side => {
        const durations = rs.map((r) => r.ms);
        const stats = summarize(durations, median(durations) * rs.length, 1);
        const elu = median(rs.map((r) => r.elu));
        const cpus = rs.flatMap((r) => (r.cpu === undefined ? [] : [r.cpu]));
        const machineCpu = cpus.length ? median(cpus) : undefined;
        return server ? { label, stats, serverElu: elu, machineCpu } : { label, stats: { ...stats, elu }, machineCpu };
      };
      const rate = (rs: Run[]) => Math.round((expect.total * 1000) / median(rs.map((r) => r.ms)));
      const baseline = side('raw pg → NDJSON', runs.get('raw json')!, false);
      for (const dest of ['folder', 'blob'] as const) {
        const rs = runs.get(dest);
        if (!rs) continue;
        const caseName = `${NAME}/${dest}`;
        const subject = side(`Hestia ${dest}`, rs, true);
        const last = rs[rs.length - 1];
        if (last.rawProfile) {
          const dir = join(ctx.resultsDir, 'profiles');
          await mkdir(dir, { recursive: true });
          await writeFile(join(dir, `${caseName.replace(/\//g, '_')}.cpuprofile`), JSON.stringify(last.rawProfile));
        }
        const r: ComparisonResult = { kind: 'comparison', case: caseName, subject, baseline, ratio: subject.stats.opsPerSec / baseline.stats.opsPerSec, perOp, profile: last.profile };
        ctx.record(r);
      }
      const rawJson = runs.get('raw json')!, rawText = runs.get('raw text')!;
      // Memory: median of the rounds, and the largest, of peak RSS and heap growth over the value just before the export.
      const memValues: Record<string, string> = {};
      const memUnits: Record<string, string> = {};
      for (const [label, rs] of [['raw pg', rawJson], ['Hestia folder', runs.get('folder')], ['Hestia blob', runs.get('blob')]] as const) {
        if (!rs) continue;
        const fig = (k: 'rss' | 'heapUsed') => `${mb(median(rs.map((r) => r.mem[k])))} (max ${mb(Math.max(...rs.map((r) => r.mem[k])))})`;
        memValues[`${label}: peak RSS growth`] = fig('rss');
        memValues[`${label}: peak heap growth`] = fig('heapUsed');
        memUnits[`${label}: peak RSS growth`] = memUnits[`${label}: peak heap growth`] = 'MB';
      }
      memValues['heap retained after GC (max)'] = String(mb(Math.max(...[...runs.values()].flat().map((r) => r.mem.heapRetained))));
      memValues['RSS before'] = String(mb(median([...runs.values()].flat().map((r) => r.mem.rssStart))));
      memUnits['heap retained after GC (max)'] = memUnits['RSS before'] = 'MB';
      ctx.record({ kind: 'values', case: `${NAME}/memory`, values: memValues, units: memUnits });
      // CPU seconds per export (medians): this process (the server, or the raw baseline) and Azurite.
      const cpuValues: Record<string, number> = {};
      const r2 = (x: number) => Math.round(x * 100) / 100;
      for (const [label, rs] of [['raw pg (json)', rawJson], ['raw pg (text)', rawText], ['Hestia folder', runs.get('folder')], ['Hestia blob', runs.get('blob')]] as const) {
        if (rs) cpuValues[label] = r2(median(rs.map((r) => r.processCpu)));
      }
      const azCpu = (runs.get('blob') ?? []).flatMap((r) => (r.azuriteCpu === undefined ? [] : [r.azuriteCpu]));
      if (azCpu.length) cpuValues['Azurite (blob)'] = r2(median(azCpu));
      ctx.record({ kind: 'values', case: `${NAME}/cpu`, values: cpuValues, units: Object.fromEntries(Object.keys(cpuValues).map((k) => [k, 's'])) });
      ctx.record({
        kind: 'values', case: `${NAME}/raw`,
        values: {
          'rounds': rounds,
          'raw pg (json column parsed, JSON.stringify)': rate(rawJson),
          'raw pg (content::text as stored)': rate(rawText),
          'NDJSON written': mb(reference!.bytes),
        },
        units: { 'raw pg (json column parsed, JSON.stringify)': 'resources/s', 'raw pg (content::text as stored)': 'resources/s', 'NDJSON written': 'MB' },
      });
    } finally {
      await raw?.close();
      for (const s of servers) await s.close();
      await azurite?.stop();
      await db.drop();
    }
  },
};

interface Manifest {
  transactionTime: string;
  request: string;
  output: { type: string; url: string; count: number }[];
  error: unknown[];
}

/** Kicks off an export at `path` (e.g. `$export`) the way a bulk data client does; returns the status URL. */
async function kickoff(base: string, path: string): Promise<string> {
  const res = await fetch(`${base}/${path}`, { headers: { accept: 'application/fhir+json', prefer: 'respond-async' } });
  const text = await res.text();
  const location = res.headers.get('content-location');
  if (res.status !== 202 || !location || !/\/_operations\/export\/[0-9a-f-]{36}$/.test(location)) throw new Error(`kick-off ${path}: ${res.status} ${location ?? '(no Content-Location)'} ${text}`);
  return location;
}

/** Polls the status URL until the manifest (200); any other status than 202 fails. */
async function waitForManifest(statusUrl: string, timeoutMs: number): Promise<Manifest> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const res = await fetch(statusUrl);
    if (res.status === 200) return (await res.json()) as Manifest;
    const text = await res.text();
    if (res.status !== 202) throw new Error(`export status ${statusUrl}: ${res.status} ${text}`);
    if (performance.now() > end) throw new Error(`export at ${statusUrl} did not finish in ${timeoutMs} ms`);
    await sleep(POLL_MS);
  }
}

async function blobNames(container: import('@azure/storage-blob').ContainerClient, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const b of container.listBlobsFlat({ prefix })) out.push(b.name.slice(prefix.length));
  return out.sort();
}
