// The SMART on FHIR proxy over real HTTP, with a real OpenID Connect issuer (oauth2-mock-server) in
// the role of Azure AD: an EHR launch from authorize to the token response with its launch context,
// PKCE passed through, the token then used on the server; and the requests it must refuse.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OAuth2Server } from 'oauth2-mock-server';
import { startServer, type RunningServer } from '../src/index.js';

const AUDIENCE = 'https://fhir.hestia.test';
const APP = 'http://app.hestia.test/callback';
const b64url = (s: string) => Buffer.from(s).toString('base64url');

describe('SMART on FHIR proxy', () => {
  let mock: OAuth2Server;
  let srv: RunningServer;
  let dir: string;
  /** The form bodies the issuer's token endpoint received. */
  const tokenRequests: Record<string, string>[] = [];

  before(async () => {
    mock = new OAuth2Server();
    await mock.issuer.keys.generate('RS256');
    await mock.start(0, '127.0.0.1');
    // The access token (it has a scope; the id token has none) is for the FHIR server, as a reader.
    mock.service.on('beforeTokenSigning', (token: { payload: Record<string, unknown> }) => {
      if (token.payload.scope !== undefined) Object.assign(token.payload, { aud: AUDIENCE, roles: ['reader'] });
    });
    mock.service.on('beforeResponse', (_res: unknown, req: { body: Record<string, string> }) => tokenRequests.push({ ...req.body }));
    dir = mkdtempSync(join(tmpdir(), 'hestia-smart-'));
    srv = await startServer({
      port: 0, host: '127.0.0.1', storage: { kind: 'embedded', dataDir: join(dir, 'data') }, audit: { console: false },
      security: { enabled: true, authority: mock.issuer.url!, audience: [AUDIENCE], smartProxy: true },
    }, {});
  });
  after(async () => {
    await srv?.close();
    await mock?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const proxy = () => `${srv.url}/AadSmartOnFhirProxy`;
  const redirectOf = async (url: string) => {
    const res = await fetch(url, { redirect: 'manual' });
    assert.equal(res.status, 302, `${url}: ${res.status} ${await res.clone().text()}`);
    return new URL(res.headers.get('location')!);
  };
  const outcomeOf = async (res: Response) => {
    const body = (await res.json()) as { resourceType: string; issue: { diagnostics: string }[] };
    assert.equal(body.resourceType, 'OperationOutcome');
    return body.issue[0].diagnostics;
  };

  test('the SMART configuration sends apps to the proxy', async () => {
    const res = await fetch(`${srv.url}/.well-known/smart-configuration`);
    assert.equal(res.status, 200);
    const smart = (await res.json()) as Record<string, unknown>;
    assert.equal(smart.authorization_endpoint, `${proxy()}/authorize`);
    assert.equal(smart.token_endpoint, `${proxy()}/token`);
    assert.equal(smart.issuer, mock.issuer.url);
    assert.deepEqual(smart.capabilities, ['launch-standalone', 'client-public', 'client-confidential-symmetric', 'sso-openid-connect', 'permission-v1', 'permission-v2', 'permission-patient', 'permission-user', 'launch-ehr', 'context-ehr-patient', 'context-ehr-encounter']);
  });

  test('an EHR launch: authorize, the authority, the callback, the token with its launch context, then the server', async () => {
    const patient = (await (await fetch(`${srv.url}/Patient`, { method: 'POST' })).status); // no token: 401
    assert.equal(patient, 401);
    const launch = Buffer.from(JSON.stringify({ patient: 'pat-1', encounter: 'enc-7', need_patient_banner: false, ignored: 'x' })).toString('base64');
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const authorize = new URL(`${proxy()}/authorize`);
    for (const [k, v] of Object.entries({
      response_type: 'code', client_id: 'smart-app', redirect_uri: APP, state: 'app-state-42', aud: srv.url, launch,
      scope: 'launch patient/Patient.read patient/*.read openid fhirUser offline_access', code_challenge: challenge, code_challenge_method: 'S256',
    })) authorize.searchParams.set(k, v);

    // 1. The proxy sends the browser to the authority, with the callback and the authority's scopes.
    const atAuthority = await redirectOf(authorize.href);
    assert.equal(`${atAuthority.origin}${atAuthority.pathname}`, `${mock.issuer.url}/authorize`);
    const q = Object.fromEntries(atAuthority.searchParams);
    assert.equal(q.redirect_uri, `${proxy()}/callback/${b64url(APP)}`);
    assert.equal(q.scope, `${AUDIENCE}/patient.Patient.read ${AUDIENCE}/patient.all.read openid offline_access`);
    assert.equal(q.client_id, 'smart-app');
    assert.equal(q.code_challenge, challenge);
    assert.equal(q.aud, undefined);
    assert.equal(q.launch, undefined);
    assert.notEqual(q.state, 'app-state-42');

    // 2. The authority answers the callback with its code; 3. the proxy hands the app a wrapped code.
    const atCallback = await redirectOf(atAuthority.href);
    assert.equal(`${atCallback.origin}${atCallback.pathname}`, `${proxy()}/callback/${b64url(APP)}`);
    const authorityCode = atCallback.searchParams.get('code')!;
    const atApp = await redirectOf(atCallback.href);
    assert.equal(`${atApp.origin}${atApp.pathname}`, APP);
    assert.equal(atApp.searchParams.get('state'), 'app-state-42');
    const code = atApp.searchParams.get('code')!;
    assert.ok(code && code !== authorityCode);

    // 4. The token: the authority gets its own code and the callback as redirect_uri (PKCE checked by it).
    const res = await fetch(`${proxy()}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: APP, client_id: 'smart-app', code_verifier: verifier }).toString(),
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const token = (await res.json()) as Record<string, unknown>;
    assert.equal(token.token_type, 'Bearer');
    assert.equal(token.patient, 'pat-1');
    assert.equal(token.encounter, 'enc-7');
    assert.equal(token.need_patient_banner, false);
    assert.equal(token.ignored, undefined);
    const sent = tokenRequests.at(-1)!;
    assert.equal(sent.code, authorityCode);
    assert.equal(sent.redirect_uri, `${proxy()}/callback/${b64url(APP)}`);
    assert.equal(sent.code_verifier, verifier);

    // 5. The access token works on the server (a reader may search, not write).
    const auth = { authorization: `Bearer ${token.access_token as string}` };
    assert.equal((await fetch(`${srv.url}/Patient`, { headers: auth })).status, 200);
    assert.equal((await fetch(`${srv.url}/Patient`, { method: 'POST', headers: { ...auth, 'content-type': 'application/fhir+json' }, body: '{"resourceType":"Patient"}' })).status, 403);

    // A refresh goes to the authority as it is, without launch context.
    const refreshed = await fetch(`${proxy()}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: String(token.refresh_token), client_id: 'smart-app' }).toString(),
    });
    assert.equal(refreshed.status, 200);
    const again = (await refreshed.json()) as Record<string, unknown>;
    assert.equal(typeof again.access_token, 'string');
    assert.equal(again.patient, undefined);
    assert.equal(tokenRequests.at(-1)!.refresh_token, token.refresh_token);
  });

  test('requests the proxy refuses: 400 OperationOutcomes naming the problem', async () => {
    const authorize = (params: Record<string, string>) => fetch(`${proxy()}/authorize?${new URLSearchParams({ response_type: 'code', client_id: 'a', redirect_uri: APP, ...params })}`, { redirect: 'manual' });
    let res = await authorize({ aud: 'https://elsewhere.example' });
    assert.equal(res.status, 400);
    assert.match(await outcomeOf(res), /aud must name this FHIR server/);
    res = await authorize({ launch: 'not json' });
    assert.equal(res.status, 400);
    assert.match(await outcomeOf(res), /launch parameter must be base64-encoded JSON/);
    res = await fetch(`${proxy()}/authorize?response_type=code&client_id=a&redirect_uri=relative/path`, { redirect: 'manual' });
    assert.equal(res.status, 400);
    assert.match(await outcomeOf(res), /redirect_uri must be an absolute URL/);
    for (const state of ['garbage', b64url('null'), b64url('[1]')]) {
      res = await fetch(`${proxy()}/callback/${b64url(APP)}?code=c&state=${state}`, { redirect: 'manual' });
      assert.equal(res.status, 400);
      assert.match(await outcomeOf(res), /state was not issued through this proxy/);
    }
    // A genuine state sends codes only to the app that asked: not to a URL put in a crafted callback link.
    const genuine = (await redirectOf(`${proxy()}/authorize?${new URLSearchParams({ response_type: 'code', client_id: 'a', redirect_uri: APP, state: 's' })}`)).searchParams.get('state')!;
    res = await fetch(`${proxy()}/callback/${b64url('https://evil.example/steal')}?code=c&state=${encodeURIComponent(genuine)}`, { redirect: 'manual' });
    assert.equal(res.status, 400);
    assert.match(await outcomeOf(res), /state was not issued through this proxy/);
    const forged = `${b64url(JSON.stringify({ s: 's', l: {}, r: 'https://evil.example/steal' }))}.${genuine.split('.')[1]}`;
    res = await fetch(`${proxy()}/callback/${b64url('https://evil.example/steal')}?code=c&state=${encodeURIComponent(forged)}`, { redirect: 'manual' });
    assert.equal(res.status, 400);
    res = await fetch(`${proxy()}/callback/${b64url('not a url')}?code=c`, { redirect: 'manual' });
    assert.equal(res.status, 400);
    assert.match(await outcomeOf(res), /does not name the application/);
    const before = tokenRequests.length;
    res = await fetch(`${proxy()}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=authorization_code&code=plain-code&redirect_uri=http%3A%2F%2Fapp' });
    assert.equal(res.status, 400);
    assert.match(await outcomeOf(res), /code was not issued through this proxy/);
    for (const code of [b64url('null'), b64url('{"c":1}')]) {
      res = await fetch(`${proxy()}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `grant_type=authorization_code&code=${code}&redirect_uri=http%3A%2F%2Fapp` });
      assert.equal(res.status, 400);
    }
    res = await fetch(`${proxy()}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `grant_type=authorization_code&code=${b64url('{"c":"x"}')}` });
    assert.equal(res.status, 400);
    assert.match(await outcomeOf(res), /redirect_uri is required/);
    assert.equal(tokenRequests.length, before, 'nothing was sent to the authority');
  });

  test('the authority\'s error comes back to the app with the app\'s state', async () => {
    const atAuthority = await redirectOf(`${proxy()}/authorize?${new URLSearchParams({ response_type: 'token', client_id: 'a', redirect_uri: APP, state: 's1', scope: 'patient/*.read' })}`);
    const atCallback = await redirectOf(atAuthority.href);
    const atApp = await redirectOf(atCallback.href);
    assert.equal(`${atApp.origin}${atApp.pathname}`, APP);
    assert.equal(atApp.searchParams.get('error'), 'unsupported_response_type');
    assert.equal(atApp.searchParams.get('state'), 's1');
    assert.equal(atApp.searchParams.get('code'), null);
  });
});

test('the SMART proxy needs security', async () => {
  await assert.rejects(startServer({ port: 0, storage: { kind: 'embedded', dataDir: 'memory://' }, security: { enabled: false, smartProxy: true } }, {}), /security\.smartProxy .* needs security\.enabled/);
});
