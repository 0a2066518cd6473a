// Hestia benchmarks: `npm run bench [-- <filter>…] [--scale=0.2] [--profile] [--list]`.
// A filter selects the cases whose name contains it (crud/postgres/create/c8, startup/embedded …);
// several filters select the union. Results go to stdout and bench/results/latest.json.
import { execFileSync } from 'node:child_process';
import { cpus, tmpdir, totalmem } from 'node:os';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchContext, Result } from './lib/context.js';
import { LoadWorker } from './lib/load-client.js';
import { formatProfile } from './lib/profile.js';
import { finalReport, meteredLine, ratioLine, valuesLine, writeJson } from './lib/report.js';
import { cpuBusy, cpuSnapshot } from './lib/stats.js';
import { scenarios } from './scenarios/index.js';

const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));

interface Args { filters: string[]; scale: number; maxSeconds: number; profile: boolean; list: boolean }

function parseArgs(argv: string[]): Args {
  const a: Args = { filters: [], scale: 1, maxSeconds: 20, profile: false, list: false };
  for (const arg of argv) {
    const [k, v] = arg.split('=', 2);
    if (k === '--scale') a.scale = Number(v);
    else if (k === '--max-seconds') a.maxSeconds = Number(v);
    else if (k === '--profile') a.profile = true;
    else if (k === '--list') a.list = true;
    else if (k.startsWith('--')) throw new Error(`Unknown option ${k}`);
    else a.filters.push(arg);
  }
  if (!(a.scale > 0) || !(a.maxSeconds > 0)) throw new Error('--scale and --max-seconds need positive numbers');
  return a;
}

function environment(): Record<string, unknown> {
  const git = (args: string[]) => {
    try {
      return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return undefined;
    }
  };
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model,
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    commit: git(['rev-parse', '--short', 'HEAD']),
    dirty: git(['status', '--porcelain'])?.length ? true : undefined,
  };
}

/** Share of the machine busy over one second before the run: other work skews every figure. */
async function foreignLoad(): Promise<number | undefined> {
  const a = await cpuSnapshot();
  await new Promise((r) => setTimeout(r, 1000));
  return cpuBusy(a, await cpuSnapshot());
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const selected = (c: string) => !args.filters.length || args.filters.some((f) => c.includes(f));
  const chosen = scenarios.filter((s) => s.cases.some(selected));
  if (args.list) {
    for (const s of scenarios) for (const c of s.cases) console.log(`${selected(c) ? '*' : ' '} ${c}`);
    return;
  }
  if (!chosen.length) throw new Error(`No case matches ${args.filters.join(', ')} (see --list).`);

  const results: Result[] = [];
  const tmpDirs: string[] = [];
  let worker: LoadWorker | undefined;
  const ctx: BenchContext = {
    scale: args.scale,
    maxSeconds: args.maxSeconds,
    profile: args.profile,
    resultsDir: RESULTS_DIR,
    selected,
    record(r) {
      results.push(r);
      console.log(`  → ${r.kind === 'comparison' ? ratioLine(r) : r.kind === 'metered' ? meteredLine(r) : valuesLine(r)}`);
      if (r.kind !== 'values' && r.profile) console.log(formatProfile(r.profile));
    },
    log: (m) => console.log(m),
    load: () => (worker ??= new LoadWorker()),
    async tmpDir(prefix) {
      const d = await mkdtemp(join(tmpdir(), prefix));
      tmpDirs.push(d);
      return d;
    },
  };

  const started = Date.now();
  const env = environment();
  env.busyBeforeRun = await foreignLoad();
  console.log(`Hestia bench: ${env.cores} × ${env.cpu}, node ${env.node}${args.scale !== 1 ? `, scale ${args.scale}` : ''}${args.profile ? ', profiling (figures are slower)' : ''}`);
  const busy = Number(env.busyBeforeRun ?? 0);
  if (busy > 0.15) console.log(`WARNING: the machine was ${Math.round(busy * 100)} % busy before the run started; other processes will skew these figures.`);
  try {
    for (const s of chosen) {
      console.log(`\n${s.name}`);
      await s.run(ctx);
    }
  } finally {
    await worker?.terminate();
    for (const d of tmpDirs) await rm(d, { recursive: true, force: true });
  }
  const seconds = (Date.now() - started) / 1000;
  console.log(`\n${finalReport(results)}\n`);
  if (busy > 0.15) console.log(`WARNING: the machine was ${Math.round(busy * 100)} % busy before the run started (see above).`);
  const file = join(RESULTS_DIR, 'latest.json');
  await writeJson(file, { environment: env, options: { ...args, list: undefined }, seconds, results });
  console.log(`Done in ${seconds.toFixed(0)} s; results in ${file}`);
}

main().catch((e: unknown) => {
  console.error(`\nBENCHMARK FAILED: ${(e as Error)?.stack ?? String(e)}`);
  process.exit(1);
});
