// The bulk loader: the whole Synthea R4 sample (both folders, 40 bundles) into a fresh PostgreSQL
// database in-process, checked against counts computed here from the files; resuming; and the
// command line over HTTP with single resources, NDJSON and failures.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import type { Bundle } from '@hestia/core';
import { loadConfig, startServer, type RunningServer } from '../src/index.js';
import { main, runLoad } from '../src/load.js';
import { createTestDatabase, postgresAvailable } from '../../../test/support/postgres.js';

const SYNTHEA = new URL('../../../../shared/data/synthea-r4/', import.meta.url).pathname;
const unavailable = await postgresAvailable();

/** Captures what the loader writes to stderr. */
function capture(isTTY = false) {
  const chunks: string[] = [];
  return { isTTY, write: (s: string) => chunks.push(s), text: () => chunks.join('') };
}

/**
 * Resources per type the Synthea files must produce, from the files alone: every entry creates one
 * resource (POST ignores the client's id, so the 2019 bundles' repeated Organizations are new
 * resources each time), except entries whose If-None-Exist criteria an earlier entry already used.
 */
function expectedCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  const criteria = new Set<string>();
  for (const folder of readdirSync(SYNTHEA).sort()) {
    for (const name of readdirSync(join(SYNTHEA, folder))) {
      const bundle = JSON.parse(readFileSync(join(SYNTHEA, folder, name), 'utf8')) as Bundle;
      for (const e of bundle.entry!) {
        const type = e.resource!.resourceType;
        if (e.request!.ifNoneExist) {
          if (criteria.has(`${type}?${e.request!.ifNoneExist}`)) continue;
          criteria.add(`${type}?${e.request!.ifNoneExist}`);
        }
        counts.set(type, (counts.get(type) ?? 0) + 1);
      }
    }
  }
  return counts;
}

describe('hestia-load on PostgreSQL', { skip: unavailable }, () => {
  let db: { url: string; drop: () => Promise<void> };
  let sql: Knex;
  const dir = mkdtempSync(join(tmpdir(), 'hestia-load-'));
  const storedCounts = async () => {
    const rows = (await sql.raw('select resource_type, count(*)::int as n from resource where not deleted group by resource_type')).rows as { resource_type: string; n: number }[];
    return new Map(rows.map((r) => [r.resource_type, r.n]));
  };

  before(async () => {
    db = await createTestDatabase();
    sql = knexFactory({ client: 'pg', connection: db.url, pool: { min: 0, max: 1 } });
  });
  after(async () => {
    await sql?.destroy();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('loads all 40 Synthea bundles in-process without an error; counts per type match the files; a second run skips everything', async () => {
    const config = loadConfig({}, { storage: { kind: 'postgres', connectionString: db.url } });
    const statePath = join(dir, 'synthea-state.json');
    const progress = capture();
    const started = Date.now();
    const summary = await runLoad({ paths: [SYNTHEA], config, statePath, progress, progressIntervalMs: 2000 });
    console.log(`# Synthea R4 (40 bundles, ${summary.resources} resources) loaded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    assert.deepEqual(summary.failures, []);
    const expected = expectedCounts();
    const total = [...expected.values()].reduce((a, b) => a + b, 0);
    assert.deepEqual({ ...summary, seconds: 0 }, { files: 40, loaded: 40, skipped: 0, failed: 0, resources: total, failures: [], seconds: 0 });
    assert.equal(expected.get('Patient'), 36);
    assert.deepEqual(Object.fromEntries([...(await storedCounts())].sort()), Object.fromEntries([...expected].sort()));
    // Every urn:uuid and conditional reference was resolved.
    const unresolved = await sql.raw(`select count(*)::int as n from resource where content::text ~ '"reference" *: *"(urn:|[A-Za-z]+[?])'`);
    assert.equal(unresolved.rows[0].n, 0);
    const lines = progress.text().trim().split('\n');
    assert.match(lines[lines.length - 1], new RegExp(`^loaded ${total.toLocaleString('en-US')} resources · [\\d,]+/s · 40/40 files · 100% · 0 failed · \\d+`));

    const again = await runLoad({ paths: [SYNTHEA], config, statePath });
    assert.deepEqual({ ...again, seconds: 0 }, { files: 40, loaded: 0, skipped: 40, failed: 0, resources: 0, failures: [], seconds: 0 });
    assert.deepEqual(Object.fromEntries([...(await storedCounts())].sort()), Object.fromEntries([...expected].sort()));
  });

  describe('the command line over HTTP', () => {
    let srv: RunningServer;
    const data = join(dir, 'data');
    const state = join(dir, 'cli-state.json');
    const run = async (args: string[], isTTY = false) => {
      const err = capture(isTTY);
      const code = await main([...args, '--state', state], {}, { stderr: err });
      return { code, text: err.text() };
    };
    const get = async (path: string) => {
      const res = await fetch(`${srv.url}/${path}`);
      return { status: res.status, body: await res.json() };
    };

    before(async () => {
      srv = await startServer({ port: 0, host: '127.0.0.1', storage: { kind: 'postgres', connectionString: db.url } }, {});
      rmSync(data, { recursive: true, force: true });
      const files: Record<string, unknown> = {
        'a-patient-with-id.json': { resourceType: 'Patient', id: 'load-cli-1', name: [{ family: 'LoadCli' }] },
        'b-patient-without-id.json': { resourceType: 'Patient', name: [{ family: 'LoadCliNoId' }] },
        'c-transaction.json': {
          resourceType: 'Bundle', type: 'transaction', entry: [
            { fullUrl: 'urn:uuid:0f3e2b9c-0000-4000-8000-000000000001', resource: { resourceType: 'Patient', name: [{ family: 'LoadCliTx' }] }, request: { method: 'POST', url: 'Patient' } },
            { resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'urn:uuid:0f3e2b9c-0000-4000-8000-000000000001' } }, request: { method: 'POST', url: 'Observation' } },
          ],
        },
        'd-invalid.json': { resourceType: 'Patient', birthDate: 'yesterday' },
        'e-not-json.json': '{ nope',
      };
      mkdirSync(data, { recursive: true });
      for (const [name, content] of Object.entries(files)) writeFileSync(join(data, name), typeof content === 'string' ? content : JSON.stringify(content));
      writeFileSync(join(data, 'f-lines.ndjson'), [
        JSON.stringify({ resourceType: 'Patient', id: 'load-ndjson-1', name: [{ family: 'LoadNdjson' }] }),
        JSON.stringify({ resourceType: 'Patient', id: 'load-ndjson-2', name: [{ family: 'LoadNdjson' }] }),
        '',
        'not json',
        JSON.stringify({ resourceType: 'Patient', name: [{ family: 'LoadNdjson' }] }),
        JSON.stringify({ resourceType: 'Patient', id: 'load-ndjson-4', birthDate: 'sometimes' }),
      ].join('\n'));
    });
    after(async () => {
      await srv?.close();
    });

    test('loads over HTTP, reports each failure with its diagnostics, exits 1; reruns skip what loaded', async () => {
      const first = await run([data, '--url', srv.url, '--batch-size', '2', '--concurrency', '3'], true);
      assert.equal(first.code, 1, first.text);
      assert.ok(first.text.includes('\r\x1b[2K'), 'progress is rewritten in place on a terminal');
      assert.match(first.text, /Loaded 7 resources from 3 of 6 files in \d+s \(\d+\/s\); 0 already loaded, 3 with failures\./);
      assert.match(first.text, /Failures \(4\):/);
      assert.match(first.text, /d-invalid\.json \[resource\]: 400 .*yesterday/);
      assert.match(first.text, /e-not-json\.json \[file\]: no response Not valid JSON/);
      assert.match(first.text, /f-lines\.ndjson \[line 4\]: no response Not valid JSON/);
      assert.match(first.text, /f-lines\.ndjson \[line 6\]: 400 .*sometimes/);

      assert.equal((await get('Patient/load-cli-1')).status, 200);
      assert.equal((await get('Patient?family:exact=LoadCliNoId&_summary=count')).body.total, 1);
      assert.equal((await get('Patient?family:exact=LoadNdjson&_summary=count')).body.total, 3);
      const tx = await get('Patient?family:exact=LoadCliTx');
      const pid = tx.body.entry[0].resource.id;
      assert.equal((await get(`Observation?subject=Patient/${pid}&_summary=count`)).body.total, 1);

      // The three good files are skipped; the failing ones are tried again (the NDJSON file's good lines with it).
      const second = await run([data, '--url', srv.url, '--quiet']);
      assert.equal(second.code, 1);
      assert.match(second.text, /^Loaded 3 resources from 0 of 6 files in \d+s \(\d+\/s\); 3 already loaded, 3 with failures\./);
      writeFileSync(join(data, 'd-invalid.json'), JSON.stringify({ resourceType: 'Patient', id: 'load-cli-fixed', birthDate: '2001-02-03' }));
      rmSync(join(data, 'e-not-json.json'));
      writeFileSync(join(data, 'f-lines.ndjson'), JSON.stringify({ resourceType: 'Patient', id: 'load-ndjson-1', name: [{ family: 'LoadNdjson' }] }));
      const third = await run([data, '--url', srv.url, '--quiet']);
      assert.equal(third.code, 0, third.text);
      assert.match(third.text, /^Loaded 2 resources from 2 of 5 files in \d+s \(\d+\/s\); 3 already loaded, 0 with failures\.\n$/);
      assert.equal((await get('Patient/load-cli-fixed')).body.birthDate, '2001-02-03');
    });

    test('bad arguments exit 2 with the usage; --help exits 0', async () => {
      for (const args of [[], ['--concurrency', '0', data], ['--frobnicate', data], ['--header', 'nocolon', data]]) {
        const r = await run(args);
        assert.equal(r.code, 2, args.join(' '));
        assert.match(r.text, /Usage: npm run load --/);
      }
      const help = await run(['--help']);
      assert.equal(help.code, 0);
      assert.match(help.text, /^Usage:/);
    });
  });
});
