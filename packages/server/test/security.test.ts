// Security over real HTTP: a real OpenID Connect issuer (oauth2-mock-server) in this process, real
// signed tokens, the embedded database; authentication failures, role-based authorization from the
// shipped roles file, allowed object ids, CORS, and startup checks.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import winston from 'winston';
import { generateKeyPair, SignJWT } from 'jose';
import { OAuth2Server } from 'oauth2-mock-server';
import { startServer, loadConfig, DEFAULT_CONFIG, type RunningServer } from '../src/index.js';
import { createSecurity } from '../src/security/index.js';
import { acceptedIssuers, DiscoveryError, isTokenProblem, OidcVerifier } from '../src/security/oidc.js';
import { principalFrom } from '../src/security/principal.js';
import { loadRoles } from '../src/security/roles.js';
import { authorizerFor } from '../src/security/authorization.js';
import { bearerToken } from '../src/security/bearer.js';
import { captureAppLog } from './support/app-log.js';
import { SmartScopes } from '@hestia/core';

const AUDIENCE = 'api://hestia-test';
const ALLOWED_OID = '11111111-1111-1111-1111-111111111111';
const OTHER_OID = '22222222-2222-2222-2222-222222222222';
const APP_ORIGIN = 'https://app.example.org';
const JWKS_COOLDOWN_S = 3;

const LOGIN_FAILED = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'login', diagnostics: 'Authentication failed.' }] };
const forbiddenOutcome = (diagnostics: string) => ({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'forbidden', diagnostics }] });

const b64url = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const decodePart = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A local port nothing listens on (one a server just let go of). */
async function closedPort(): Promise<number> {
  const dead = createServer();
  await new Promise<void>((r) => dead.listen(0, '127.0.0.1', () => r()));
  const port = (dead.address() as { port: number }).port;
  await new Promise<void>((r) => dead.close(() => r()));
  return port;
}

/**
 * The mock issuer behind a counting HTTP relay: the issuer's URL (and so its jwks_uri) is the relay's,
 * which tells how often the server fetched the discovery document and the keys.
 */
async function startIssuer() {
  const mock = new OAuth2Server();
  await mock.issuer.keys.generate('RS256', { kid: 'key-1' });
  await mock.start(0, '127.0.0.1');
  const target = `http://127.0.0.1:${mock.address().port}`;
  const hits = new Map<string, number>();
  const relay: Server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k, v]) => typeof v === 'string' && k !== 'host' && k !== 'connection')) as Record<string, string>;
    const answer = await fetch(target + req.url, { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined });
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
    res.end(Buffer.from(await answer.arrayBuffer()));
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(relay.address() as { port: number }).port}`;
  mock.issuer.url = url;
  return {
    mock,
    url,
    hits: (path: string) => hits.get(path) ?? 0,
    async stop() {
      await new Promise<void>((r) => relay.close(() => r()));
      relay.closeAllConnections();
      await mock.stop();
    },
  };
}
type Issuer = Awaited<ReturnType<typeof startIssuer>>;

interface TokenOptions {
  roles?: string[];
  oid?: string;
  kid?: string;
  expiresIn?: number;
  claims?: Record<string, unknown>;
  /** Claims to remove. */
  without?: string[];
}

function tokenFor(issuer: Issuer, o: TokenOptions = {}): Promise<string> {
  return issuer.mock.issuer.buildToken({
    kid: o.kid ?? 'key-1',
    expiresIn: o.expiresIn ?? 600,
    scopesOrTransform: (_header, payload) => {
      Object.assign(payload, { aud: AUDIENCE, sub: `user-${o.oid ?? ALLOWED_OID}`, oid: o.oid ?? ALLOWED_OID, azp: 'test-client', name: 'Test Caller' });
      if (o.roles) payload.roles = o.roles;
      Object.assign(payload, o.claims ?? {});
      for (const c of o.without ?? []) delete payload[c];
    },
  });
}

describe('security over HTTP with a real OpenID Connect issuer', () => {
  let issuer: Issuer;
  let srv: RunningServer;
  let dir: string;
  const tokens: Record<string, string> = {};
  const auth = (role: string, extra: Record<string, string> = {}) => ({ authorization: `Bearer ${tokens[role]}`, ...extra });
  const fhirJson = { 'content-type': 'application/fhir+json' };

  async function expectLoginFailure(res: Response, challenge: string) {
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), challenge);
    assert.equal(res.headers.get('content-type'), 'application/fhir+json; charset=utf-8');
    assert.equal(await res.text(), JSON.stringify(LOGIN_FAILED));
  }
  const INVALID_TOKEN = 'Bearer realm="hestia", error="invalid_token"';
  const ALG_NOT_ALLOWED = 'Authentication failed: ERR_JOSE_ALG_NOT_ALLOWED: "alg" (Algorithm) Header Parameter value not allowed';
  const NO_MATCHING_KEY = 'Authentication failed: ERR_JWKS_NO_MATCHING_KEY: no applicable key found in the JSON Web Key Set';

  /** A request with this token, refused with 401 invalid_token; returns the messages logged meanwhile (never holding the token). */
  async function refused(token: string): Promise<string[]> {
    const log = captureAppLog();
    try {
      await expectLoginFailure(await fetch(`${srv.url}/Patient`, { headers: { authorization: `Bearer ${token}` } }), INVALID_TOKEN);
    } finally {
      log.stop();
    }
    const lines = log.lines();
    assert.ok(!lines.some((l) => l.includes(token)), 'the token is not logged');
    return lines.map((l) => JSON.parse(l).message as string);
  }

  before(async () => {
    issuer = await startIssuer();
    dir = mkdtempSync(join(tmpdir(), 'hestia-security-'));
    // The shipped roles, and two restricted to resource types.
    const rolesFile = join(dir, 'roles.json');
    const shipped = JSON.parse(readFileSync(DEFAULT_CONFIG.security.rolesFile, 'utf8')) as { roles: unknown[] };
    writeFileSync(rolesFile, JSON.stringify({ roles: [...shipped.roles, { name: 'nurse', actions: ['read'], resourceTypes: ['Patient', 'Observation'] }, { name: 'problems', actions: ['read'], resourceTypes: ['Condition'] }] }));
    srv = await startServer({
      port: 0,
      host: '127.0.0.1',
      storage: { kind: 'embedded', dataDir: join(dir, 'data') },
      audit: { console: false },
      security: { enabled: true, authority: issuer.url, audience: [AUDIENCE, 'https://fhir.example.org'], allowedObjectIds: [ALLOWED_OID, OTHER_OID.replace(/2/g, '3')], jwksCooldownSeconds: JWKS_COOLDOWN_S, rolesFile },
      cors: { origins: [APP_ORIGIN], methods: ['GET', 'POST', 'PUT', 'DELETE'], maxAge: 300 },
      observability: { metrics: { enabled: true, role: 'admin' } },
    }, {});
    for (const role of ['admin', 'reader', 'writer', 'exporter']) tokens[role] = await tokenFor(issuer, { roles: [role] });
    tokens.nurse = await tokenFor(issuer, { roles: ['nurse'] });
    tokens['nurse+problems'] = await tokenFor(issuer, { roles: ['nurse', 'problems'] });
    tokens.none = await tokenFor(issuer, {});
  });
  after(async () => {
    await srv?.close();
    await issuer?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('GET /metadata needs no token (and ignores a bad one)', async () => {
    const res = await fetch(`${srv.url}/metadata`);
    assert.equal(res.status, 200);
    assert.equal((await res.json()).resourceType, 'CapabilityStatement');
    assert.equal((await fetch(`${srv.url}/metadata`, { headers: { authorization: 'Bearer garbage' } })).status, 200);
    assert.equal((await fetch(`${srv.url}/metadata`, { method: 'HEAD' })).status, 200);
  });

  test('/metrics with observability.metrics.role: 401 without a token, 403 without the role, 200 with it', async () => {
    await expectLoginFailure(await fetch(`${srv.url}/metrics`), 'Bearer realm="hestia"');
    const reader = await fetch(`${srv.url}/metrics`, { headers: auth('reader') });
    assert.equal(reader.status, 403);
    assert.deepEqual(await reader.json(), forbiddenOutcome("This endpoint needs the role 'admin'."));
    const admin = await fetch(`${srv.url}/metrics`, { headers: auth('admin') });
    assert.equal(admin.status, 200);
    assert.match(await admin.text(), /^hestia_requests_total\{operation="[a-z-]+",status="\d{3}"\} \d+$/m);
  });

  test('SMART configuration: anonymous, from the authority\'s metadata; the CapabilityStatement names the security service', async () => {
    const res = await fetch(`${srv.url}/.well-known/smart-configuration`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^application\/json/);
    const smart = (await res.json()) as Record<string, unknown>;
    // (oauth2-mock-server's endpoints; its discovery document is not fetched here: another test counts those fetches)
    assert.equal(smart.issuer, issuer.url);
    assert.equal(smart.authorization_endpoint, `${issuer.url}/authorize`);
    assert.equal(smart.token_endpoint, `${issuer.url}/token`);
    assert.equal(smart.jwks_uri, `${issuer.url}/jwks`);
    assert.ok((smart.grant_types_supported as string[]).includes('client_credentials'));
    assert.deepEqual(smart.capabilities, ['launch-standalone', 'client-public', 'client-confidential-symmetric', 'sso-openid-connect', 'permission-v1', 'permission-v2', 'permission-patient', 'permission-user']);
    assert.ok(Array.isArray(smart.code_challenge_methods_supported) && (smart.code_challenge_methods_supported as string[]).includes('S256'));
    const cap = (await (await fetch(`${srv.url}/metadata`)).json()) as { rest: { security?: { cors: boolean; service: { coding: { system: string; code: string }[] }[]; description: string } }[] };
    assert.deepEqual(cap.rest[0].security, {
      cors: true,
      service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }] }],
      description: `OAuth2 bearer tokens from ${issuer.url}; SMART configuration at /.well-known/smart-configuration.`,
    });
  });

  test('/health/check needs no token', async () => {
    assert.equal((await fetch(`${srv.url}/health/check`)).status, 200);
  });

  test('an admin token is accepted (200), and its principal reaches the audit trail', async () => {
    const stream = new PassThrough();
    let audit = '';
    stream.on('data', (d: Buffer) => (audit += d.toString()));
    const transport = new winston.transports.Stream({ stream });
    srv.observability.auditLogger.add(transport);
    try {
      const res = await fetch(`${srv.url}/Patient?_count=1`, { headers: auth('admin', { 'x-request-id': 'security-admin-1' }) });
      assert.equal(res.status, 200);
      assert.equal((await res.json()).resourceType, 'Bundle');
      for (let i = 0; i < 50 && !audit.includes('"Succeeded"'); i++) await sleep(20);
      const record = audit.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((r) => r.CorrelationId === 'security-admin-1' && r.ResultType === 'Succeeded');
      assert.ok(record, audit);
      assert.equal(record.CallerIdentityObjectId, ALLOWED_OID);
      assert.equal(record.CallerIdentityIssuer, issuer.url);
      assert.deepEqual(record.CallerIdentity.roles, ['admin']);
      assert.equal(record.CallerIdentity.azp, 'test-client');
    } finally {
      srv.observability.auditLogger.remove(transport);
    }
  });

  test('a token from the issuer\'s own token endpoint (client credentials) is accepted', async () => {
    const tag = (t: { payload: Record<string, unknown> }) => Object.assign(t.payload, { aud: AUDIENCE, oid: ALLOWED_OID, roles: ['reader'] });
    issuer.mock.service.once('beforeTokenSigning', tag);
    const grant = await fetch(`${issuer.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('client:secret').toString('base64')}` },
      body: 'grant_type=client_credentials&scope=fhir',
    });
    assert.equal(grant.status, 200);
    const { access_token } = (await grant.json()) as { access_token: string };
    assert.equal((await fetch(`${srv.url}/Patient`, { headers: { authorization: `Bearer ${access_token}` } })).status, 200);
  });

  test('a reader writing gets 403 forbidden naming the action', async () => {
    const res = await fetch(`${srv.url}/Patient`, { method: 'POST', headers: auth('reader', fhirJson), body: JSON.stringify({ resourceType: 'Patient' }) });
    assert.equal(res.status, 403);
    assert.deepEqual(await res.json(), forbiddenOutcome("The caller's roles do not allow the action 'write' on Patient."));
  });

  test('a token without roles gets 403 for everything, existing resource or not', async () => {
    const created = await (await fetch(`${srv.url}/Patient`, { method: 'POST', headers: auth('admin', fhirJson), body: JSON.stringify({ resourceType: 'Patient' }) })).json();
    for (const path of [`/Patient/${created.id}`, '/Patient/does-not-exist']) {
      const res = await fetch(srv.url + path, { headers: auth('none') });
      assert.equal(res.status, 403, path);
      assert.deepEqual(await res.json(), forbiddenOutcome("The caller's roles do not allow the action 'read' on Patient."));
    }
    const system = await fetch(`${srv.url}/_history`, { headers: auth('none') });
    assert.equal(system.status, 403);
    assert.deepEqual(await system.json(), forbiddenOutcome("The caller's roles do not allow the action 'read'."));
  });

  test('an object id outside allowedObjectIds gets 403 whatever its roles', async () => {
    const token = await tokenFor(issuer, { roles: ['admin'], oid: OTHER_OID });
    const res = await fetch(`${srv.url}/Patient`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 403);
    assert.deepEqual(await res.json(), forbiddenOutcome("The caller's object ID is not allowed to use this server."));
    const noOid = await tokenFor(issuer, { roles: ['admin'], without: ['oid'] });
    assert.equal((await fetch(`${srv.url}/Patient`, { headers: { authorization: `Bearer ${noOid}` } })).status, 403);
  });

  test('GET /$whoami: what the server makes of the caller\'s token (roles, actions, allow-list, SMART scopes), JSON or XML; 401 without a valid token', async () => {
    const whoami = async (token: string, accept = 'application/fhir+json') => {
      const res = await fetch(`${srv.url}/$whoami`, { headers: { authorization: `Bearer ${token}`, accept } });
      assert.equal(res.status, 200);
      return { type: res.headers.get('content-type'), text: await res.text() };
    };
    const nurse = await tokenFor(issuer, { roles: ['nurse', 'problems', 'surgeon'], claims: { scope: 'openid patient/Observation.rs user/Patient.read patient/Condition.rs?category=x', patient: 'p-1' } });
    const res = await whoami(nurse);
    assert.match(res.type!, /^application\/fhir\+json/);
    const part = (name: string, value: Record<string, unknown>) => ({ name, ...value });
    assert.deepEqual(JSON.parse(res.text), {
      resourceType: 'Parameters',
      parameter: [
        part('securityEnabled', { valueBoolean: true }),
        part('issuer', { valueString: issuer.url }),
        part('subject', { valueString: `user-${ALLOWED_OID}` }),
        part('objectId', { valueString: ALLOWED_OID }),
        part('clientId', { valueString: 'test-client' }),
        part('name', { valueString: 'Test Caller' }),
        part('objectIdAllowed', { valueBoolean: true }),
        part('rolesClaim', { valueString: 'roles' }),
        { name: 'role', part: [part('name', { valueString: 'nurse' }), part('defined', { valueBoolean: true }), part('action', { valueCode: 'read' }), part('resourceType', { valueCode: 'Patient' }), part('resourceType', { valueCode: 'Observation' })] },
        { name: 'role', part: [part('name', { valueString: 'problems' }), part('defined', { valueBoolean: true }), part('action', { valueCode: 'read' }), part('resourceType', { valueCode: 'Condition' })] },
        { name: 'role', part: [part('name', { valueString: 'surgeon' }), part('defined', { valueBoolean: false })] },
        { name: 'action', part: [part('name', { valueCode: 'read' }), part('resourceType', { valueCode: 'Condition' }), part('resourceType', { valueCode: 'Observation' }), part('resourceType', { valueCode: 'Patient' })] },
        part('smartScopesEnforced', { valueBoolean: true }),
        { name: 'scope', part: [part('value', { valueString: 'openid' }), part('note', { valueString: 'not a SMART resource scope' })] },
        { name: 'scope', part: [part('value', { valueString: 'patient/Observation.rs' }), part('level', { valueCode: 'patient' }), part('resourceType', { valueCode: 'Observation' }), part('permissions', { valueString: 'rs' })] },
        { name: 'scope', part: [part('value', { valueString: 'user/Patient.read' }), part('level', { valueCode: 'user' }), part('resourceType', { valueCode: 'Patient' }), part('permissions', { valueString: 'rs' })] },
        { name: 'scope', part: [part('value', { valueString: 'patient/Condition.rs?category=x' }), part('level', { valueCode: 'patient' }), part('resourceType', { valueCode: 'Condition' }), part('note', { valueString: 'grants nothing: Hestia cannot apply the search restrictions of a v2 scope' })] },
        part('patient', { valueReference: { reference: 'Patient/p-1' } }),
        part('compartment', { valueReference: { reference: 'Patient/p-1' } }),
      ],
    });
    // An admin: every action on every type; no scopes, no patient.
    const admin = JSON.parse((await whoami(tokens.admin)).text) as { parameter: { name: string; part?: { name: string; valueCode?: string }[] }[] };
    assert.deepEqual(admin.parameter.filter((p) => p.name === 'action').map((p) => p.part!.map((x) => x.valueCode)), [['read'], ['write'], ['delete'], ['hardDelete'], ['export'], ['reindex'], ['subscribe']]);
    assert.deepEqual(admin.parameter.filter((p) => ['scope', 'patient', 'compartment'].includes(p.name)), []);
    // Outside the allow-list: told so, with no actions (its requests get 403).
    const outside = JSON.parse((await whoami(await tokenFor(issuer, { roles: ['admin'], oid: OTHER_OID }))).text) as typeof admin;
    assert.deepEqual(outside.parameter.filter((p) => ['objectIdAllowed', 'action'].includes(p.name)), [{ name: 'objectIdAllowed', valueBoolean: false }]);
    // XML on request.
    const xml = await whoami(tokens.reader, 'application/fhir+xml');
    assert.match(xml.type!, /^application\/fhir\+xml/);
    assert.match(xml.text, /<parameter><name value="role"\/><part><name value="name"\/><valueString value="reader"\/><\/part><part><name value="defined"\/><valueBoolean value="true"\/><\/part><part><name value="action"\/><valueCode value="read"\/><\/part><\/parameter>/);
    await expectLoginFailure(await fetch(`${srv.url}/$whoami`), 'Bearer realm="hestia"');
    await expectLoginFailure(await fetch(`${srv.url}/$whoami`, { headers: { authorization: 'Bearer a.b.c' } }), INVALID_TOKEN);
  });

  test('no Authorization header: 401 with a bare Bearer challenge', async () => {
    await expectLoginFailure(await fetch(`${srv.url}/Patient`), 'Bearer realm="hestia"');
    await expectLoginFailure(await fetch(`${srv.url}/Patient/1`, { method: 'DELETE' }), 'Bearer realm="hestia"');
  });

  test('malformed Authorization headers: Basic, Bearer with nothing, Bearer with spaces', async () => {
    await expectLoginFailure(await fetch(`${srv.url}/Patient`, { headers: { authorization: 'Basic dXNlcjpwYXNz' } }), 'Bearer realm="hestia"');
    await expectLoginFailure(await fetch(`${srv.url}/Patient`, { headers: { authorization: 'Bearer' } }), 'Bearer realm="hestia", error="invalid_request"');
    await expectLoginFailure(await fetch(`${srv.url}/Patient`, { headers: { authorization: 'Bearer    ' } }), 'Bearer realm="hestia", error="invalid_request"');
    await expectLoginFailure(await fetch(`${srv.url}/Patient`, { headers: { authorization: 'Bearer a b' } }), 'Bearer realm="hestia", error="invalid_request"');
    await expectLoginFailure(await fetch(`${srv.url}/Patient`, { headers: { authorization: 'Bearer not-a-jwt' } }), INVALID_TOKEN);
  });

  test('an expired token: 401, and the reason goes to the log, not the token', async () => {
    const token = await tokenFor(issuer, { roles: ['admin'], expiresIn: -120 });
    assert.deepEqual(await refused(token), ['Authentication failed: ERR_JWT_EXPIRED: "exp" claim timestamp check failed (claim exp)']);
  });

  test('expiry within the clock skew (60 s by default) is tolerated', async () => {
    const token = await tokenFor(issuer, { roles: ['admin'], expiresIn: -20 });
    assert.equal((await fetch(`${srv.url}/Patient`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
  });

  test('a token not yet valid (nbf in the future): 401', async () => {
    const token = await tokenFor(issuer, { roles: ['admin'], claims: { nbf: Math.floor(Date.now() / 1000) + 600 } });
    assert.deepEqual(await refused(token), ['Authentication failed: ERR_JWT_CLAIM_VALIDATION_FAILED: "nbf" claim timestamp check failed (claim nbf)']);
  });

  test('a token without exp: 401', async () => {
    const token = await tokenFor(issuer, { roles: ['admin'], without: ['exp'] });
    assert.deepEqual(await refused(token), ['Authentication failed: ERR_JWT_CLAIM_VALIDATION_FAILED: missing required "exp" claim (claim exp)']);
  });

  test('wrong audience: 401; the second configured audience is accepted', async () => {
    assert.deepEqual(await refused(await tokenFor(issuer, { roles: ['admin'], claims: { aud: 'api://someone-else' } })), ['Authentication failed: ERR_JWT_CLAIM_VALIDATION_FAILED: unexpected "aud" claim value (claim aud)']);
    const second = await tokenFor(issuer, { roles: ['admin'], claims: { aud: 'https://fhir.example.org' } });
    assert.equal((await fetch(`${srv.url}/Patient`, { headers: { authorization: `Bearer ${second}` } })).status, 200);
  });

  test('wrong issuer: 401', async () => {
    const token = await tokenFor(issuer, { roles: ['admin'], claims: { iss: 'http://127.0.0.1:9/other-issuer' } });
    assert.deepEqual(await refused(token), ['Authentication failed: ERR_JWT_CLAIM_VALIDATION_FAILED: unexpected "iss" claim value (claim iss)']);
  });

  test('a tampered payload (roles raised to admin): 401', async () => {
    const [h, p, s] = tokens.reader.split('.');
    const forged = [h, b64url({ ...decodePart(p), roles: ['admin'] }), s].join('.');
    assert.deepEqual(await refused(forged), ['Authentication failed: ERR_JWS_SIGNATURE_VERIFICATION_FAILED: signature verification failed']);
  });

  test('alg none: 401', async () => {
    const payload = decodePart(tokens.admin.split('.')[1]);
    const unsigned = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(payload)}.`;
    assert.deepEqual(await refused(unsigned), [ALG_NOT_ALLOWED]);
  });

  test('HS256 signed with the issuer\'s public key as the secret: 401', async () => {
    const jwk = issuer.mock.issuer.keys.toJSON()[0];
    const pem = createPublicKey({ key: jwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
    const input = `${b64url({ alg: 'HS256', typ: 'JWT', kid: 'key-1' })}.${tokens.admin.split('.')[1]}`;
    const forged = `${input}.${createHmac('sha256', pem).update(input).digest('base64url')}`;
    assert.deepEqual(await refused(forged), [ALG_NOT_ALLOWED]);
  });

  test('signed by an unknown key: 401; unknown key ids refetch the JWKS at most once per cooldown; a rotated key is accepted after the refetch', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const payload = decodePart(tokens.admin.split('.')[1]);
    const stranger = await new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: 'stranger' }).sign(privateKey);
    const stranger2 = await new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: 'stranger-2' }).sign(privateKey);
    await sleep(JWKS_COOLDOWN_S * 1000 + 100);
    const before = issuer.hits('/jwks');
    assert.ok(before >= 1);
    assert.deepEqual(await refused(stranger), [NO_MATCHING_KEY]);
    assert.equal(issuer.hits('/jwks'), before + 1, 'an unknown kid refetches the keys');
    // Within the cooldown another unknown kid does not reach the issuer, and neither does a rotated key yet.
    assert.deepEqual(await refused(stranger2), [NO_MATCHING_KEY]);
    await issuer.mock.issuer.keys.generate('RS256', { kid: 'key-2' });
    const rotated = await tokenFor(issuer, { roles: ['admin'], kid: 'key-2' });
    assert.deepEqual(await refused(rotated), [NO_MATCHING_KEY]);
    assert.equal(issuer.hits('/jwks'), before + 1, 'no refetch during the cooldown');
    await sleep(JWKS_COOLDOWN_S * 1000 + 100);
    assert.equal((await fetch(`${srv.url}/Patient`, { headers: { authorization: `Bearer ${rotated}` } })).status, 200);
    assert.equal(issuer.hits('/jwks'), before + 2);
    // The old key still works (both are published) and needs no fetch.
    assert.equal((await fetch(`${srv.url}/Patient`, { headers: auth('admin') })).status, 200);
    assert.equal(issuer.hits('/jwks'), before + 2);
    assert.equal(issuer.hits('/.well-known/openid-configuration'), 1, 'discovery happens once');
  });

  test('a token signed with another key type under a known kid (ES256 claiming the RSA key): 401', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const payload = decodePart(tokens.admin.split('.')[1]);
    const forged = await new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid: 'key-1' }).sign(privateKey);
    assert.deepEqual(await refused(forged), [NO_MATCHING_KEY]);
  });

  test('CORS preflight from an allowed origin: 204 with the CORS headers, no token needed', async () => {
    const res = await fetch(`${srv.url}/Patient`, {
      method: 'OPTIONS',
      headers: { origin: APP_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), APP_ORIGIN);
    assert.equal(res.headers.get('access-control-allow-methods'), 'GET,POST,PUT,DELETE');
    assert.equal(res.headers.get('access-control-allow-headers'), 'authorization,content-type');
    assert.equal(res.headers.get('access-control-max-age'), '300');
    assert.equal(res.headers.get('access-control-allow-credentials'), null);
    assert.match(res.headers.get('vary') ?? '', /Origin/);
  });

  test('CORS preflight from another origin: no Access-Control-Allow-Origin', async () => {
    const res = await fetch(`${srv.url}/Patient`, { method: 'OPTIONS', headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'GET' } });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), null);
  });

  test('CORS on real requests: allow-origin and exposed headers, on successes and on 401s', async () => {
    const res = await fetch(`${srv.url}/Patient`, { method: 'POST', headers: auth('admin', { ...fhirJson, origin: APP_ORIGIN }), body: JSON.stringify({ resourceType: 'Patient' }) });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('access-control-allow-origin'), APP_ORIGIN);
    assert.equal(res.headers.get('access-control-expose-headers'), 'ETag,Location,Content-Location,Last-Modified,X-Request-Id');
    const denied = await fetch(`${srv.url}/Patient`, { headers: { origin: APP_ORIGIN } });
    assert.equal(denied.status, 401);
    assert.equal(denied.headers.get('access-control-allow-origin'), APP_ORIGIN);
    assert.equal(denied.headers.get('x-content-type-options'), 'nosniff', "helmet's headers stay");
    assert.equal(denied.headers.get('x-powered-by'), null);
  });

  test('errors carry no internals: an unreadable body gives a plain OperationOutcome', async () => {
    const res = await fetch(`${srv.url}/Patient`, { method: 'POST', headers: auth('admin', fhirJson), body: '{"resourceType": "Patient", ' });
    assert.equal(res.status, 400);
    const text = await res.text();
    assert.equal(JSON.parse(text).resourceType, 'OperationOutcome');
    assert.doesNotMatch(text, /\bat [\w.<>]+ \(|node_modules|\.ts:\d+|select |insert /i);
  });

  test('$export: refused for a reader, allowed for an exporter (whatever the operation then answers)', async () => {
    const reader = await fetch(`${srv.url}/$export`, { headers: auth('reader') });
    assert.equal(reader.status, 403);
    assert.deepEqual(await reader.json(), forbiddenOutcome("The caller's roles do not allow the action 'export'."));
    const exporter = await fetch(`${srv.url}/$export`, { headers: auth('exporter', { prefer: 'respond-async', accept: 'application/fhir+json' }) });
    assert.notEqual(exporter.status, 403);
    assert.notEqual(exporter.status, 401);
  });

  test('batch: allowed at the bundle level, each entry checked on its own', async () => {
    const bundle = { resourceType: 'Bundle', type: 'batch', entry: [
      { request: { method: 'GET', url: 'Patient?_count=1' } },
      { resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } },
    ] };
    const res = await fetch(srv.url, { method: 'POST', headers: auth('reader', fhirJson), body: JSON.stringify(bundle) });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.entry[0].response.status, '200 OK');
    assert.equal(body.entry[1].response.status, '403 Forbidden');
    assert.equal(body.entry[1].response.outcome.issue[0].code, 'forbidden');
  });

  test('roles restricted to types: a search may not read other types through chains, _has, _list, _include or _revinclude', async () => {
    const check = async (role: string, query: string, refusedOn?: string) => {
      const res = await fetch(`${srv.url}/${query}`, { headers: auth(role) });
      const body = await res.json();
      if (!refusedOn) {
        assert.equal(res.status, 200, `${role} ${query}: ${JSON.stringify(body)}`);
        assert.equal(body.resourceType, 'Bundle');
      } else {
        assert.equal(res.status, 403, `${role} ${query}`);
        assert.deepEqual(body, forbiddenOutcome(`The caller's roles do not allow the action 'read'${refusedOn === '*' ? '' : ` on ${refusedOn}`}.`));
      }
    };
    await check('nurse', 'Observation?subject:Patient.name=x');
    await check('nurse', 'Observation?_include=Observation:subject:Patient');
    await check('nurse', 'Patient?_revinclude=Observation:subject');
    await check('nurse', 'Patient?_has:Observation:subject:code=1234-5');
    await check('nurse', 'Patient?_revinclude=Condition:subject', 'Patient, Condition');
    await check('nurse', 'Patient?_has:Condition:subject:code=1234-5', 'Patient, Condition');
    await check('nurse', 'Observation?subject:Patient._has:Condition:subject:code=x', 'Observation, Condition, Patient');
    // Observation.subject may refer to a Group, a Device or a Location: without a type, all of them (a chain: those with the parameter).
    await check('nurse', 'Observation?_include=Observation:subject', 'Observation, Device, Group, Location, Patient');
    await check('nurse', 'Observation?subject.name=x', 'Observation, Location, Patient');
    await check('nurse', 'Patient?_list=1', 'Patient, List');
    await check('nurse', 'Patient?_include=*', '*');
    // The same through a form-encoded POST search and a batch entry.
    const post = await fetch(`${srv.url}/Patient/_search`, { method: 'POST', headers: auth('nurse', { 'content-type': 'application/x-www-form-urlencoded' }), body: '_revinclude=Condition:subject' });
    assert.equal(post.status, 403);
    const batch = await fetch(srv.url, { method: 'POST', headers: auth('nurse', fhirJson), body: JSON.stringify({ resourceType: 'Bundle', type: 'batch', entry: [
      { request: { method: 'GET', url: 'Patient?_revinclude=Observation:subject' } },
      { request: { method: 'GET', url: 'Patient?_revinclude=Condition:subject' } },
    ] }) });
    const entries = (await batch.json()).entry;
    assert.deepEqual(entries.map((e: { response: { status: string } }) => e.response.status), ['200 OK', '403 Forbidden']);
    // Two restricted roles together read the types of both.
    await check('nurse+problems', 'Patient?_revinclude=Condition:subject');
    await check('nurse+problems', 'Condition?subject:Patient.name=x&_include=Condition:subject:Patient');
    await check('nurse+problems', 'Condition?_include=Condition:encounter', 'Condition, Encounter');
  });

  describe('the default roles × interactions matrix', () => {
    const roles = (JSON.parse(readFileSync(DEFAULT_CONFIG.security.rolesFile, 'utf8')) as { roles: { name: string; actions: string[] }[] }).roles;
    const allows = (role: string, action: string) => roles.find((r) => r.name === role)!.actions.some((a) => a === '*' || a === action);
    const patient = (tag: string) => ({ resourceType: 'Patient', identifier: [{ system: 'urn:matrix', value: tag }], name: [{ family: tag }] });
    const create = async (tag: string) => (await (await fetch(`${srv.url}/Patient`, { method: 'POST', headers: auth('admin', fhirJson), body: JSON.stringify(patient(tag)) })).json()).id as string;

    // Each interaction, the action the roles file must allow for it, and its status when allowed.
    type Fixture = { main: string; hard: string; tag: string };
    const interactions: [string, string, number, (role: string, f: Fixture) => Promise<Response>][] = [
      ['read', 'read', 200, (r, f) => fetch(`${srv.url}/Patient/${f.main}`, { headers: auth(r) })],
      ['vread', 'read', 200, (r, f) => fetch(`${srv.url}/Patient/${f.main}/_history/1`, { headers: auth(r) })],
      ['search', 'read', 200, (r, f) => fetch(`${srv.url}/Patient?identifier=urn:matrix|${f.tag}`, { headers: auth(r) })],
      ['history', 'read', 200, (r, f) => fetch(`${srv.url}/Patient/${f.main}/_history`, { headers: auth(r) })],
      ['create', 'write', 201, (r, f) => fetch(`${srv.url}/Patient`, { method: 'POST', headers: auth(r, fhirJson), body: JSON.stringify(patient(`${f.tag}-new`)) })],
      ['update', 'write', 200, (r, f) => fetch(`${srv.url}/Patient/${f.main}`, { method: 'PUT', headers: auth(r, fhirJson), body: JSON.stringify({ ...patient(f.tag), id: f.main, active: true }) })],
      ['patch', 'write', 200, (r, f) => fetch(`${srv.url}/Patient/${f.main}`, { method: 'PATCH', headers: auth(r, { 'content-type': 'application/json-patch+json' }), body: JSON.stringify([{ op: 'add', path: '/gender', value: 'other' }]) })],
      ['delete', 'delete', 204, (r, f) => fetch(`${srv.url}/Patient/${f.main}`, { method: 'DELETE', headers: auth(r) })],
      ['hard delete', 'hardDelete', 204, (r, f) => fetch(`${srv.url}/Patient/${f.hard}?_hardDelete=true`, { method: 'DELETE', headers: auth(r) })],
      ['conditional delete', 'delete', 204, (r, f) => fetch(`${srv.url}/Patient?identifier=urn:matrix|${f.tag}-new`, { method: 'DELETE', headers: auth(r) })],
    ];

    for (const { name: role } of roles) {
      test(`role ${role}`, async () => {
        const tag = `m-${role}`;
        const fixture: Fixture = { main: await create(tag), hard: await create(`${tag}-hard`), tag };
        // The conditional delete needs a match even when this role cannot create it.
        if (!allows(role, 'write')) await create(`${tag}-new`);
        for (const [label, action, okStatus, send] of interactions) {
          const res = await send(role, fixture);
          const body = res.status === 204 ? undefined : await res.json();
          if (allows(role, action)) {
            assert.equal(res.status, okStatus, `${role} ${label}: ${JSON.stringify(body)}`);
          } else {
            assert.equal(res.status, 403, `${role} ${label}: ${JSON.stringify(body)}`);
            assert.equal(body.issue[0].code, 'forbidden');
            assert.match(body.issue[0].diagnostics, new RegExp(`'${action}'`));
          }
        }
      });
    }
  });
});

describe('security configuration and startup', () => {
  const minimal = { port: 0, host: '127.0.0.1', storage: { kind: 'embedded' as const, dataDir: '/nonexistent/never-opened' } };

  test('enabled without authority or audience: startup fails before the database is opened', async () => {
    await assert.rejects(startServer({ ...minimal, security: { enabled: true } }, {}), (e: Error) => {
      assert.match(e.message, /security\.authority \(HESTIA_SECURITY_AUTHORITY\) is required when security is enabled/);
      assert.match(e.message, /security\.audience \(HESTIA_SECURITY_AUDIENCE\) is required when security is enabled/);
      return true;
    });
    await assert.rejects(startServer({ ...minimal, security: { enabled: true, authority: 'login.example.org', audience: 'x' } }, {}), /security\.authority must be an http\(s\) URL/);
  });

  test('a metrics role without security: startup fails with a clear message', async () => {
    await assert.rejects(startServer({ ...minimal, observability: { metrics: { enabled: true, role: 'admin' } } }, {}), /observability\.metrics\.role \(HESTIA_METRICS_ROLE\) needs security\.enabled/);
  });

  test('CORS credentials with origin *: startup fails with a clear message', async () => {
    await assert.rejects(startServer({ ...minimal, cors: { origins: '*', allowCredentials: true } }, {}), /cors\.allowCredentials cannot be true when cors\.origins is '\*'/);
    assert.throws(() => loadConfig({ HESTIA_CORS_ORIGINS: '*', HESTIA_CORS_ALLOW_CREDENTIALS: 'true' }), /cors\.allowCredentials cannot be true/);
  });

  test('a broken roles file stops startup, naming the file and the problem', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hestia-roles-'));
    try {
      const file = join(dir, 'roles.json');
      writeFileSync(file, JSON.stringify({ roles: [{ name: 'nurse', actions: ['read', 'fly'], resourceTypes: ['Patient', 'Patients'] }, { name: 'nurse', actions: ['read'] }] }));
      await assert.rejects(startServer({ ...minimal, security: { enabled: true, authority: 'http://127.0.0.1:9', audience: 'x', rolesFile: file } }, {}), (e: Error) => {
        assert.equal(e.message, `The roles file '${file}' is invalid: roles[0] ('nurse'): unknown action(s) fly (known: read, write, delete, hardDelete, export, reindex, subscribe, *); roles[0] ('nurse'): unknown resource type(s) Patients; roles[1]: the role 'nurse' is defined twice.`);
        return true;
      });
      writeFileSync(file, '{ not json');
      await assert.rejects(startServer({ ...minimal, security: { enabled: true, authority: 'http://127.0.0.1:9', audience: 'x', rolesFile: file } }, {}), /is not valid JSON/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('environment variables', () => {
    const cfg = loadConfig({
      HESTIA_SECURITY_ENABLED: 'true',
      HESTIA_SECURITY_AUTHORITY: 'https://login.microsoftonline.com/tenant/v2.0',
      HESTIA_SECURITY_AUDIENCE: 'api://a, https://b.example.org',
      HESTIA_SECURITY_ALLOWED_OBJECT_IDS: 'x,y',
      HESTIA_SECURITY_ROLES_FILE: '/etc/hestia/roles.json',
      HESTIA_CORS_ORIGINS: 'https://a.example.org,https://b.example.org',
      HESTIA_CORS_HEADERS: '*',
      HESTIA_CORS_METHODS: 'GET,POST',
      HESTIA_CORS_MAX_AGE: '60',
    });
    assert.deepEqual(cfg.security, { ...DEFAULT_CONFIG.security, enabled: true, authority: 'https://login.microsoftonline.com/tenant/v2.0', audience: ['api://a', 'https://b.example.org'], allowedObjectIds: ['x', 'y'], rolesFile: '/etc/hestia/roles.json' });
    assert.deepEqual(cfg.cors, { origins: ['https://a.example.org', 'https://b.example.org'], headers: '*', methods: ['GET', 'POST'], maxAge: 60, allowCredentials: false });
  });

  test('security disabled: a clear warning at startup, no authentication', async () => {
    const log = captureAppLog();
    try {
      const layer = await createSecurity(loadConfig({}, {}));
      assert.equal(layer.authorizerFor, undefined);
      assert.deepEqual(layer.middleware, []);
    } finally {
      log.stop();
    }
    const warning = log.lines().map((l) => JSON.parse(l)).find((l) => l.level === 'warn');
    assert.match(warning.message, /^Security is disabled: every request is served without authentication or authorization\./);
  });
});

describe('security building blocks', () => {
  test('Azure AD v1 and v2 issuers of one tenant are both accepted; others as discovered', () => {
    const tid = '72f988bf-86f1-41af-91ab-2d7cd011db47';
    const both = [`https://login.microsoftonline.com/${tid}/v2.0`, `https://sts.windows.net/${tid}/`];
    assert.deepEqual(acceptedIssuers(both[0]), both);
    assert.deepEqual(acceptedIssuers(both[1]), [both[1], both[0]]);
    assert.deepEqual(acceptedIssuers('https://keycloak.example.org/realms/fhir'), ['https://keycloak.example.org/realms/fhir']);
  });

  test('an unreachable authority: a DiscoveryError (a server problem, not the token\'s), not retried at once', async () => {
    const port = await closedPort();
    const verifier = new OidcVerifier({ authority: `http://127.0.0.1:${port}`, audiences: ['x'], clockSkewSeconds: 60, jwksCooldownSeconds: 30 });
    const first = await verifier.verify('a.b.c').catch((e: unknown) => e);
    assert.ok(first instanceof DiscoveryError);
    assert.match((first as Error).message, /^OpenID Connect discovery failed: /);
    assert.equal(isTokenProblem(first), false);
    assert.equal(await verifier.verify('a.b.c').catch((e: unknown) => e), first, 'the failure is remembered for a few seconds');
  });

  test('a failed prefetch at startup is not held against the next request, which asks again at once', async () => {
    const port = await closedPort();
    const verifier = new OidcVerifier({ authority: `http://127.0.0.1:${port}`, audiences: ['x'], clockSkewSeconds: 60, jwksCooldownSeconds: 30 });
    await assert.rejects(verifier.prefetch(), DiscoveryError);
    // The authority comes up on that port: the next discovery reaches it without waiting.
    const mock = new OAuth2Server();
    await mock.issuer.keys.generate('RS256');
    await mock.start(port, '127.0.0.1');
    try {
      const { metadata } = await verifier.discover();
      assert.equal(typeof metadata.jwks_uri, 'string');
    } finally {
      await mock.stop();
    }
  });

  test('the principal: ids, client (appid, azp, client_id), name, roles from a claim or a nested path', () => {
    const p = principalFrom({ sub: 's', oid: 'o', iss: 'i', appid: 'app-v1', azp: 'app-v2', upn: 'u@example.org', roles: ['reader', 7, 'writer'] }, 'roles');
    assert.deepEqual({ ...p, claims: undefined }, { sub: 's', oid: 'o', iss: 'i', roles: ['reader', 'writer'], clientId: 'app-v1', name: 'u@example.org', smartScopes: undefined, patient: undefined, claims: undefined });
    assert.equal(principalFrom({ client_id: 'c' }, 'roles').clientId, 'c');
    assert.deepEqual(principalFrom({ realm_access: { roles: ['admin'] } }, 'realm_access.roles').roles, ['admin']);
    assert.deepEqual(principalFrom({ scope_roles: 'reader writer' }, 'scope_roles').roles, ['reader', 'writer']);
    assert.deepEqual(principalFrom({}, 'roles').roles, []);
  });

  test('Authorization header parsing', () => {
    assert.deepEqual(bearerToken('Bearer abc.def.ghi'), { token: 'abc.def.ghi' });
    assert.deepEqual(bearerToken('bearer abc'), { token: 'abc' });
    assert.deepEqual(bearerToken(undefined), {});
    assert.deepEqual(bearerToken('Basic abc'), {});
    assert.deepEqual(bearerToken('Bearer'), { error: 'invalid_request' });
    assert.deepEqual(bearerToken('Bearer a b'), { error: 'invalid_request' });
  });

  test('roles restricted to resource types (a nurse reads Patient and Observation only)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hestia-roles-'));
    try {
      const file = join(dir, 'roles.json');
      writeFileSync(file, JSON.stringify({ roles: [{ name: 'nurse', actions: ['read'], resourceTypes: ['Patient', 'Observation'] }, { name: 'admin', actions: ['*'] }] }));
      const roles = loadRoles(file, (t) => ['Patient', 'Observation', 'Condition'].includes(t));
      const nurse = authorizerFor({ roles, allowedObjectIds: [], smartScopes: true }, { roles: ['nurse'], claims: {} });
      nurse({ interaction: 'read', resourceType: 'Patient', id: '1' });
      nurse({ interaction: 'search-type', resourceType: 'Observation' });
      nurse({ interaction: 'search-compartment', resourceType: 'Patient', id: '1', compartmentType: 'Observation' });
      nurse({ interaction: 'batch' });
      nurse({ interaction: 'capabilities' });
      const refusals: [Parameters<typeof nurse>[0], string][] = [
        [{ interaction: 'read', resourceType: 'Condition', id: '1' }, "The caller's roles do not allow the action 'read' on Condition."],
        [{ interaction: 'update', resourceType: 'Patient', id: '1' }, "The caller's roles do not allow the action 'write' on Patient."],
        [{ interaction: 'search-compartment', resourceType: 'Patient', id: '1', compartmentType: 'Condition' }, "The caller's roles do not allow the action 'read' on Patient, Condition."],
        [{ interaction: 'search-compartment', resourceType: 'Patient', id: '1', compartmentType: '*' }, "The caller's roles do not allow the action 'read'."],
        [{ interaction: 'search-system' }, "The caller's roles do not allow the action 'read'."],
        [{ interaction: 'operation', resourceType: 'Patient', id: '1', operation: 'everything' }, "The caller's roles do not allow the action 'read'."],
        [{ interaction: 'operation', resourceType: 'Patient', operation: 'unknown-op' }, "The caller's roles do not allow the action '*' on Patient."],
      ];
      for (const [route, message] of refusals) assert.throws(() => nurse(route), (e: Error & { status?: number }) => e.status === 403 && e.message === message, JSON.stringify(route));
      const admin = authorizerFor({ roles, allowedObjectIds: [], smartScopes: true }, { roles: ['admin'], claims: {} });
      admin({ interaction: 'operation', operation: 'unknown-op' });
      admin({ interaction: 'hard-delete', resourceType: 'Condition', id: '1' });
      const anonymous = authorizerFor({ roles, allowedObjectIds: [], smartScopes: true }, undefined);
      anonymous({ interaction: 'capabilities' });
      assert.throws(() => anonymous({ interaction: 'read', resourceType: 'Patient', id: '1' }), /needs an authenticated caller/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("Subscriptions are written with the action 'subscribe' (not 'write'), never by a caller kept to a patient's compartment", () => {
    const roles = loadRoles(DEFAULT_CONFIG.security.rolesFile, () => true);
    const policy = { roles, allowedObjectIds: [], smartScopes: true };
    const writer = authorizerFor(policy, { roles: ['writer'], claims: {} });
    writer({ interaction: 'read', resourceType: 'Subscription', id: '1' });
    writer({ interaction: 'create', resourceType: 'Observation' });
    for (const interaction of ['create', 'update', 'patch', 'delete', 'conditional-update', 'conditional-delete'] as const) {
      assert.throws(() => writer({ interaction, resourceType: 'Subscription', id: '1' }), (e: Error & { status?: number }) => e.status === 403 && e.message === "The caller's roles do not allow the action 'subscribe' on Subscription.", interaction);
    }
    authorizerFor(policy, { roles: ['admin'], claims: {} })({ interaction: 'create', resourceType: 'Subscription' });
    const limited = authorizerFor(policy, { roles: ['admin'], claims: {}, smartScopes: SmartScopes.fromToken('patient/*.cruds'), patient: 'p1' });
    limited({ interaction: 'create', resourceType: 'Observation' });
    assert.throws(() => limited({ interaction: 'create', resourceType: 'Subscription' }), (e: Error & { status?: number }) => e.status === 403 && /may not manage Subscriptions/.test(e.message));
  });
});
