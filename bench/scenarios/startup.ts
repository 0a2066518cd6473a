// Embedded start: how long startServer takes on a fresh folder (creates the database) and when
// reopening it, and the memory of the process right after start. Each start is its own process.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Scenario } from '../lib/context.js';

const CHILD = fileURLToPath(new URL('./start-child.ts', import.meta.url));
const REOPENS = 3;

interface ChildFigures { importMs: number; startMs: number; firstRequestMs: number; sinceProcessStartMs: number; rssMb: number; heapUsedMb: number }

function child(args: string[]): Promise<ChildFigures> {
  // Same loader flags as this process (tsx, source condition), without profiling flags.
  const flags = process.execArgv.filter((a) => !a.startsWith('--cpu-prof') && !a.startsWith('--inspect'));
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [...flags, CHILD, ...args], { cwd: process.cwd(), env: process.env }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`start child failed: ${err.message}\n${stderr}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop()!) as ChildFigures);
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const r1 = (x: number) => Math.round(x * 10) / 10;

export const startupScenario: Scenario = {
  name: 'startup/embedded',
  cases: ['startup/embedded'],
  async run(ctx) {
    const dir = join(await ctx.tmpDir('hestia-bench-start-'), 'data');
    ctx.log('  startup/embedded: fresh folder, then reopen');
    const bare = await child(['bare']);
    const fresh = await child(['start', dir]);
    const reopen: ChildFigures[] = [];
    for (let i = 0; i < REOPENS; i++) reopen.push(await child(['start', dir]));
    const last = reopen[reopen.length - 1];
    const pglite = await child(['pglite', dir]);
    ctx.record({
      kind: 'values',
      case: 'startup/embedded',
      values: {
        'fresh start': r1(fresh.startMs),
        'reopen start (median)': r1(median(reopen.map((r) => r.startMs))),
        'module import': r1(median(reopen.map((r) => r.importMs))),
        'first request (GET /metadata)': r1(fresh.firstRequestMs),
        'RSS after fresh start': fresh.rssMb,
        'RSS after reopen': last.rssMb,
        'heap used after reopen': last.heapUsedMb,
        'RSS of a bare node + tsx': bare.rssMb,
        'RSS of node + tsx + PGlite alone (reopen)': pglite.rssMb,
      },
      units: {
        'fresh start': 'ms', 'reopen start (median)': 'ms', 'module import': 'ms', 'first request (GET /metadata)': 'ms',
        'RSS after fresh start': 'MB', 'RSS after reopen': 'MB', 'heap used after reopen': 'MB', 'RSS of a bare node + tsx': 'MB',
        'RSS of node + tsx + PGlite alone (reopen)': 'MB',
      },
    });
  },
};
