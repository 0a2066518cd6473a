// SMART on FHIR proxy for Azure AD (and any OpenID Connect authority that does not speak SMART): it
// stands between a SMART app and the authority's authorize and token endpoints.
//   authorize: SMART scopes become scopes of the FHIR server's application (`patient/Observation.read`
//     → `<audience>/patient.Observation.read`), `aud` is checked and dropped, and the authority is asked
//     to send its code to the proxy's callback, whose path carries the app's redirect URI.
//   callback: the authority's code, wrapped together with the launch context, goes back to the app.
//   token: the wrapped code is unwrapped for the authority, and the launch context (patient, encounter
//     …) is added to the token response, as SMART apps expect it there.
// The launch context is the `launch` parameter: base64 JSON chosen by the launching EHR. It guides
// the app; it grants nothing: the token's roles still decide access.
import express, { type Express, type Request, type Response } from 'express';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { FhirError } from '@hestia/core';
import type { OidcVerifier } from './oidc.js';
import { authorityUnreachable } from './smart.js';

export const SMART_PROXY_PATH = '/AadSmartOnFhirProxy';

/** Launch context fields copied into the token response. */
const CONTEXT_FIELDS = ['patient', 'encounter', 'practitioner', 'need_patient_banner', 'smart_style_url'];
/** Scopes the authority understands as they are. */
const OIDC_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);
/** SMART scopes that only ask for launch context, which the proxy itself provides. */
const CONTEXT_SCOPES = /^(launch(\/.*)?|fhirUser|online_access)$/;

const trimSlash = (url: string) => url.replace(/\/$/, '');
const b64url = (s: string) => Buffer.from(s, 'utf8').toString('base64url');
const fromB64url = (s: string) => Buffer.from(s, 'base64url').toString('utf8');

function badRequest(message: string): FhirError {
  return new FhirError(400, 'invalid', message);
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** The JSON object in `text`, or undefined. */
function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    return isObject(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The launch parameter as a context object; anything unreadable is a 400. */
export function decodeLaunch(launch: string | undefined): Record<string, unknown> {
  if (!launch) return {};
  const context = jsonObject(Buffer.from(launch, 'base64').toString('utf8'));
  if (!context) throw badRequest('The launch parameter must be base64-encoded JSON (an object such as {"patient":"123"}).');
  return context;
}

/** SMART scopes as scopes of the FHIR server's application at the authority. */
export function authorityScopes(scope: string, audience: string): string {
  const out: string[] = [];
  for (const s of scope.split(/\s+/).filter(Boolean)) {
    if (OIDC_SCOPES.has(s)) out.push(s);
    else if (!CONTEXT_SCOPES.test(s)) out.push(`${trimSlash(audience)}/${s.replace(/\//g, '.').replace(/\*/g, 'all')}`);
  }
  return out.join(' ');
}

/** The authority's code wrapped with the launch context, opaque to the app. */
interface Wrapped { c: string; l?: Record<string, unknown> }
const wrapCode = (w: Wrapped) => b64url(JSON.stringify(w));
function unwrapCode(code: string): Wrapped {
  const w = jsonObject(fromB64url(code));
  if (typeof w?.c !== 'string') throw badRequest('The code was not issued through this proxy.');
  return { c: w.c, l: isObject(w.l) ? w.l : undefined };
}

/**
 * The state the proxy gives the authority: the app's state, the launch context and the app's
 * redirect URI, signed, so that the callback sends codes only where an authorize request of this
 * server asked (a crafted callback link cannot make it an open redirector).
 */
class StateCodec {
  constructor(private readonly key: Buffer) {}

  private sign(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }

  encode(v: { s?: string; l: Record<string, unknown>; r: string }): string {
    const body = b64url(JSON.stringify(v));
    return `${body}.${this.sign(body)}`;
  }

  decode(text: string | undefined, redirectUri: string): { s?: string; l?: Record<string, unknown> } {
    const [body = '', sig = ''] = (text ?? '').split('.');
    const expected = Buffer.from(this.sign(body));
    const v = sig.length === expected.length && timingSafeEqual(Buffer.from(sig), expected) ? jsonObject(fromB64url(body)) : undefined;
    if (!v || v.r !== redirectUri) throw badRequest('The state was not issued through this proxy.');
    return { s: typeof v.s === 'string' ? v.s : undefined, l: isObject(v.l) ? v.l : undefined };
  }
}

export interface SmartProxyOptions {
  verifier: OidcVerifier;
  /** The FHIR server's application at the authority: what `aud` must name and scopes are prefixed with. */
  audience: string;
  /** The server's base URL for a request (the callback must be absolute). */
  baseUrl: (req: Request) => string;
  /** Signs the state; servers behind one address need the same one (random per process when absent). */
  secret?: string;
}

/**
 * The query string's parameters (the app parses no query strings itself: see app.ts). OAuth
 * parameters are form-encoded, '+' a space, unlike FHIR search parameters (core's parseQuery).
 */
const queryOf = (req: Request) => new URL(req.originalUrl, 'http://query.invalid').searchParams;
const param = (q: URLSearchParams, name: string) => q.get(name) ?? undefined;

/** The proxy's routes under /AadSmartOnFhirProxy; all anonymous (the authority authenticates). */
export function mountSmartProxy(app: Express, opts: SmartProxyOptions): void {
  const states = new StateCodec(opts.secret ? Buffer.from(opts.secret) : randomBytes(32));
  const callbackFor = (req: Request, redirectUri: string) => `${opts.baseUrl(req)}${SMART_PROXY_PATH}/callback/${b64url(redirectUri)}`;
  const endpoint = async (name: 'authorization_endpoint' | 'token_endpoint') => {
    const { metadata } = await opts.verifier.discover().catch(() => {
      throw authorityUnreachable();
    });
    const url = metadata[name];
    if (typeof url !== 'string') throw new FhirError(503, 'transient', `The authority publishes no ${name}.`);
    return url;
  };

  app.get(`${SMART_PROXY_PATH}/authorize`, async (req, res, next) => {
    try {
      const query = queryOf(req);
      const redirectUri = param(query, 'redirect_uri');
      if (!redirectUri || !URL.canParse(redirectUri)) throw badRequest('redirect_uri must be an absolute URL.');
      const aud = param(query, 'aud');
      const base = opts.baseUrl(req);
      if (aud !== undefined && trimSlash(aud) !== base && trimSlash(aud) !== trimSlash(opts.audience)) {
        throw badRequest(`aud must name this FHIR server (${base}), not '${aud}'.`);
      }
      const launch = decodeLaunch(param(query, 'launch'));
      const target = new URL(await endpoint('authorization_endpoint'));
      for (const [k, v] of query) if (!['aud', 'launch', 'redirect_uri', 'scope', 'state'].includes(k)) target.searchParams.set(k, v);
      target.searchParams.set('redirect_uri', callbackFor(req, redirectUri));
      target.searchParams.set('scope', authorityScopes(param(query, 'scope') ?? '', opts.audience));
      // The app's state, the launch context and where to return travel in the (signed) state.
      target.searchParams.set('state', states.encode({ s: param(query, 'state'), l: launch, r: redirectUri }));
      res.redirect(302, target.href);
    } catch (e) {
      next(e);
    }
  });

  app.get(`${SMART_PROXY_PATH}/callback/:target`, (req, res, next) => {
    try {
      const query = queryOf(req);
      const redirectUri = fromB64url(String(req.params.target));
      if (!URL.canParse(redirectUri)) throw badRequest('The callback does not name the application to return to.');
      const state = states.decode(param(query, 'state'), redirectUri);
      const back = new URL(redirectUri);
      const code = param(query, 'code');
      if (code) back.searchParams.set('code', wrapCode({ c: code, ...(state.l && Object.keys(state.l).length ? { l: state.l } : {}) }));
      for (const k of ['error', 'error_description', 'error_uri']) {
        const v = param(query, k);
        if (v !== undefined) back.searchParams.set(k, v);
      }
      if (state.s !== undefined) back.searchParams.set('state', state.s);
      res.redirect(302, back.href);
    } catch (e) {
      next(e);
    }
  });

  app.post(`${SMART_PROXY_PATH}/token`, express.text({ type: 'application/x-www-form-urlencoded', limit: '64kb' }), async (req: Request, res: Response, next) => {
    try {
      const form = new URLSearchParams(typeof req.body === 'string' ? req.body : '');
      let context: Record<string, unknown> = {};
      if (form.get('grant_type') === 'authorization_code') {
        const { c, l } = unwrapCode(form.get('code') ?? '');
        form.set('code', c);
        const redirectUri = form.get('redirect_uri');
        if (!redirectUri) throw badRequest('redirect_uri is required with an authorization code.');
        form.set('redirect_uri', callbackFor(req, redirectUri));
        context = l ?? {};
      }
      const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
      if (req.get('authorization')) headers.authorization = req.get('authorization')!;
      const url = await endpoint('token_endpoint');
      const answer = await fetch(url, { method: 'POST', headers, body: form.toString() }).catch(() => {
        throw authorityUnreachable();
      });
      const text = await answer.text();
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        throw new FhirError(502, 'transient', `The authority's token endpoint answered ${answer.status} without JSON.`);
      }
      if (answer.ok) for (const k of CONTEXT_FIELDS) if (context[k] !== undefined) body[k] = context[k];
      res.status(answer.status).set({ 'cache-control': 'no-store', pragma: 'no-cache' }).json(body);
    } catch (e) {
      next(e);
    }
  });
}
