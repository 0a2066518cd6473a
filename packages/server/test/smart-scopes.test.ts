// SMART scopes over HTTP, with real signed tokens from a real OpenID Connect issuer
// (oauth2-mock-server): a token's clinical scopes (claim `scope`, or Azure AD's `scp` in its dotted
// form) narrow what its roles allow; patient-level scopes reach only the token's patient (claim
// `patient`, or `fhirUser` naming a Patient); tokens without SMART scopes keep their roles; and
// security.smartScopes=false turns it off. The compartment rules themselves are in the conformance
// kit (suites/compartment-limit.ts), run by every adapter.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { OAuth2Server } from 'oauth2-mock-server';
import { loadConfig, startServer, type RunningServer } from '../src/index.js';

const AUDIENCE = 'api://hestia-scopes';

describe('SMART scopes on top of roles', () => {
  let issuer: OAuth2Server;
  let srv: RunningServer;
  let unscoped: RunningServer;

  const token = (claims: Record<string, unknown>) =>
    issuer.issuer.buildToken({ scopesOrTransform: (_h, payload) => Object.assign(payload, { aud: AUDIENCE, sub: 'caller', roles: ['admin'] }, claims) });
  const call = async (server: RunningServer, bearer: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}/${path}`, {
      method, headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/fhir+json' }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as { resourceType: string; entry?: { resource: { id: string } }[]; issue?: { code: string; diagnostics: string }[] } };
  };
  const forbidden = (res: Awaited<ReturnType<typeof call>>, diagnostics: string) => {
    assert.equal(res.status, 403, JSON.stringify(res.body));
    assert.deepEqual(res.body.issue, [{ severity: 'error', code: 'forbidden', diagnostics }]);
  };
  const ids = (res: Awaited<ReturnType<typeof call>>) => {
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return (res.body.entry ?? []).map((e) => e.resource.id).sort();
  };

  before(async () => {
    issuer = new OAuth2Server();
    await issuer.issuer.keys.generate('RS256');
    await issuer.start(0, '127.0.0.1');
    const security = { enabled: true, authority: issuer.issuer.url!, audience: AUDIENCE };
    const common = { port: 0, host: '127.0.0.1', storage: { kind: 'embedded' as const, dataDir: 'memory://' }, audit: { console: false } };
    srv = await startServer({ ...common, security }, {});
    unscoped = await startServer({ ...common, security: { ...security, smartScopes: false } }, {});
    const admin = await token({});
    for (const server of [srv, unscoped]) {
      for (const r of [
        { resourceType: 'Patient', id: 'sp-a' }, { resourceType: 'Patient', id: 'sp-b' },
        { resourceType: 'Observation', id: 'so-a', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/sp-a' } },
        { resourceType: 'Observation', id: 'so-b', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/sp-b' } },
      ]) assert.equal((await call(server, admin, 'PUT', `${r.resourceType}/${r.id}`, r)).status, 201);
    }
  });
  after(async () => {
    await srv?.close();
    await unscoped?.close();
    await issuer?.stop();
  });

  test('user-level scopes: what they name, on top of the roles', async () => {
    const t = await token({ scope: 'openid user/Patient.read' });
    assert.deepEqual(ids(await call(srv, t, 'GET', 'Patient')), ['sp-a', 'sp-b']);
    forbidden(await call(srv, t, 'GET', 'Observation'), "The token's SMART scopes do not allow 's' on Observation.");
    forbidden(await call(srv, t, 'POST', 'Patient', { resourceType: 'Patient' }), "The token's SMART scopes do not allow 'c' on Patient.");
  });

  test('roles still apply: a scope grants nothing the roles do not', async () => {
    const t = await token({ scope: 'user/*.cruds', roles: ['reader'] });
    assert.equal((await call(srv, t, 'GET', 'Patient/sp-a')).status, 200);
    forbidden(await call(srv, t, 'POST', 'Patient', { resourceType: 'Patient' }), "The caller's roles do not allow the action 'write' on Patient.");
  });

  test("patient-level scopes: the token's patient only, from `patient` or from `fhirUser`", async () => {
    for (const claims of [{ scope: 'patient/*.read', patient: 'sp-a' }, { scope: 'patient/*.read', fhirUser: 'https://fhir.example.org/Patient/sp-a' }, { scp: 'patient.all.read', patient: 'sp-a' }]) {
      const t = await token(claims);
      const label = JSON.stringify(claims);
      assert.deepEqual(ids(await call(srv, t, 'GET', 'Observation')), ['so-a'], label);
      assert.deepEqual(ids(await call(srv, t, 'GET', 'Patient')), ['sp-a'], label);
      assert.equal((await call(srv, t, 'GET', 'Observation/so-b')).status, 404, label);
      forbidden(await call(srv, t, 'PUT', 'Observation/so-a', { resourceType: 'Observation', id: 'so-a', status: 'final', code: { text: 'x' } }), "The token's SMART scopes do not allow 'u' on Observation.");
    }
  });

  test('patient-level scopes without a patient grant nothing', async () => {
    const t = await token({ scope: 'patient/*.read', fhirUser: 'Practitioner/dr-1' });
    forbidden(await call(srv, t, 'GET', 'Observation/so-a'),
      "The token's patient-level scopes allow 'r' on Observation only with a patient context, and the token names no patient (claim 'patient', or 'fhirUser' naming a Patient).");
  });

  test('patient-level writes stay inside the compartment', async () => {
    const t = await token({ scope: 'launch/patient patient/Observation.cruds patient/Patient.rs', patient: 'sp-a' });
    const mine = await call(srv, t, 'POST', 'Observation', { resourceType: 'Observation', status: 'final', code: { text: 'y' }, subject: { reference: 'Patient/sp-a' } });
    assert.equal(mine.status, 201);
    forbidden(await call(srv, t, 'POST', 'Observation', { resourceType: 'Observation', status: 'final', code: { text: 'y' }, subject: { reference: 'Patient/sp-b' } }),
      "This caller's access is limited to the compartment of Patient/sp-a: this Observation would be outside it.");
    forbidden(await call(srv, t, 'DELETE', 'Observation/so-b'), "This caller's access is limited to the compartment of Patient/sp-a: Observation/so-b is outside it.");
    forbidden(await call(srv, t, 'POST', 'Patient', { resourceType: 'Patient' }), "The token's SMART scopes do not allow 'c' on Patient.");
  });

  test('a token without SMART scopes, and security.smartScopes=false: the roles alone decide', async () => {
    const plain = await token({ scope: 'openid profile' });
    assert.deepEqual(ids(await call(srv, plain, 'GET', 'Observation?_id=so-a,so-b')), ['so-a', 'so-b']);
    const scoped = await token({ scope: 'patient/Observation.read', patient: 'sp-a' });
    assert.deepEqual(ids(await call(unscoped, scoped, 'GET', 'Observation')), ['so-a', 'so-b']);
    assert.equal((await call(unscoped, scoped, 'DELETE', 'Observation/so-b')).status, 204);
  });

  test('the SMART configuration lists the scope capabilities only when scopes are enforced', async () => {
    const caps = async (s: RunningServer) => ((await (await fetch(`${s.url}/.well-known/smart-configuration`)).json()) as { capabilities: string[] }).capabilities;
    assert.deepEqual((await caps(srv)).filter((c) => c.startsWith('permission-')), ['permission-v1', 'permission-v2', 'permission-patient', 'permission-user']);
    assert.deepEqual((await caps(unscoped)).filter((c) => c.startsWith('permission-')), []);
  });

  test('HESTIA_SECURITY_SMART_SCOPES reads true and false; the default is on', () => {
    assert.equal(loadConfig({}).security.smartScopes, true);
    assert.equal(loadConfig({ HESTIA_SECURITY_SMART_SCOPES: 'false' }).security.smartScopes, false);
  });
});
