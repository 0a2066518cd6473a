// Child process for the startup scenario: starts Hestia on an embedded folder, checks it answers,
// prints its timings and memory as one JSON line, and stops it. `bare` only reports the memory of
// an idle node process with the same flags (the tsx loader included); `pglite` the memory of a
// process that only opens PGlite on the folder: both for comparison.
import { performance } from 'node:perf_hooks';
import { BENCH_SERVER_ENV } from '../lib/server-env.js';

const [mode, dataDir] = process.argv.slice(2);
const mb = (b: number) => Math.round((b / 1048576) * 10) / 10;

if (mode === 'bare') {
  console.log(JSON.stringify({ rssMb: mb(process.memoryUsage().rss) }));
} else if (mode === 'pglite') {
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create(dataDir);
  await db.query('select 1');
  const rssMb = mb(process.memoryUsage().rss);
  await db.close();
  console.log(JSON.stringify({ rssMb }));
} else {
  const t0 = performance.now();
  const { startServer } = await import('@hestia/server');
  const t1 = performance.now();
  const server = await startServer({ port: 0, host: '127.0.0.1', storage: { kind: 'embedded', dataDir } }, BENCH_SERVER_ENV);
  const t2 = performance.now();
  const mem = process.memoryUsage();
  const res = await fetch(`${server.url}/metadata`);
  if (res.status !== 200) throw new Error(`GET /metadata answered ${res.status} after start`);
  await res.arrayBuffer();
  const t3 = performance.now();
  await server.close();
  console.log(JSON.stringify({
    importMs: t1 - t0,
    startMs: t2 - t1,
    firstRequestMs: t3 - t2,
    sinceProcessStartMs: t2,
    rssMb: mb(mem.rss),
    heapUsedMb: mb(mem.heapUsed),
  }));
}
