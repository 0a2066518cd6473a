// Loading the Synthea-like cohort (synthea.ts) into a server's database straight through its
// adapter: the bulk write path (one multi-row statement per batch of patients), with index entries
// from the engine's indexer, then VACUUM ANALYZE. Shared by the search and export scenarios.
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { RunningServer } from '@hestia/server';
import type { Resource, WriteOp } from '@hestia/core';
import type { BenchContext } from './context.js';
import type { Cohort } from './search-queries.js';
import { storedResources } from './synthea.js';

/** Patients per adapter write while loading (one multi-row statement each), and writes in flight. */
const LOAD_BATCH = 10;
const LOAD_PARALLEL = 2;

/**
 * Loads `cohort` through `server`'s adapter into the PostgreSQL database at `url`, checks the row
 * counts, and records load time and rate as plain values under `caseName` (e.g. search/postgres/load).
 */
export async function loadCohort(ctx: BenchContext, server: RunningServer, cohort: Cohort, url: string, caseName: string): Promise<void> {
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
  // The load left hundreds of MB of dirty pages: written out now, not by a checkpoint during the measurements.
  await client.query('checkpoint');
  const vacuumS = (performance.now() - t1) / 1000;
  const size = (await client.query('select round(pg_database_size(current_database()) / 1048576.0) as mb')).rows[0].mb;
  const counts = (await client.query('select (select count(*) from resource) as resources, (select count(*) from search_index) as index_rows')).rows[0];
  await client.end();
  const resources = cohort.resources;
  if (Number(counts.resources) !== resources || Number(counts.index_rows) !== indexRows) {
    throw new Error(`load: the database holds ${counts.resources} resources and ${counts.index_rows} index rows, expected ${resources} and ${indexRows}`);
  }
  ctx.record({
    kind: 'values', case: caseName,
    values: { resources, 'index rows': indexRows, 'load time': Math.round(loadS * 10) / 10, 'load rate': Math.round(resources / loadS), 'vacuum analyze': Math.round(vacuumS * 10) / 10, 'database size': Number(size) },
    units: { 'load time': 's', 'load rate': 'resources/s', 'vacuum analyze': 's', 'database size': 'MB' },
  });
}
