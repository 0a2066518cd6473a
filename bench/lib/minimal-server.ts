// The least an HTTP server can do for the search scenario's searches: node:http, a pg pool of 8,
// the hand-written SQL of raw-search.ts for the instance the path names (one statement, with the
// _include/_revinclude rows in it), and the rows' stored text spliced into a searchset Bundle
// written in pieces. No FHIR parsing, SQL generation, audit, metrics or middleware. Measured with the
// same load worker and checks as Hestia, it shows how much of the gap to the raw SQL is the HTTP
// hop itself (request, response, and the client's parse) rather than Hestia's own work. It serves
// single pages only: its `next` link is a placeholder, so walks are not run against it. It runs on
// a thread of its own (minimal-thread.ts), so that neither it nor its copy of the cohort shares the
// main thread with Hestia.
import http from 'node:http';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import { rawQuery } from './raw-search.js';
import { cohortOf, instances, isWalk, queryString, SEARCH_OPS, type Instance } from './search-queries.js';

type Row = { content: string; mode?: string };

export interface MinimalServer { url: string; close(): Promise<void> }

/** Starts the minimal server on a thread of its own. */
export async function startMinimalServer(connectionString: string, patients: number): Promise<MinimalServer> {
  const worker = new Worker(new URL('./worker-boot.mjs', import.meta.url), {
    workerData: { entry: new URL('./minimal-thread.ts', import.meta.url).href, connectionString, patients },
  });
  const [url] = (await once(worker, 'message')) as [string];
  return {
    url,
    async close() {
      worker.postMessage('close');
      await once(worker, 'exit');
    },
  };
}

/** The server itself (on the minimal server's thread). */
export async function serveMinimal(connectionString: string, patients: number): Promise<MinimalServer> {
  const cohort = cohortOf(patients);
  const byPath = new Map<string, Instance>();
  for (const op of SEARCH_OPS) if (!isWalk(op)) for (const inst of instances(cohort, op)) byPath.set(`/${inst.type}${queryString(inst.params)}`, inst);
  const pool = new pg.Pool({ connectionString, max: 8 });
  // Stored JSON passes through as text.
  pool.on('connect', (c) => c.setTypeParser(114, (v) => v));
  const server = http.createServer((req, res) => {
    const inst = byPath.get(req.url ?? '');
    if (!inst) {
      res.writeHead(404).end();
      return;
    }
    pool.query(rawQuery(inst)).then(({ rows }) => {
      const matched = (rows as Row[]).filter((r) => (r.mode ?? 'match') === 'match');
      const more = matched.length > inst.count;
      const page = [...matched.slice(0, inst.count), ...(rows as Row[]).filter((r) => r.mode === 'include')];
      const pieces = [`{"resourceType":"Bundle","type":"searchset"${more ? ',"link":[{"relation":"next","url":"http://unused/"}]' : ''},"entry":[`];
      page.forEach((r, i) => pieces.push(`${i ? ',' : ''}{"resource":`, r.content, `,"search":{"mode":"${r.mode ?? 'match'}"}}`));
      pieces.push(']}');
      let length = 0;
      for (const p of pieces) length += Buffer.byteLength(p);
      res.writeHead(200, { 'content-type': 'application/fhir+json', 'content-length': length });
      res.cork();
      for (const p of pieces) res.write(p);
      res.end();
    }, (e: Error) => res.writeHead(500).end(e.message));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await pool.end();
    },
  };
}
