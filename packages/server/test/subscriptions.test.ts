// Rest-hook Subscriptions over real HTTP: a server on the embedded database with subscriptions
// enabled, and a receiver (a plain HTTP server in this process) that records what it is sent or
// fails on purpose. A Subscription asking for `requested` becomes `active`; a matching write is
// posted (with the resource, or empty), a non-matching one is not; an endpoint that keeps failing,
// another channel, bad criteria or an endpoint outside the allowed ones set it to `error`.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig, startServer, type RunningServer } from '../src/index.js';
import { endpointAllowed } from '../src/subscriptions/notifier.js';

interface Received { path: string; headers: IncomingHttpHeaders; body: string }

const LOINC_BILIRUBIN = 'http://loinc.org|1975-2';
const json = { 'content-type': 'application/fhir+json' };

/** Polls `fn` every 50 ms for up to 5 s until it returns something other than undefined. */
async function eventually<T>(fn: () => Promise<T | undefined> | T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Timed out waiting for ${what}.`);
}

describe('rest-hook Subscriptions', () => {
  let receiver: Server;
  let hooks: string;
  const received: Received[] = [];
  let srv: RunningServer;
  let off: RunningServer;

  const post = async (server: RunningServer, r: Record<string, unknown>) => {
    const res = await fetch(`${server.url}/${r.resourceType}`, { method: 'POST', headers: json, body: JSON.stringify(r) });
    const body = (await res.json()) as Record<string, unknown> & { id: string };
    assert.equal(res.status, 201, JSON.stringify(body));
    return body;
  };
  const read = async (server: RunningServer, path: string) => (await (await fetch(`${server.url}/${path}`)).json()) as Record<string, unknown>;
  const subscription = (criteria: string, channel: Record<string, unknown>) => ({ resourceType: 'Subscription', status: 'requested', reason: 'test', criteria, channel: { type: 'rest-hook', ...channel } });
  const observation = (code: string, value = 1) => {
    const [system, c] = code.split('|');
    return { resourceType: 'Observation', status: 'final', code: { coding: [{ system, code: c }] }, valueQuantity: { value } };
  };
  /** What the receiver got at `path`, once it has `n` requests there. */
  const at = (path: string, n: number) => eventually(() => {
    const list = received.filter((r) => r.path === path);
    return list.length >= n ? list : undefined;
  }, `${n} notification(s) at ${path}`);
  const statusOf = (server: RunningServer, id: string, status: string) => eventually(async () => {
    const s = await read(server, `Subscription/${id}`);
    return s.status === status ? s : undefined;
  }, `Subscription/${id} to be ${status}`);

  before(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
        res.statusCode = req.url?.startsWith('/fail') ? 500 : 200;
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    hooks = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    const common = { port: 0, host: '127.0.0.1', storage: { kind: 'embedded' as const, dataDir: 'memory://' }, audit: { console: false }, export: { enabled: false } };
    srv = await startServer({ ...common, subscriptions: { enabled: true, endpoints: [`${hooks}/`], retries: 1, timeoutSeconds: 5 } }, {});
    off = await startServer(common, {});
  });
  after(async () => {
    await srv?.close();
    await off?.close();
    receiver?.closeAllConnections();
    await new Promise<void>((r) => receiver.close(() => r()));
  });

  test('requested becomes active; each matching write is posted with the resource and the channel headers, others are not', async () => {
    const sub = await post(srv, subscription(`Observation?code=${LOINC_BILIRUBIN}`, { endpoint: `${hooks}/bili`, payload: 'application/fhir+json', header: ['Authorization: Bearer hook-secret'] }));
    const active = await statusOf(srv, sub.id, 'active');
    assert.equal((active.meta as { versionId: string }).versionId, '2');
    const first = await post(srv, observation(LOINC_BILIRUBIN, 7));
    await post(srv, observation('http://loinc.org|718-7'));
    const second = await post(srv, observation(LOINC_BILIRUBIN, 9));
    // An update of a match is posted too.
    const updated = await fetch(`${srv.url}/Observation/${first.id}`, { method: 'PUT', headers: json, body: JSON.stringify({ ...observation(LOINC_BILIRUBIN, 8), id: first.id }) });
    assert.equal(updated.status, 200);
    const got = await at('/bili', 3);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(received.filter((r) => r.path === '/bili').length, 3, 'the other code is not posted');
    assert.deepEqual(got.map((r) => { const o = JSON.parse(r.body); return [o.id, o.meta.versionId, o.valueQuantity.value]; }), [[first.id, '1', 7], [second.id, '1', 9], [first.id, '2', 8]]);
    for (const r of got) {
      assert.equal(r.headers['content-type'], 'application/fhir+json');
      assert.equal(r.headers.authorization, 'Bearer hook-secret');
    }
  });

  test('without a payload: an empty notification', async () => {
    const sub = await post(srv, subscription('Patient?family=Pingable', { endpoint: `${hooks}/ping` }));
    await statusOf(srv, sub.id, 'active');
    await post(srv, { resourceType: 'Patient', name: [{ family: 'Pingable' }] });
    const [ping] = await at('/ping', 1);
    assert.equal(ping.body, '');
    assert.equal(ping.headers['content-type'], undefined);
  });

  test('an endpoint that keeps failing: tried 1 + retries times, then the Subscription is set to error', async () => {
    const sub = await post(srv, subscription('Patient?family=Failing', { endpoint: `${hooks}/fail` }));
    await statusOf(srv, sub.id, 'active');
    await post(srv, { resourceType: 'Patient', name: [{ family: 'Failing' }] });
    const errored = await statusOf(srv, sub.id, 'error');
    assert.equal(errored.error, `Notifying ${hooks}/fail failed 2 times: the endpoint answered 500.`);
    assert.equal(received.filter((r) => r.path === '/fail').length, 2);
    // In error, it is not notified any more.
    await post(srv, { resourceType: 'Patient', name: [{ family: 'Failing' }] });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(received.filter((r) => r.path === '/fail').length, 2);
  });

  test('past its end: turned off at its next match, nothing posted', async () => {
    const sub = await post(srv, { ...subscription('Patient?family=Ended', { endpoint: `${hooks}/ended` }), end: '2020-01-01T00:00:00Z' });
    await statusOf(srv, sub.id, 'active');
    await post(srv, { resourceType: 'Patient', name: [{ family: 'Ended' }] });
    await statusOf(srv, sub.id, 'off');
    assert.equal(received.filter((r) => r.path === '/ended').length, 0);
  });

  test('what cannot be delivered is set to error with the reason', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [subscription('Patient?family=x', { type: 'email', endpoint: 'mailto:someone@example.org' }), "Only rest-hook channels are delivered, not 'email'."],
      [subscription('Patient?family=x', { endpoint: 'https://elsewhere.example.org/hook' }), 'The endpoint https://elsewhere.example.org/hook is not one this server may notify (subscriptions.endpoints).'],
      [subscription('Patient?no-such-param=x', { endpoint: `${hooks}/x` }), "Unknown search parameter 'no-such-param' for Patient."],
      [subscription('Patient?family=x&_sort=family', { endpoint: `${hooks}/x` }), "A Subscription's criteria may not use _sort."],
      [subscription('family=x', { endpoint: `${hooks}/x` }), "The criteria 'family=x' are not a search of a resource type (Type?parameters)."],
      [subscription('Patient?family=x', { endpoint: `${hooks}/x`, payload: 'application/fhir+xml' }), "The payload 'application/fhir+xml' is not delivered: use application/fhir+json, or none for empty notifications."],
      [subscription('Patient?family=x', { endpoint: `${hooks}/x`, header: ['no colon'] }), 'The channel header "no colon" is not \'Name: value\'.'],
    ];
    for (const [body, reason] of cases) {
      const sub = await post(srv, body);
      const errored = await statusOf(srv, sub.id, 'error');
      assert.equal(errored.error, reason);
    }
  });

  test('off (the default): Subscriptions are stored as sent and nothing is posted', async () => {
    assert.equal(loadConfig({}).subscriptions.enabled, false);
    const sub = await post(off, subscription('Patient?family=Quiet', { endpoint: `${hooks}/quiet` }));
    await post(off, { resourceType: 'Patient', name: [{ family: 'Quiet' }] });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await read(off, `Subscription/${sub.id}`)).status, 'requested');
    assert.equal(received.filter((r) => r.path === '/quiet').length, 0);
  });

  test('settings: HESTIA_SUBSCRIPTIONS_*, checked at startup', () => {
    const cfg = loadConfig({ HESTIA_SUBSCRIPTIONS_ENABLED: 'true', HESTIA_SUBSCRIPTIONS_ENDPOINTS: 'https://a.example.org/, https://b.example.org/hooks/', HESTIA_SUBSCRIPTIONS_TIMEOUT_SECONDS: '3', HESTIA_SUBSCRIPTIONS_RETRIES: '0' });
    assert.deepEqual(cfg.subscriptions, { enabled: true, endpoints: ['https://a.example.org/', 'https://b.example.org/hooks/'], timeoutSeconds: 3, retries: 0 });
    assert.throws(() => loadConfig({ HESTIA_SUBSCRIPTIONS_RETRIES: '1.5' }), /subscriptions\.retries \(HESTIA_SUBSCRIPTIONS_RETRIES\) must be a whole number/);
    assert.throws(() => loadConfig({ HESTIA_SUBSCRIPTIONS_ENDPOINTS: 'ftp://x' }), /'ftp:\/\/x' is not an http\(s\) URL prefix/);
    assert.throws(() => loadConfig({ HESTIA_SUBSCRIPTIONS_TIMEOUT_SECONDS: '0' }), /subscriptions\.timeoutSeconds/);
    // An allowed prefix lets in its own origin and paths below its path only.
    assert.equal(endpointAllowed('https://a.example.org', 'https://a.example.org/hooks/1'), true);
    assert.equal(endpointAllowed('https://a.example.org', 'https://a.example.org.evil.test/hooks'), false);
    assert.equal(endpointAllowed('https://a.example.org', 'https://a.example.org:8443/hooks'), false);
    assert.equal(endpointAllowed('https://a.example.org/hooks/', 'https://a.example.org/hooks/x'), true);
    assert.equal(endpointAllowed('https://a.example.org/hooks/', 'https://a.example.org/other'), false);
    assert.equal(endpointAllowed('https://a.example.org/', 'http://a.example.org/hooks'), false);
  });
});
