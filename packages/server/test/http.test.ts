// The REST API over real HTTP, on PostgreSQL: headers, formats, errors, and a third-party client.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Client as FhirKitClient } from 'fhir-kit-client';
import { startServer, type RunningServer } from '../src/index.js';
import { createTestDatabase, postgresAvailable } from '../../../test/support/postgres.js';

const unavailable = await postgresAvailable();

describe('HTTP API on PostgreSQL', { skip: unavailable }, () => {
  let srv: RunningServer;
  let drop: () => Promise<void>;
  const json = { 'content-type': 'application/fhir+json' };

  before(async () => {
    const db = await createTestDatabase();
    drop = db.drop;
    srv = await startServer({ port: 0, host: '127.0.0.1', storage: { kind: 'postgres', connectionString: db.url }, limits: { maxBodyBytes: 64 * 1024 } }, {});
  });
  after(async () => {
    await srv?.close();
    await drop?.();
  });

  test('create returns 201 with Location, ETag and Last-Modified; read returns the same resource', async () => {
    const res = await fetch(`${srv.url}/Patient`, { method: 'POST', headers: json, body: JSON.stringify({ resourceType: 'Patient', id: 'ignored', name: [{ family: 'Http' }] }) });
    assert.equal(res.status, 201);
    const body = await res.json();
    assert.notEqual(body.id, 'ignored');
    assert.equal(res.headers.get('location'), `${srv.url}/Patient/${body.id}/_history/1`);
    assert.equal(res.headers.get('etag'), 'W/"1"');
    assert.equal(res.headers.get('content-type'), 'application/fhir+json; charset=utf-8');
    assert.equal(new Date(res.headers.get('last-modified')!).getTime(), Math.floor(Date.parse(body.meta.lastUpdated) / 1000) * 1000);
    const read = await fetch(`${srv.url}/Patient/${body.id}`);
    assert.equal(read.status, 200);
    assert.deepEqual(await read.json(), body);
    assert.equal(Object.keys(body)[0], 'resourceType');
  });

  test('a search Bundle of stored resources with non-ASCII text: Content-Length counts bytes, the text arrives intact', async () => {
    const names = ['Zoë Ñúñez', '山田 太郎', 'Ørsted 🚑'];
    const ids: string[] = [];
    for (const given of names) {
      const res = await fetch(`${srv.url}/Patient`, { method: 'POST', headers: json, body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Bytecount', given: [given] }] }) });
      assert.equal(res.status, 201);
      ids.push((await res.json()).id);
    }
    const res = await fetch(`${srv.url}/Patient?family:exact=Bytecount&_sort=_id`);
    assert.equal(res.status, 200);
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.equal(Number(res.headers.get('content-length')), bytes.length);
    const bundle = JSON.parse(bytes.toString('utf8'));
    assert.equal(bundle.total, 3);
    assert.deepEqual(bundle.entry.map((e: { resource: { id: string } }) => e.resource.id), [...ids].sort());
    const byId = new Map(ids.map((id, i) => [id, names[i]]));
    for (const e of bundle.entry) {
      assert.equal(e.fullUrl, `${srv.url}/Patient/${e.resource.id}`);
      assert.deepEqual(e.search, { mode: 'match' });
      assert.deepEqual(e.resource.name[0].given, [byId.get(e.resource.id)]);
    }
  });

  test('_pretty, _summary and _elements on read', async () => {
    const p = await (await fetch(`${srv.url}/Patient`, { method: 'POST', headers: json, body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Shape' }], gender: 'female', text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">x</div>' }, communication: [{ language: { text: 'en' } }] }) })).json();
    const pretty = await (await fetch(`${srv.url}/Patient/${p.id}?_pretty=true`)).text();
    assert.ok(pretty.startsWith('{\n  "resourceType": "Patient"'));
    const summary = await (await fetch(`${srv.url}/Patient/${p.id}?_summary=true`)).json();
    assert.equal(summary.gender, 'female');
    assert.equal(summary.communication, undefined);
    assert.equal(summary.text, undefined);
    assert.ok(summary.meta.tag.some((t: { code: string }) => t.code === 'SUBSETTED'));
    const el = await (await fetch(`${srv.url}/Patient/${p.id}?_elements=gender`)).json();
    assert.deepEqual(Object.keys(el).sort(), ['gender', 'id', 'meta', 'resourceType']);
  });

  test('XML in and out: Content-Type, Accept and _format', async () => {
    const xml = '<Patient xmlns="http://hl7.org/fhir"><active value="true"/><name><family value="Xml"/><given value="Ada"/></name><birthDate value="1815-12-10"/></Patient>';
    const res = await fetch(`${srv.url}/Patient`, { method: 'POST', headers: { 'content-type': 'application/fhir+xml', accept: 'application/fhir+xml' }, body: xml });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('content-type'), 'application/fhir+xml; charset=utf-8');
    const text = await res.text();
    const id = /<id value="([^"]+)"\/>/.exec(text)![1];
    assert.match(text, /^<Patient xmlns="http:\/\/hl7.org\/fhir"><id value="[^"]+"\/><meta><versionId value="1"\/>/);
    assert.match(text, /<name><family value="Xml"\/><given value="Ada"\/><\/name>/);
    const asJson = await (await fetch(`${srv.url}/Patient/${id}`)).json();
    assert.deepEqual(asJson.name, [{ family: 'Xml', given: ['Ada'] }]);
    assert.equal(asJson.active, true);
    const viaFormat = await fetch(`${srv.url}/Patient?_id=${id}&_format=xml`);
    assert.equal(viaFormat.headers.get('content-type'), 'application/fhir+xml; charset=utf-8');
    assert.match(await viaFormat.text(), /^<Bundle xmlns="http:\/\/hl7.org\/fhir">.*<total value="1"\/>/);
    const bad = await fetch(`${srv.url}/Patient`, { method: 'POST', headers: { 'content-type': 'application/fhir+xml' }, body: '<Patient xmlns="http://hl7.org/fhir"><name><family value="x"/></nam></Patient>' });
    assert.equal(bad.status, 400);
    const err = await fetch(`${srv.url}/Patient/nope-404`, { headers: { accept: 'application/fhir+xml' } });
    assert.equal(err.status, 404);
    assert.match(await err.text(), /^<OperationOutcome xmlns="http:\/\/hl7.org\/fhir"><issue><severity value="error"\/><code value="not-found"\/>/);
  });

  test('GET /$whoami with security off: says so, and that every action is allowed', async () => {
    const res = await fetch(`${srv.url}/$whoami`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {
      resourceType: 'Parameters',
      parameter: [{ name: 'securityEnabled', valueBoolean: false }, ...['read', 'write', 'delete', 'hardDelete', 'export', 'reindex', 'subscribe'].map((a) => ({ name: 'action', part: [{ name: 'name', valueCode: a }] }))],
    });
    assert.equal((await fetch(`${srv.url}/$whoami?_format=text/csv`)).status, 406);
  });

  test('errors are OperationOutcomes with the right status', async () => {
    const cases: [string, RequestInit, number, string][] = [
      ['/Patient', { method: 'POST', headers: json, body: '{not json' }, 400, 'structure'],
      ['/Patient', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' }, 415, 'not-supported'],
      ['/Patient', { method: 'POST', headers: json, body: JSON.stringify({ resourceType: 'Observation', status: 'final', code: { text: 'x' } }) }, 400, 'invalid'],
      ['/Patient/abc', { method: 'PUT', headers: json, body: JSON.stringify({ resourceType: 'Patient', id: 'xyz' }) }, 400, 'invalid'],
      ['/Patient/bad_id!', { method: 'GET' }, 400, 'invalid'],
      ['/NotAType/1', { method: 'GET' }, 404, 'not-found'],
      ['/Patient/does-not-exist', { method: 'GET' }, 404, 'not-found'],
      ['/Patient/1', { method: 'POST', headers: json, body: '{}' }, 405, 'not-supported'],
      ['/Patient', { method: 'POST', headers: json, body: JSON.stringify({ resourceType: 'Patient', text: 'x'.repeat(70 * 1024) }) }, 413, 'too-long'],
      ['/Patient?birthdate=notadate', { method: 'GET' }, 400, 'invalid'],
      ['/Patient/x', { method: 'GET', headers: { accept: 'image/png' } }, 406, 'not-supported'],
    ];
    for (const [path, init, status, code] of cases) {
      const res = await fetch(`${srv.url}${path}`, init);
      assert.equal(res.status, status, `${init.method} ${path}`);
      const body = await res.json();
      assert.equal(body.resourceType, 'OperationOutcome', path);
      assert.equal(body.issue[0].severity, 'error');
      assert.equal(body.issue[0].code, code, `${path}: ${body.issue[0].diagnostics}`);
    }
  });

  test('a corpus of malformed requests never yields a 5xx and changes nothing', async () => {
    const count = async () => (await (await fetch(`${srv.url}/?_summary=count`)).json()).total as number;
    const before = await count();
    const bodies = ['', 'null', '[]', '"string"', '42', '{', '{"resourceType":1}', '{"resourceType":"Patient","id":{}}', '{"resourceType":"Patient","id":"a b"}',
      '{"resourceType":"Nope"}', '{"resourceType":"Bundle","type":"weird"}', '\u0000\u0001', '{"resourceType":"Patient","meta":"x"}', '<Patient xmlns="http://hl7.org/fhir"><bad',
      '{"resourceType":"Patient","birthDate":{"$gt":""}}', '{"resourceType":"Patient","name":"x"}', '{"resourceType":"Patient","unknownElement":true}'];
    const types = ['application/fhir+json', 'application/json', 'application/fhir+xml', 'application/json-patch+json', 'application/x-www-form-urlencoded', 'text/html', ''];
    const paths = ['/Patient', '/Patient/p1', '/Patient/p1/_history/1', '/Patient/p1/_history/x', '/', '/_history', '/Patient/_search', '/Patient/$foo', '/Patient/p1/$bar', '/metadata',
      '/Patient?_count=-1', '/Patient?_count=abc', '/Patient?_sort=nope', '/Patient?_include=Nope:x', '/Patient?name:weird=x', '/Patient?_ct=forged', '/Patient?birthdate=ge', '/Patient?_lastUpdated=xx',
      '/Patient?general-practitioner=Nope/1', '/Patient?_has:Nope:x:y=1', '/Patient?_has:Observation', '/Observation?value-quantity=abc', '/Observation?code=%E0%A4%A', '/Patient/p1/Observation', '/Foo/p1/Bar',
      '/Patient?_id=' + 'x'.repeat(200), '/Patient?identifier=a|b|c', '/Observation?code-value-quantity=x', '/Patient?_summary=maybe', '/Patient/p1?_summary=nope'];
    const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'];
    let requests = 0;
    for (const path of paths) {
      for (const method of methods) {
        const variants = method === 'GET' || method === 'HEAD' || method === 'DELETE' ? [[undefined, undefined]] : bodies.flatMap((b) => types.map((t) => [b, t]));
        for (const [body, type] of variants) {
          const headers: Record<string, string> = type ? { 'content-type': type } : {};
          if (requests % 7 === 0) headers['if-match'] = 'garbage';
          if (requests % 11 === 0) headers['if-none-exist'] = 'identifier=%%%';
          const res = await fetch(`${srv.url}${path}`, { method, headers, body });
          requests++;
          assert.ok(res.status < 500, `${method} ${path} ${type} ${String(body).slice(0, 40)} -> ${res.status} ${await res.text()}`);
          await res.arrayBuffer().catch(() => undefined);
        }
      }
    }
    assert.ok(requests > 3000);
    assert.equal(await count(), before);
  });

  test('a third-party FHIR client (fhir-kit-client) works against Hestia', async () => {
    const client = new FhirKitClient({ baseUrl: srv.url });
    const created = await client.create({ resourceType: 'Patient', body: { resourceType: 'Patient', name: [{ family: 'Kit', given: ['Client'] }], birthDate: '1990-02-03' } }) as { id: string };
    const read = await client.read({ resourceType: 'Patient', id: created.id }) as { name: { family: string }[] };
    assert.equal(read.name[0].family, 'Kit');
    const updated = await client.update({ resourceType: 'Patient', id: created.id, body: { ...read, gender: 'male' } }) as { meta: { versionId: string } };
    assert.equal(updated.meta.versionId, '2');
    const found = await client.search({ resourceType: 'Patient', searchParams: { family: 'kit', birthdate: '1990' } }) as { entry: { resource: { id: string } }[] };
    assert.deepEqual(found.entry.map((e) => e.resource.id), [created.id]);
    const history = await client.history({ resourceType: 'Patient', id: created.id }) as { entry: unknown[] };
    assert.equal(history.entry.length, 2);
    const caps = await client.capabilityStatement() as { fhirVersion: string };
    assert.equal(caps.fhirVersion, '4.0.1');
    await client.delete({ resourceType: 'Patient', id: created.id });
    await assert.rejects(client.read({ resourceType: 'Patient', id: created.id }), (e: { response?: { status: number } }) => e.response?.status === 410);
  });
});
