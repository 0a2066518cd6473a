// Audit logs, correlation ids, health and metrics over real HTTP: PostgreSQL, a real OpenID Connect
// issuer (oauth2-mock-server) for authenticated and refused callers, the audit stream captured with
// an in-memory winston transport, AuditEvent resources searched through the API, a database made
// unreachable for the health check, and the embedded database for the file sink and metrics.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory from 'knex';
import TransportStream from 'winston-transport';
import { OAuth2Server } from 'oauth2-mock-server';
import { startServer, type AuditRecord, type RunningServer } from '../src/index.js';
import { createTestDatabase, postgresAvailable, PG_ADMIN_URL } from '../../../test/support/postgres.js';
import { appLogDuring } from './support/app-log.js';

const unavailable = await postgresAvailable();
const LOCATION = 'test-region';
const AUDIENCE = 'api://hestia-audit-test';
const OID = '44444444-4444-4444-4444-444444444444';
const fhirJson = { 'content-type': 'application/fhir+json' };
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every audit line the server writes, parsed. */
class MemoryTransport extends TransportStream {
  readonly records: AuditRecord[] = [];
  override log(info: Record<symbol, unknown>, next: () => void): void {
    this.records.push(JSON.parse(String(info[Symbol.for('message')])) as AuditRecord);
    next();
  }
}

/**
 * The records of one correlation id once its last record (the request's own final one) is written,
 * with TimeGenerated checked (ISO, in order) and OperationDuration checked (a number on the request's
 * final record, null elsewhere), then replaced by 'T' and 'D' so the rest compares exactly.
 */
async function recordsOf(mem: MemoryTransport, correlationId: string, count: number): Promise<Record<string, unknown>[]> {
  for (let i = 0; i < 100 && mem.records.filter((r) => r.CorrelationId === correlationId).length < count; i++) await sleep(20);
  const found = mem.records.filter((r) => r.CorrelationId === correlationId);
  assert.equal(found.length, count, `${count} audit records for ${correlationId}`);
  let last = '';
  return found.map((r, i) => {
    assert.match(r.TimeGenerated, ISO);
    assert.ok(r.TimeGenerated >= last, 'records in time order');
    last = r.TimeGenerated;
    if (i === count - 1) assert.ok(typeof r.OperationDuration === 'number' && r.OperationDuration >= 0, 'duration on the final record');
    else assert.equal(r.OperationDuration, null);
    return { ...r, TimeGenerated: 'T', OperationDuration: i === count - 1 ? 'D' : null };
  });
}

type Expected = Partial<Record<keyof AuditRecord, unknown>> & { CorrelationId: string; RequestUri: string; OperationName: string | null; ResultType: string };

/** An expected record: the anonymous local caller unless told otherwise. */
function rec(o: Expected): Record<string, unknown> {
  return {
    CallerIdentity: {}, CallerIdentityIssuer: null, CallerIdentityObjectId: null, CallerIPAddress: '127.0.0.1',
    FhirResourceType: null, LogCategory: 'AuditLogs', Location: LOCATION, OperationDuration: null, StatusCode: null,
    TimeGenerated: 'T', Properties: {}, ...o,
  };
}

/** Started and the final record of a request that is not a bundle. */
function pair(o: Omit<Expected, 'ResultType'>, status: number): Record<string, unknown>[] {
  return [rec({ ...o, ResultType: 'Started' }), rec({ ...o, ResultType: status < 400 ? 'Succeeded' : 'Failed', StatusCode: status, OperationDuration: 'D' })];
}

/**
 * A GET sent as written: every header line as given, repeats and letter case kept (fetch and
 * http.request merge or overwrite headers of one name).
 */
function getWithHeaders(url: string, headers: Record<string, string> | [string, string][]): Promise<{ status: number; body: Record<string, unknown> }> {
  const u = new URL(url);
  const lines = (Array.isArray(headers) ? headers : Object.entries(headers)).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  return new Promise((resolve, reject) => {
    const socket = connect(Number(u.port), u.hostname, () => {
      socket.write(`GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nConnection: close\r\n${lines}\r\n`);
    });
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString()));
    socket.on('error', reject);
    socket.on('end', () => {
      const [head, body] = [text.slice(0, text.indexOf('\r\n\r\n')), text.slice(text.indexOf('\r\n\r\n') + 4)];
      resolve({ status: Number(head.split(' ')[1]), body: JSON.parse(body) as Record<string, unknown> });
    });
  });
}

const outcome = (code: string, diagnostics: string) => ({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics }] });

describe('audit trail on PostgreSQL with security on', { skip: unavailable }, () => {
  let srv: RunningServer;
  let drop: () => Promise<void>;
  let issuer: OAuth2Server;
  const mem = new MemoryTransport();
  const tokens: Record<string, string> = {};
  const claims: Record<string, Record<string, unknown>> = {};
  const as = (role: string, correlationId?: string, extra: Record<string, string> = {}) => ({
    authorization: `Bearer ${tokens[role]}`, ...(correlationId ? { 'x-request-id': correlationId } : {}), ...extra,
  });
  /** The caller fields of records written for a token of this role. */
  const caller = (role: string) => ({ CallerIdentity: claims[role], CallerIdentityIssuer: issuer.issuer.url, CallerIdentityObjectId: OID });
  let patientId: string;
  const t0 = new Date().toISOString();

  before(async () => {
    issuer = new OAuth2Server();
    await issuer.issuer.keys.generate('RS256', { kid: 'key-1' });
    await issuer.start(0, '127.0.0.1');
    issuer.issuer.url = `http://127.0.0.1:${issuer.address().port}`;
    for (const role of ['admin', 'reader']) {
      tokens[role] = await issuer.issuer.buildToken({
        kid: 'key-1',
        expiresIn: 600,
        scopesOrTransform: (_h, payload) => Object.assign(payload, { aud: AUDIENCE, sub: `user-${role}`, oid: OID, name: `Audit ${role}`, roles: [role] }),
      });
      claims[role] = JSON.parse(Buffer.from(tokens[role].split('.')[1], 'base64url').toString()) as Record<string, unknown>;
    }
    const db = await createTestDatabase();
    drop = db.drop;
    srv = await startServer({
      port: 0, host: '127.0.0.1',
      storage: { kind: 'postgres', connectionString: db.url },
      security: { enabled: true, authority: issuer.issuer.url, audience: AUDIENCE },
      audit: { console: false, location: LOCATION, auditEvents: true },
    }, {});
    srv.observability.auditLogger.add(mem);
    const p = await fetch(`${srv.url}/Patient`, { method: 'POST', headers: { ...fhirJson, ...as('admin') }, body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Audited' }] }) });
    assert.equal(p.status, 201);
    patientId = ((await p.json()) as { id: string }).id;
  });
  after(async () => {
    await srv?.close();
    await issuer?.stop();
    await drop?.();
  });

  test('a read: Started and Succeeded, with the caller, the correlation id and the route', async () => {
    const res = await fetch(`${srv.url}/Patient/${patientId}`, { headers: as('reader', 'audit-read-1') });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-request-id'), 'audit-read-1');
    const base = { ...caller('reader'), CorrelationId: 'audit-read-1', FhirResourceType: 'Patient', OperationName: 'read', RequestUri: `${srv.url}/Patient/${patientId}` };
    assert.deepEqual(await recordsOf(mem, 'audit-read-1', 2), pair(base, 200));
  });

  test('searches: search-type, search-system and a failed search', async () => {
    assert.equal((await fetch(`${srv.url}/Patient?family=Audited&_count=5`, { headers: as('reader', 'audit-search-1') })).status, 200);
    assert.deepEqual(await recordsOf(mem, 'audit-search-1', 2), pair({ ...caller('reader'), CorrelationId: 'audit-search-1', FhirResourceType: 'Patient', OperationName: 'search-type', RequestUri: `${srv.url}/Patient?family=Audited&_count=5` }, 200));
    assert.equal((await fetch(`${srv.url}/?_type=Patient`, { headers: as('admin', 'audit-search-2') })).status, 200);
    assert.deepEqual(await recordsOf(mem, 'audit-search-2', 2), pair({ ...caller('admin'), CorrelationId: 'audit-search-2', OperationName: 'search-system', RequestUri: `${srv.url}/?_type=Patient` }, 200));
    assert.equal((await fetch(`${srv.url}/Patient?birthdate=notadate`, { headers: as('reader', 'audit-search-3') })).status, 400);
    assert.deepEqual(await recordsOf(mem, 'audit-search-3', 2), pair({ ...caller('reader'), CorrelationId: 'audit-search-3', FhirResourceType: 'Patient', OperationName: 'search-type', RequestUri: `${srv.url}/Patient?birthdate=notadate` }, 400));
  });

  test('refused requests are audited: 401 without a valid token, 403 for a role that may not write', async () => {
    let res!: Response;
    const log = await appLogDuring(async () => {
      res = await fetch(`${srv.url}/Patient/${patientId}`, { headers: { 'x-request-id': 'audit-401' } });
    });
    assert.equal(res.status, 401);
    assert.deepEqual(await res.json(), outcome('login', 'Authentication failed.'));
    assert.deepEqual(await recordsOf(mem, 'audit-401', 2), pair({ CorrelationId: 'audit-401', FhirResourceType: 'Patient', OperationName: 'read', RequestUri: `${srv.url}/Patient/${patientId}` }, 401));
    // The security layer's log line about it carries the request's correlation id.
    assert.deepEqual(log.map((l) => [l.level, l.message, l.correlationId]), [['warn', 'Authentication failed: no bearer token.', 'audit-401']]);

    assert.equal((await fetch(`${srv.url}/Observation`, { method: 'POST', headers: { ...fhirJson, authorization: 'Bearer not.a.token', 'x-request-id': 'audit-401b' }, body: '{}' })).status, 401);
    assert.deepEqual(await recordsOf(mem, 'audit-401b', 2), pair({ CorrelationId: 'audit-401b', FhirResourceType: 'Observation', OperationName: 'create', RequestUri: `${srv.url}/Observation` }, 401));

    const denied = await fetch(`${srv.url}/Patient`, { method: 'POST', headers: { ...fhirJson, ...as('reader', 'audit-403') }, body: JSON.stringify({ resourceType: 'Patient' }) });
    assert.equal(denied.status, 403);
    assert.deepEqual(await recordsOf(mem, 'audit-403', 2), pair({ ...caller('reader'), CorrelationId: 'audit-403', FhirResourceType: 'Patient', OperationName: 'create', RequestUri: `${srv.url}/Patient` }, 403));
  });

  test('a transaction with three entries: one record per entry, with its own status', async () => {
    const bundle = {
      resourceType: 'Bundle', type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:5f1c6c2e-7d44-4b55-9a0f-0e1c2b3a4d5e', resource: { resourceType: 'Patient', name: [{ family: 'Tx' }] }, request: { method: 'POST', url: 'Patient' } },
        { resource: { resourceType: 'Observation', id: 'audit-tx-obs', status: 'final', code: { text: 'x' }, subject: { reference: 'urn:uuid:5f1c6c2e-7d44-4b55-9a0f-0e1c2b3a4d5e' } }, request: { method: 'PUT', url: 'Observation/audit-tx-obs' } },
        { request: { method: 'GET', url: `Patient/${patientId}` } },
      ],
    };
    const res = await fetch(`${srv.url}/`, { method: 'POST', headers: { ...fhirJson, ...as('admin', 'audit-tx') }, body: JSON.stringify(bundle) });
    assert.equal(res.status, 200, await res.clone().text());
    assert.deepEqual(((await res.json()) as { entry: { response: { status: string } }[] }).entry.map((e) => e.response.status), ['201 Created', '201 Created', '200 OK']);
    const who = { ...caller('admin'), CorrelationId: 'audit-tx' };
    assert.deepEqual(await recordsOf(mem, 'audit-tx', 5), [
      rec({ ...who, OperationName: 'transaction', ResultType: 'Started', RequestUri: `${srv.url}/` }),
      rec({ ...who, OperationName: 'create', FhirResourceType: 'Patient', ResultType: 'Succeeded', StatusCode: 201, RequestUri: `${srv.url}/Patient` }),
      rec({ ...who, OperationName: 'update', FhirResourceType: 'Observation', ResultType: 'Succeeded', StatusCode: 201, RequestUri: `${srv.url}/Observation/audit-tx-obs` }),
      rec({ ...who, OperationName: 'read', FhirResourceType: 'Patient', ResultType: 'Succeeded', StatusCode: 200, RequestUri: `${srv.url}/Patient/${patientId}` }),
      rec({ ...who, OperationName: 'transaction', ResultType: 'Succeeded', StatusCode: 200, OperationDuration: 'D', RequestUri: `${srv.url}/` }),
    ]);

    // A reader's transaction: the read is allowed, the create refused, so nothing runs; the entry
    // after the refusal is never reached.
    const refused = { resourceType: 'Bundle', type: 'transaction', entry: [bundle.entry[2], bundle.entry[0], bundle.entry[1]] };
    const denied = await fetch(`${srv.url}/`, { method: 'POST', headers: { ...fhirJson, ...as('reader', 'audit-tx-403') }, body: JSON.stringify(refused) });
    assert.equal(denied.status, 403);
    const reader = { ...caller('reader'), CorrelationId: 'audit-tx-403' };
    assert.deepEqual(await recordsOf(mem, 'audit-tx-403', 4), [
      rec({ ...reader, OperationName: 'transaction', ResultType: 'Started', RequestUri: `${srv.url}/` }),
      rec({ ...reader, OperationName: 'read', FhirResourceType: 'Patient', ResultType: 'Failed', StatusCode: 403, RequestUri: `${srv.url}/Patient/${patientId}` }),
      rec({ ...reader, OperationName: 'create', FhirResourceType: 'Patient', ResultType: 'Failed', StatusCode: 403, RequestUri: `${srv.url}/Patient` }),
      rec({ ...reader, OperationName: 'transaction', ResultType: 'Failed', StatusCode: 403, OperationDuration: 'D', RequestUri: `${srv.url}/` }),
    ]);
  });

  test('a batch: a refused entry and a failed one are Failed, the bundle itself Succeeded', async () => {
    const bundle = {
      resourceType: 'Bundle', type: 'batch',
      entry: [
        { resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } },
        { request: { method: 'GET', url: 'Patient/no-such-patient' } },
        { request: { method: 'GET', url: `Patient/${patientId}/_history/1` } },
      ],
    };
    const res = await fetch(`${srv.url}/`, { method: 'POST', headers: { ...fhirJson, ...as('reader', 'audit-batch') }, body: JSON.stringify(bundle) });
    assert.equal(res.status, 200);
    assert.deepEqual(((await res.json()) as { entry: { response: { status: string } }[] }).entry.map((e) => e.response.status), ['403 Forbidden', '404 Not Found', '200 OK']);
    const who = { ...caller('reader'), CorrelationId: 'audit-batch' };
    assert.deepEqual(await recordsOf(mem, 'audit-batch', 5), [
      rec({ ...who, OperationName: 'batch', ResultType: 'Started', RequestUri: `${srv.url}/` }),
      rec({ ...who, OperationName: 'create', FhirResourceType: 'Patient', ResultType: 'Failed', StatusCode: 403, RequestUri: `${srv.url}/Patient` }),
      rec({ ...who, OperationName: 'read', FhirResourceType: 'Patient', ResultType: 'Failed', StatusCode: 404, RequestUri: `${srv.url}/Patient/no-such-patient` }),
      rec({ ...who, OperationName: 'vread', FhirResourceType: 'Patient', ResultType: 'Succeeded', StatusCode: 200, RequestUri: `${srv.url}/Patient/${patientId}/_history/1` }),
      rec({ ...who, OperationName: 'batch', ResultType: 'Succeeded', StatusCode: 200, OperationDuration: 'D', RequestUri: `${srv.url}/` }),
    ]);
  });

  test('custom audit headers: repeats joined with ", ", at most 10 names and 2048 characters', async () => {
    const url = `${srv.url}/Patient/${patientId}`;
    const base = { ...caller('reader'), FhirResourceType: 'Patient', OperationName: 'read', RequestUri: url };
    const ok = await getWithHeaders(url, [
      ...Object.entries(as('reader', 'audit-headers-1')),
      ['X-MS-AZUREFHIR-AUDIT-USERLOCATION', 'HospitalA'],
      ['x-ms-azurefhir-audit-userid', '1234'],
      ['X-MS-AZUREFHIR-AUDIT-USERLOCATION', 'Emergency'],
      ['X-Ms-AzureFhir-Audit-UserId', '5678'],
    ]);
    assert.equal(ok.status, 200);
    const properties = { 'X-MS-AZUREFHIR-AUDIT-USERLOCATION': 'HospitalA, Emergency', 'X-MS-AZUREFHIR-AUDIT-USERID': '1234, 5678' };
    assert.deepEqual(await recordsOf(mem, 'audit-headers-1', 2), pair({ ...base, CorrelationId: 'audit-headers-1', Properties: properties }, 200));

    const named = (n: number, value = 'v') => Object.fromEntries(Array.from({ length: n }, (_, i) => [`X-MS-AZUREFHIR-AUDIT-H${i}`, value]));
    const ten = await getWithHeaders(url, { ...as('reader', 'audit-headers-10'), ...named(10) });
    assert.equal(ten.status, 200);
    assert.deepEqual((await recordsOf(mem, 'audit-headers-10', 2))[1].Properties, Object.fromEntries(Object.keys(named(10)).map((k) => [k, 'v'])));

    const eleven = await getWithHeaders(url, { ...as('reader', 'audit-headers-11'), ...named(11) });
    assert.equal(eleven.status, 400);
    assert.deepEqual(eleven.body, outcome('invalid', 'At most 10 distinct X-MS-AZUREFHIR-AUDIT-* headers are allowed; this request has 11.'));
    // Refused before anything runs (before authentication too): classified from the request line, no caller, no properties.
    const refusedBase = { FhirResourceType: 'Patient', OperationName: 'read', RequestUri: url };
    assert.deepEqual(await recordsOf(mem, 'audit-headers-11', 2), pair({ ...refusedBase, CorrelationId: 'audit-headers-11' }, 400));

    const longest = await getWithHeaders(url, { ...as('reader', 'audit-headers-2048'), 'X-MS-AZUREFHIR-AUDIT-NOTE': 'n'.repeat(2048) });
    assert.equal(longest.status, 200);
    const tooLong = await getWithHeaders(url, { ...as('reader', 'audit-headers-2049'), 'X-MS-AZUREFHIR-AUDIT-NOTE': 'n'.repeat(2049) });
    assert.equal(tooLong.status, 400);
    assert.deepEqual(tooLong.body, outcome('invalid', 'The value of header X-MS-AZUREFHIR-AUDIT-NOTE is 2049 characters long; at most 2048 are allowed.'));
    assert.deepEqual(await recordsOf(mem, 'audit-headers-2049', 2), pair({ ...refusedBase, CorrelationId: 'audit-headers-2049' }, 400));
    // The limit applies to the joined value of repeated headers.
    const joined = await getWithHeaders(url, [...Object.entries(as('reader', 'audit-headers-joined')), ['X-MS-AZUREFHIR-AUDIT-NOTE', 'n'.repeat(1023)], ['X-MS-AZUREFHIR-AUDIT-NOTE', 'n'.repeat(1024)]]);
    assert.equal(joined.status, 400);
    assert.deepEqual(joined.body, outcome('invalid', 'The value of header X-MS-AZUREFHIR-AUDIT-NOTE is 2049 characters long; at most 2048 are allowed.'));
  });

  test('correlation ids: a sane X-Request-Id is kept, anything else replaced by a UUID', async () => {
    const kept = await fetch(`${srv.url}/metadata`, { headers: { 'x-request-id': '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } });
    assert.equal(kept.headers.get('x-request-id'), '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
    for (const bad of ['has spaces in it', 'x'.repeat(129), 'semi;colon']) {
      const res = await fetch(`${srv.url}/metadata`, { headers: { 'x-request-id': bad } });
      const id = res.headers.get('x-request-id')!;
      assert.match(id, UUID);
      // The capability statement is anonymous even with security on.
      assert.deepEqual(await recordsOf(mem, id, 2), pair({ CorrelationId: id, OperationName: 'capabilities', RequestUri: `${srv.url}/metadata` }, 200));
    }
    const generated = (await fetch(`${srv.url}/health/check`)).headers.get('x-request-id');
    assert.match(generated!, UUID);
    assert.equal(mem.records.filter((r) => r.CorrelationId === generated).length, 0, 'health checks are not audited');
  });

  test('AuditEvent resources: searchable by date and by agent', async () => {
    const id = 'audit-event-read';
    assert.equal((await fetch(`${srv.url}/Patient/${patientId}`, { headers: as('reader', id) })).status, 200);
    const [, final] = await recordsOf(mem, id, 2);
    await srv.observability.flush();
    const t1 = new Date().toISOString();
    const search = async (query: string) => {
      const res = await fetch(`${srv.url}/AuditEvent?${query}&_count=1000`, { headers: as('admin') });
      assert.equal(res.status, 200);
      return ((await res.json()) as { entry?: { resource: Record<string, unknown> }[] }).entry?.map((e) => e.resource) ?? [];
    };
    const ofRead = (list: Record<string, unknown>[]) => list.filter((e) => JSON.stringify(e.entity).includes(`"valueString":"${id}"`));
    const agent = encodeURIComponent(`${issuer.issuer.url}|${OID}`);
    const byAgentAndDate = ofRead(await search(`agent:identifier=${agent}&date=ge${t0}&date=le${t1}`));
    assert.equal(byAgentAndDate.length, 1);
    const event = byAgentAndDate[0] as { id: string; meta: unknown; recorded: string; period: { start: string; end: string } };
    assert.ok(event.recorded >= t0 && event.recorded <= t1);
    assert.equal(event.period.end, event.recorded);
    assert.ok(event.period.start <= event.period.end);
    assert.deepEqual(event, {
      resourceType: 'AuditEvent', id: event.id, meta: event.meta,
      type: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest', display: 'RESTful Operation' },
      subtype: [{ system: 'http://hl7.org/fhir/restful-interaction', code: 'read' }],
      action: 'R', recorded: event.recorded, outcome: '0', outcomeDesc: 'HTTP 200',
      period: event.period,
      agent: [{ who: { identifier: { system: issuer.issuer.url, value: OID } }, altId: OID, name: 'Audit reader', requestor: true, network: { address: '127.0.0.1', type: '2' } }],
      source: { site: LOCATION, observer: { display: 'Hestia' }, type: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '4', display: 'Application Server' }] },
      entity: [{
        what: { reference: `Patient/${patientId}` },
        type: { system: 'http://hl7.org/fhir/resource-types', code: 'Patient' },
        detail: [{ type: 'CorrelationId', valueString: id }, { type: 'RequestUri', valueString: final.RequestUri }],
      }],
    });
    // The same event by altid and by the patient it is about; none before t0 or for another agent.
    assert.deepEqual(ofRead(await search(`altid=${OID}&entity=Patient/${patientId}`)).map((e) => e.id), [event.id]);
    assert.deepEqual(ofRead(await search(`agent:identifier=${agent}&date=lt${t0}`)), []);
    assert.deepEqual(ofRead(await search(`agent:identifier=${encodeURIComponent(`${issuer.issuer.url}|someone-else`)}`)), []);
    // Refused requests are stored too, as failures.
    const refused = (await search(`outcome=4&date=ge${t0}&subtype=read`)).filter((e) => JSON.stringify(e.entity).includes('"valueString":"audit-401"'));
    assert.equal(refused.length, 1);
    assert.equal((refused[0] as { outcomeDesc: string }).outcomeDesc, 'HTTP 401');
  });
});

describe('health check when the database goes away', { skip: unavailable }, () => {
  let srv: RunningServer;
  let db: { url: string; drop: () => Promise<void> };
  const name = () => db.url.split('/').pop()!;
  const admin = () => knexFactory({ client: 'pg', connection: PG_ADMIN_URL, pool: { min: 0, max: 1 } });
  async function allowConnections(allow: boolean) {
    const k = admin();
    try {
      await k.raw(`alter database ${name()} allow_connections ${allow}`);
      if (!allow) await k.raw('select pg_terminate_backend(pid) from pg_stat_activity where datname = ?', [name()]);
    } finally {
      await k.destroy();
    }
  }
  const health = async () => {
    const res = await fetch(`${srv.url}/health/check`, { headers: { 'x-request-id': 'health-probe' } });
    const body = (await res.json()) as { status: string; database: { status: string; latencyMs?: number }; audit: { status: string; sinks: Record<string, { status: string; failures: number; lastFailure?: string }> } };
    if (body.database.latencyMs !== undefined) {
      assert.ok(body.database.latencyMs >= 0);
      delete body.database.latencyMs;
    }
    for (const s of Object.values(body.audit.sinks)) {
      if (s.lastFailure !== undefined) {
        assert.match(s.lastFailure, ISO);
        s.lastFailure = 'T';
      }
    }
    return { status: res.status, body };
  };

  before(async () => {
    db = await createTestDatabase();
    srv = await startServer({ port: 0, host: '127.0.0.1', storage: { kind: 'postgres', connectionString: db.url }, audit: { console: false, location: LOCATION, auditEvents: true } }, {});
  });
  after(async () => {
    await allowConnections(true).catch(() => undefined);
    await srv?.close();
    await db?.drop();
  });

  test('200 while the database answers, 503 when it does not and while the AuditEvent sink fails', async () => {
    assert.deepEqual(await health(), { status: 200, body: { status: 'healthy', database: { status: 'up' }, audit: { status: 'ok', sinks: { auditEvents: { status: 'ok', failures: 0 } } } } });

    await allowConnections(false);
    let down!: Awaited<ReturnType<typeof health>>;
    const log = await appLogDuring(async () => {
      down = await health();
    });
    assert.deepEqual(down, { status: 503, body: { status: 'unhealthy', database: { status: 'down' }, audit: { status: 'ok', sinks: { auditEvents: { status: 'ok', failures: 0 } } } } });
    const line = log.find((l) => l.message === 'Health check: the database did not answer.');
    assert.equal(line?.correlationId, 'health-probe');
    assert.equal(line?.level, 'error');

    // A request now fails, and so does storing its AuditEvent: counted, reported, never blocking.
    await appLogDuring(async () => {
      assert.equal((await fetch(`${srv.url}/Patient/whatever`)).status, 500);
      await srv.observability.flush();
    });
    assert.deepEqual(await health(), { status: 503, body: { status: 'unhealthy', database: { status: 'down' }, audit: { status: 'failing', sinks: { auditEvents: { status: 'failing', failures: 1, lastFailure: 'T' } } } } });

    await allowConnections(true);
    assert.deepEqual(await health(), { status: 503, body: { status: 'unhealthy', database: { status: 'up' }, audit: { status: 'failing', sinks: { auditEvents: { status: 'failing', failures: 1, lastFailure: 'T' } } } } });
    assert.equal((await fetch(`${srv.url}/Patient/whatever`)).status, 404);
    await srv.observability.flush();
    assert.deepEqual(await health(), { status: 200, body: { status: 'healthy', database: { status: 'up' }, audit: { status: 'ok', sinks: { auditEvents: { status: 'ok', failures: 1, lastFailure: 'T' } } } } });
    const metrics = await (await fetch(`${srv.url}/metrics`)).text();
    assert.match(metrics, /^hestia_audit_sink_failures_total\{sink="auditEvents"\} 1$/m);
  });
});

describe('file sink, metrics and STU3 AuditEvents on the embedded database', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hestia-audit-'));
  const servers: RunningServer[] = [];
  const start = async (overrides: Parameters<typeof startServer>[0]) => {
    const s = await startServer({ port: 0, host: '127.0.0.1', storage: { kind: 'embedded', dataDir: 'memory://' }, ...overrides }, {});
    servers.push(s);
    return s;
  };
  after(async () => {
    for (const s of servers) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the file sink appends one JSON line per record; a file that cannot be written makes the health check fail', async () => {
    const file = join(dir, 'audit.jsonl');
    const srv = await start({ audit: { console: false, file, location: LOCATION } });
    assert.equal((await fetch(`${srv.url}/Patient/nobody`, { headers: { 'x-request-id': 'file-1' } })).status, 404);
    await srv.close();
    servers.pop();
    const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as AuditRecord);
    assert.deepEqual(lines.map((r) => [r.CorrelationId, r.OperationName, r.ResultType, r.StatusCode]), [['file-1', 'read', 'Started', null], ['file-1', 'read', 'Failed', 404]]);

    const broken = await start({ audit: { console: false, file: dir, location: LOCATION } });
    const log = await appLogDuring(async () => {
      assert.equal((await fetch(`${broken.url}/metadata`)).status, 200);
      for (let i = 0; i < 100 && broken.observability.sinks.snapshot().file?.failures !== 2; i++) await sleep(20);
    });
    const res = await fetch(`${broken.url}/health/check`);
    assert.equal(res.status, 503);
    const body = (await res.json()) as { status: string; audit: { status: string; sinks: { file: { status: string; failures: number } } } };
    assert.equal(body.status, 'unhealthy');
    assert.equal(body.audit.status, 'failing');
    assert.deepEqual([body.audit.sinks.file.status, body.audit.sinks.file.failures], ['failing', 2]);
    assert.deepEqual(log.filter((l) => l.sink === 'file').map((l) => [l.level, l.message, l.error]), [['error', "Audit sink 'file' is failing.", `EISDIR: illegal operation on a directory, open '${dir}'`]]);
  });

  test('/metrics: requests by operation and status, database calls and pool; off when disabled', async () => {
    const srv = await start({ audit: { console: false } });
    await fetch(`${srv.url}/Patient`, { method: 'POST', headers: fhirJson, body: JSON.stringify({ resourceType: 'Patient', id: 'm1' }) });
    const created = (await (await fetch(`${srv.url}/Patient`, { method: 'POST', headers: fhirJson, body: JSON.stringify({ resourceType: 'Patient' }) })).json()) as { id: string };
    await fetch(`${srv.url}/Patient/${created.id}`);
    await fetch(`${srv.url}/Patient/${created.id}`);
    await fetch(`${srv.url}/Patient/missing`);
    await fetch(`${srv.url}/Patient/$custom-op-name`);
    const res = await fetch(`${srv.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const lines = text.split('\n');
    const requests = lines.filter((l) => l.startsWith('hestia_requests_total{')).sort();
    assert.deepEqual(requests, [
      'hestia_requests_total{operation="create",status="201"} 2',
      'hestia_requests_total{operation="custom-op-name",status="404"} 1',
      'hestia_requests_total{operation="read",status="200"} 2',
      'hestia_requests_total{operation="read",status="404"} 1',
    ]);
    assert.ok(lines.includes('hestia_request_duration_seconds_count{operation="read",status="200"} 2'));
    const calls = Number(/^hestia_db_call_duration_seconds_count\{outcome="ok"\} (\d+)$/m.exec(text)?.[1]);
    assert.ok(calls >= 5, `database calls counted (${calls})`);
    assert.match(text, /^hestia_db_pool_connections\{state="used"\} \d+$/m);
    assert.match(text, /^hestia_db_pool_connections\{state="max"\} [1-9]\d*$/m);
    assert.match(text, /^process_cpu_seconds_total /m);

    const off = await start({ audit: { console: false }, observability: { metrics: { enabled: false } } });
    assert.equal((await fetch(`${off.url}/metrics`)).status, 404);
  });

  test('STU3: AuditEvents in the STU3 shape, searchable by date and agent address', async () => {
    const t0 = new Date().toISOString();
    const srv = await start({ fhirVersion: 'stu3', audit: { console: false, location: LOCATION, auditEvents: true } });
    assert.equal((await fetch(`${srv.url}/Patient/none`, { headers: { 'x-request-id': 'stu3-read' } })).status, 404);
    await srv.observability.flush();
    const bundle = (await (await fetch(`${srv.url}/AuditEvent?date=ge${t0}&address=127.0.0.1&subtype=read`)).json()) as { entry: { resource: Record<string, unknown> }[] };
    const events = bundle.entry.map((e) => e.resource);
    assert.equal(events.length, 1);
    const e = events[0] as { id: string; meta: unknown; recorded: string };
    assert.deepEqual(e, {
      resourceType: 'AuditEvent', id: e.id, meta: e.meta,
      type: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest', display: 'RESTful Operation' },
      subtype: [{ system: 'http://hl7.org/fhir/restful-interaction', code: 'read' }],
      action: 'R', recorded: e.recorded, outcome: '4', outcomeDesc: 'HTTP 404',
      agent: [{ name: 'anonymous', requestor: true, network: { address: '127.0.0.1', type: '2' } }],
      source: { site: LOCATION, identifier: { value: 'Hestia' }, type: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '4', display: 'Application Server' }] },
      entity: [{
        reference: { reference: 'Patient/none' },
        type: { system: 'http://hl7.org/fhir/resource-types', code: 'Patient' },
        detail: [
          { type: 'CorrelationId', value: Buffer.from('stu3-read').toString('base64') },
          { type: 'RequestUri', value: Buffer.from(`${srv.url}/Patient/none`).toString('base64') },
        ],
      }],
    });
  });
});
