// The slow-statement log (observability.slowStatementMs) on the embedded database and on the Cosmos DB
// emulator: a statement at or over the threshold is logged with its text, the request's correlation
// id, the number of values bound to it and a digest of them, never the values themselves. A threshold
// of a microsecond logs every statement, so that what is logged can be checked exactly.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { createHttpServer } from '@zeit/cosmosdb-server';
import { loadConfig, startServer, type RunningServer } from '../src/index.js';
import { captureAppLog } from './support/app-log.js';

const EVERY_STATEMENT = 0.001;
const json = { 'content-type': 'application/fhir+json' };

interface SlowLine { message: string; level: string; correlationId?: string; durationMs: number; failed: boolean; statement: string; bindings?: number; bindingsDigest?: string; requestCharge?: number }

/** The slow-statement lines of the application log written while `fn` runs, and every line's text. */
async function slowLinesDuring(fn: () => Promise<void>): Promise<{ lines: SlowLine[]; text: string }> {
  const log = captureAppLog();
  try {
    await fn();
  } finally {
    log.stop();
  }
  const lines = log.lines().map((l) => JSON.parse(l) as SlowLine).filter((l) => l.message === 'Slow database statement.');
  return { lines, text: log.text() };
}

/** A search for a family name: its response's correlation id. */
async function searchFamily(srv: RunningServer, family: string): Promise<string> {
  const res = await fetch(`${srv.url}/Patient?family=${family}`);
  assert.equal(res.status, 200);
  assert.equal(((await res.json()) as { total?: number; entry?: unknown[] }).entry?.length ?? 0, family === 'Zyxwvut' ? 1 : 0);
  return res.headers.get('x-request-id')!;
}

test('observability.slowStatementMs: 1000 ms by default, HESTIA_LOG_SLOW_STATEMENT_MS, 0 turns it off, a negative value stops startup', () => {
  assert.equal(loadConfig({}).observability.slowStatementMs, 1000);
  assert.equal(loadConfig({ HESTIA_LOG_SLOW_STATEMENT_MS: '250' }).observability.slowStatementMs, 250);
  assert.equal(loadConfig({ HESTIA_LOG_SLOW_STATEMENT_MS: '0' }).observability.slowStatementMs, 0);
  assert.throws(() => loadConfig({ HESTIA_LOG_SLOW_STATEMENT_MS: '-5' }), /observability\.slowStatementMs \(HESTIA_LOG_SLOW_STATEMENT_MS\) must be a number of milliseconds, 0 or more, not '-5'/);
  assert.throws(() => loadConfig({ HESTIA_LOG_SLOW_STATEMENT_MS: 'slow' }), /not 'NaN'/);
});

describe('slow statements on the embedded database', () => {
  let srv: RunningServer;
  let quiet: RunningServer;
  before(async () => {
    const common = { port: 0, host: '127.0.0.1', storage: { kind: 'embedded' as const, dataDir: 'memory://' }, audit: { console: false }, // (no export worker: its polls would be logged too)
      export: { enabled: false } };
    srv = await startServer({ ...common, observability: { slowStatementMs: EVERY_STATEMENT } }, {});
    quiet = await startServer({ ...common, observability: { slowStatementMs: 0 } }, {});
    for (const s of [srv, quiet]) {
      const res = await fetch(`${s.url}/Patient`, { method: 'POST', headers: json, body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Zyxwvut' }] }) });
      assert.equal(res.status, 201);
    }
  });
  after(async () => {
    await srv?.close();
    await quiet?.close();
  });

  test('each statement of a search, with the request\'s correlation id; the values only as a count and a digest', async () => {
    const ids: string[] = [];
    const { lines, text } = await slowLinesDuring(async () => {
      ids.push(await searchFamily(srv, 'Zyxwvut'), await searchFamily(srv, 'Zyxwvut'), await searchFamily(srv, 'Qwertyu'));
    });
    const byRequest = ids.map((id) => lines.filter((l) => l.correlationId === id));
    for (const [i, own] of byRequest.entries()) {
      assert.ok(own.length >= 1, `request ${i} logged its statements`);
      for (const l of own) {
        assert.equal(l.level, 'warn');
        assert.equal(l.failed, false);
        assert.ok(l.durationMs >= 0);
        assert.match(l.statement, /\bselect\b/i);
      }
    }
    assert.equal(lines.length, byRequest.flat().length, 'no statement outside the three requests');
    // The search statement: its values bound, counted and digested.
    const search = byRequest.map((own) => own.find((l) => (l.bindings ?? 0) > 0)!);
    for (const l of search) assert.match(l.bindingsDigest!, /^[0-9a-f]{16}$/);
    assert.equal(search[0].statement, search[1].statement);
    assert.equal(search[0].bindingsDigest, search[1].bindingsDigest, 'the same values give the same digest');
    assert.equal(search[0].statement, search[2].statement);
    assert.notEqual(search[0].bindingsDigest, search[2].bindingsDigest, 'other values another');
    // The names searched for are nowhere in the log, in any case.
    assert.doesNotMatch(text, /zyxwvut|qwertyu/i);
  });

  test('0: nothing is logged', async () => {
    const { lines } = await slowLinesDuring(async () => {
      await searchFamily(quiet, 'Zyxwvut');
    });
    assert.deepEqual(lines, []);
  });
});

describe('slow statements on the Cosmos DB emulator', () => {
  const emulator = createHttpServer();
  let srv: RunningServer;
  before(async () => {
    await new Promise<void>((resolve) => emulator.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(emulator.address() as AddressInfo).port}`;
    srv = await startServer({
      port: 0, host: '127.0.0.1',
      storage: { kind: 'cosmos', cosmos: { endpoint, key: 'emulator', database: 'hestia-slow', endpointDiscovery: false } },
      audit: { console: false }, export: { enabled: false }, observability: { slowStatementMs: EVERY_STATEMENT },
    }, {});
  });
  after(async () => {
    await srv?.close();
    emulator.closeAllConnections();
    await new Promise<void>((resolve) => emulator.close(() => resolve()));
  });

  test('queries with their text and request charge; point operations by name and container', async () => {
    let created = '';
    let searched = '';
    const { lines, text } = await slowLinesDuring(async () => {
      const res = await fetch(`${srv.url}/Patient`, { method: 'POST', headers: json, body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Zyxwvut' }] }) });
      assert.equal(res.status, 201);
      created = res.headers.get('x-request-id')!;
      searched = await searchFamily(srv, 'Zyxwvut');
    });
    // The emulator charges 1 request unit per call.
    assert.deepEqual(lines.filter((l) => l.correlationId === created).map((l) => [l.statement, l.requestCharge, l.bindings]), [['create (resources)', 1, undefined]]);
    const query = lines.filter((l) => l.correlationId === searched);
    assert.equal(query.length, 1);
    assert.match(query[0].statement, /^SELECT .* FROM c\b/);
    assert.equal(query[0].requestCharge, 1);
    assert.ok(query[0].bindings! >= 2);
    assert.match(query[0].bindingsDigest!, /^[0-9a-f]{16}$/);
    assert.doesNotMatch(text, /zyxwvut/i);
  });
});
