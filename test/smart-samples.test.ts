// The SMART sample pages (samples/smart) in headless Chromium, against Hestia with security on and
// its SMART proxy, a real OpenID Connect issuer (oauth2-mock-server) in the role of Azure AD, and the
// pages served from another origin (so CORS is exercised as in a real deployment):
//  - the launcher builds the launch context and opens the sample app, which signs in through the
//    proxy (PKCE), shows the token response with its launch context and the patient read with it;
//  - a patient id that does not exist ends in the app's error message, not a blank page;
//  - the token's patient-level scope (Azure AD-shaped: `scp`, and the user in `fhirUser`) keeps the
//    app from reading a patient other than the signed-in one, whatever the launch names;
//  - the patients page signs in without a launch and lists the patients, sorted by family name.
// Chromium: /usr/bin/chromium (Debian's package; .ci/run installs it) or HESTIA_CHROMIUM.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OAuth2Server } from 'oauth2-mock-server';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startServer, type RunningServer } from '../packages/server/src/index.js';
import { serveFolder, type StaticSite } from './support/static-files.js';

const CHROMIUM = process.env.HESTIA_CHROMIUM ?? '/usr/bin/chromium';
const unavailable = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (apt-get install chromium, or set HESTIA_CHROMIUM)`;
if (unavailable && process.env.CI) throw new Error(`CI needs Chromium for the sample pages: ${unavailable}`);

const AUDIENCE = 'https://fhir.hestia.test';
const SAMPLES = new URL('../samples/smart/', import.meta.url).pathname.replace(/\/$/, '');

describe('SMART sample pages in Chromium', { skip: unavailable }, () => {
  let mock: OAuth2Server;
  let srv: RunningServer;
  let site: StaticSite;
  let browser: Browser;
  let dir: string;
  /** Each authorize request the authority received: its query parameters. */
  const authorizations: Record<string, string>[] = [];
  const ids: Record<string, string> = {};

  before(async () => {
    mock = new OAuth2Server();
    await mock.issuer.keys.generate('RS256');
    await mock.start(0, '127.0.0.1');
    // Access tokens (they carry a scope) are for the FHIR server, as a reader, shaped like Azure
    // AD's: the scopes of the server's application the sign-in asked for in `scp`, without their
    // prefix; no launch patient; the signed-in user (Ada, a patient) in `fhirUser`.
    mock.service.on('beforeTokenSigning', (token: { payload: Record<string, unknown> }) => {
      if (token.payload.scope === undefined) return;
      const scp = (authorizations.at(-1)?.scope ?? '').split(' ').filter((s) => s.startsWith(`${AUDIENCE}/`)).map((s) => s.slice(AUDIENCE.length + 1)).join(' ');
      delete token.payload.scope;
      Object.assign(token.payload, { aud: AUDIENCE, roles: ['reader'], scp, fhirUser: `Patient/${ids.ada}` });
    });
    mock.service.on('beforeAuthorizeRedirect', (_r: unknown, req: { url: string }) => authorizations.push(Object.fromEntries(new URL(req.url, 'http://x').searchParams)));
    site = await serveFolder(SAMPLES);
    dir = mkdtempSync(join(tmpdir(), 'hestia-samples-'));
    srv = await startServer({
      port: 0, host: '127.0.0.1', storage: { kind: 'embedded', dataDir: join(dir, 'data') }, audit: { console: false },
      security: { enabled: true, authority: mock.issuer.url!, audience: [AUDIENCE], smartProxy: true },
      cors: { origins: [site.url] },
    }, {});
    // The patients, written by an administrator.
    const admin = await mock.issuer.buildToken({ scopesOrTransform: (_h, p) => Object.assign(p, { aud: AUDIENCE, roles: ['admin'] }) });
    for (const [label, name, extra] of [
      ['ada', { family: 'Lovelace', given: ['Ada'] }, { gender: 'female', birthDate: '1815-12-10' }],
      ['alan', { family: 'Turing', given: ['Alan'] }, {}],
      ['grace', { family: 'Hopper', given: ['Grace'] }, {}],
    ] as const) {
      const res = await fetch(`${srv.url}/Patient`, {
        method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/fhir+json' },
        body: JSON.stringify({ resourceType: 'Patient', name: [name], ...extra }),
      });
      assert.equal(res.status, 201);
      ids[label] = ((await res.json()) as { id: string }).id;
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  });
  after(async () => {
    await browser?.close();
    await srv?.close();
    await site?.close();
    await mock?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh browser context (its own sessionStorage), with the page's console errors collected. */
  async function newPage(): Promise<{ page: Page; errors: string[] }> {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    return { page, errors };
  }

  async function launch(page: Page, patient: string): Promise<void> {
    await page.goto(`${site.url}/launcher.html?iss=${encodeURIComponent(srv.url)}`);
    assert.equal(await page.inputValue('#app'), `${site.url}/app/launch.html`);
    await page.fill('#patient', patient);
    await page.fill('#encounter', 'enc-1');
    await page.uncheck('#banner');
    await page.check('#banner');
    const shown = await page.textContent('#launch-url');
    const url = new URL(shown!);
    assert.equal(url.searchParams.get('iss'), srv.url);
    assert.deepEqual(JSON.parse(Buffer.from(url.searchParams.get('launch')!, 'base64').toString()), { need_patient_banner: true, patient, encounter: 'enc-1' });
    await page.click('#launch');
  }

  test('the launcher opens the app, which signs in through the proxy and shows the patient and the token response', async () => {
    const { page, errors } = await newPage();
    await launch(page, ids.ada);
    await page.waitForURL(`${site.url}/app/index.html`);
    await page.locator('#banner').waitFor({ state: 'visible' });
    assert.equal(await page.textContent('#patient-name'), 'Ada Lovelace');
    assert.equal(await page.textContent('#patient-details'), `female · born 1815-12-10 · id ${ids.ada}`);
    const token = JSON.parse((await page.textContent('#token'))!) as Record<string, unknown>;
    assert.equal(token.patient, ids.ada);
    assert.equal(token.encounter, 'enc-1');
    assert.equal(token.need_patient_banner, true);
    assert.equal(token.token_type, 'Bearer');
    assert.match(String(token.access_token), /^.{12}…$/, 'the access token is not shown whole');
    // The authority was asked through the proxy: its callback, the scopes of the server's
    // application, PKCE; the launch context stayed with the proxy.
    const asked = authorizations.at(-1)!;
    assert.match(asked.redirect_uri, new RegExp(`^${srv.url}/AadSmartOnFhirProxy/callback/`));
    assert.equal(asked.scope, `${AUDIENCE}/patient.Patient.read openid`);
    assert.equal(asked.code_challenge_method, 'S256');
    assert.equal(asked.launch, undefined);
    assert.equal(await page.isHidden('#error'), true);
    // The code left the address bar.
    assert.equal(new URL(page.url()).search, '');
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  test('a patient that does not exist ends in the app\'s error message', async () => {
    const { page, errors } = await newPage();
    await launch(page, 'no-such-patient');
    await page.locator('#error').waitFor({ state: 'visible' });
    assert.match((await page.textContent('#error'))!, /^GET Patient\/no-such-patient: 404 /);
    assert.equal(await page.isHidden('#banner'), true);
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  test("the token's patient-level scope keeps the app to the signed-in patient: another patient's launch ends in a 404", async () => {
    const { page, errors } = await newPage();
    await launch(page, ids.alan);
    await page.locator('#error').waitFor({ state: 'visible' });
    assert.match((await page.textContent('#error'))!, new RegExp(`^GET Patient/${ids.alan}: 404 `));
    assert.equal(await page.isHidden('#banner'), true);
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  test('the patients page signs in without a launch and lists the patients by family name', async () => {
    const { page, errors } = await newPage();
    await page.goto(`${site.url}/patients.html?iss=${encodeURIComponent(srv.url)}`);
    await page.click('#sign-in-button');
    await page.waitForURL(`${site.url}/patients.html`);
    await page.locator('#patients li').nth(2).waitFor();
    assert.deepEqual(await page.locator('#patients li').allTextContents(), ['Grace Hopper', 'Ada Lovelace', 'Alan Turing']);
    assert.deepEqual(await page.locator('#patients li').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.id)), [ids.grace, ids.ada, ids.alan]);
    assert.equal(await page.textContent('#status'), `3 patients on ${srv.url}`);
    assert.equal(authorizations.at(-1)!.scope, `openid ${AUDIENCE}/user.Patient.read`);
    assert.deepEqual(errors, []);
    await page.context().close();
  });
});
