// A small SMART on FHIR client for the samples: the server's SMART configuration, the authorization
// code flow with PKCE (a public client: no secret in a web page), the token, and FHIR reads with it.
// It talks to Hestia's endpoints only as the SMART App Launch specification describes them, so it
// works the same against the SMART proxy for Azure AD and against any SMART authorization server.

const KEY = 'hestia-smart-sample';

const trim = (url) => url.replace(/\/+$/, '');
const b64url = (bytes) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const random = (n) => b64url(crypto.getRandomValues(new Uint8Array(n)));

/** The server's /.well-known/smart-configuration. */
async function smartConfiguration(iss) {
  const res = await fetch(`${trim(iss)}/.well-known/smart-configuration`, { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`The SMART configuration of ${iss} could not be read (${res.status}).`);
  return res.json();
}

/**
 * Sends the browser to the server's authorization endpoint. `launch` is the EHR's launch parameter
 * (absent for a standalone sign-in). What the callback page needs is kept in sessionStorage.
 */
export async function authorize({ iss, launch, clientId, scope, redirectUri }) {
  const smart = await smartConfiguration(iss);
  const verifier = random(32);
  const challenge = b64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  const state = random(16);
  sessionStorage.setItem(KEY, JSON.stringify({ iss: trim(iss), clientId, redirectUri, verifier, state, tokenEndpoint: smart.token_endpoint }));
  const url = new URL(smart.authorization_endpoint);
  const params = { response_type: 'code', client_id: clientId, redirect_uri: redirectUri, scope, state, aud: trim(iss), code_challenge: challenge, code_challenge_method: 'S256' };
  if (launch) params.launch = launch;
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  location.assign(url.href);
}

/** On the redirect page: exchanges the code for the token response ({ iss, token }). */
export async function completeAuthorization() {
  const q = new URLSearchParams(location.search);
  if (q.get('error')) throw new Error(`Sign-in failed: ${q.get('error')} ${q.get('error_description') ?? ''}`.trim());
  const saved = JSON.parse(sessionStorage.getItem(KEY) ?? 'null');
  if (!saved || !q.get('code') || q.get('state') !== saved.state) throw new Error('This page was not reached by a sign-in started in this browser tab.');
  sessionStorage.removeItem(KEY);
  const body = new URLSearchParams({ grant_type: 'authorization_code', code: q.get('code'), redirect_uri: saved.redirectUri, client_id: saved.clientId, code_verifier: saved.verifier });
  const res = await fetch(saved.tokenEndpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body });
  const token = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`The token endpoint answered ${res.status}: ${token.error_description ?? token.error ?? token.issue?.[0]?.diagnostics ?? ''}`);
  // (the code is spent: it leaves the address bar and the history)
  history.replaceState(null, '', location.pathname);
  return { iss: saved.iss, token };
}

/** GET `path` on the FHIR server with the token; a FHIR error becomes an Error with its diagnostics. */
export async function fhirGet(iss, token, path) {
  const res = await fetch(`${trim(iss)}/${path}`, { headers: { authorization: `Bearer ${token.access_token}`, accept: 'application/fhir+json' } });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${body.issue?.[0]?.diagnostics ?? ''}`.trim());
  return body;
}

/** A patient's first name as one line of text. */
export function nameOf(patient) {
  const n = patient.name?.[0];
  if (!n) return '(no name)';
  return n.text ?? [...(n.given ?? []), n.family].filter(Boolean).join(' ');
}

/** The token response for display: the tokens themselves shortened (a page is no place for them). */
export function shownToken(token) {
  const out = { ...token };
  for (const k of ['access_token', 'id_token', 'refresh_token']) if (typeof out[k] === 'string') out[k] = `${out[k].slice(0, 12)}…`;
  return JSON.stringify(out, null, 2);
}

/** Text into an element, or an error message into #error. */
export const show = (id, text) => { document.getElementById(id).textContent = text; };
export const fail = (e) => { show('error', e.message); document.getElementById('error').hidden = false; };
