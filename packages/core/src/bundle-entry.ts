// One entry of a batch or transaction bundle as a plain request, and a response as a response entry.
import { badRequest, FhirError, toFhirError } from './errors.js';
import { parseQuery } from './query.js';
import type { FhirRequest, FhirResponse, Route } from './router.js';
import type { BundleEntry, Resource } from './types.js';

export const ENTRY_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** An entry, parsed and classified. */
export interface EntryRequest {
  index: number;
  entry: BundleEntry;
  method: string;
  route: Route;
  req: FhirRequest;
}

const REASONS: Record<number, string> = {
  200: 'OK', 201: 'Created', 204: 'No Content', 304: 'Not Modified', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden',
  404: 'Not Found', 405: 'Method Not Allowed', 406: 'Not Acceptable', 409: 'Conflict', 410: 'Gone', 412: 'Precondition Failed',
  413: 'Payload Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Entity', 429: 'Too Many Requests',
  500: 'Internal Server Error', 503: 'Service Unavailable',
};

export function statusLine(status: number): string {
  return REASONS[status] ? `${status} ${REASONS[status]}` : String(status);
}

/** Bundle.entry.request's conditional elements as the HTTP headers they stand for. */
const HEADER_OF = { ifMatch: 'if-match', ifNoneMatch: 'if-none-match', ifNoneExist: 'if-none-exist', ifModifiedSince: 'if-modified-since' } as const;

/** Turns Bundle.entry[index] into a request on the outer request's base, classified by `route`; bad entries throw a 400. */
export function parseEntry(routeOf: (req: FhirRequest) => Route, outer: FhirRequest, raw: unknown, index: number): EntryRequest {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw badRequest('The entry is not an object.');
  const entry = raw as BundleEntry;
  const r = entry.request as Record<string, unknown> | undefined;
  if (!r || typeof r !== 'object') throw badRequest('The entry has no request (method and url).');
  const method = typeof r.method === 'string' ? r.method.toUpperCase() : '';
  if (!(ENTRY_METHODS as readonly string[]).includes(method)) throw badRequest(`The entry's request.method '${String(r.method)}' is not one of ${ENTRY_METHODS.join(', ')}.`);
  if (typeof r.url !== 'string' || !r.url.trim()) throw badRequest("The entry's request.url is missing.");
  const { path, query } = splitUrl(r.url, outer.baseUrl);
  const headers: Record<string, string | undefined> = { prefer: outer.headers.prefer };
  for (const [field, header] of Object.entries(HEADER_OF)) {
    const v = r[field];
    if (v === undefined) continue;
    if (typeof v !== 'string') throw badRequest(`The entry's request.${field} must be a string.`);
    headers[header] = v;
  }
  let body: unknown = entry.resource;
  if (method === 'PATCH') ({ body, contentType: headers['content-type'] } = patchBody(entry.resource));
  const req: FhirRequest = { method, path, query, headers, body, baseUrl: outer.baseUrl };
  const route = routeOf(req);
  if (route.interaction === 'batch' || route.interaction === 'transaction') throw badRequest('A bundle entry may not itself be a batch or transaction.');
  return { index, entry, method, route, req };
}

/** request.url relative to the base: absolute URLs must be on this server; path segments must decode. */
function splitUrl(raw: string, base: string): { path: string; query: [string, string][] } {
  let url = raw.trim();
  if (/^[a-z][a-z0-9+.-]*:/i.test(url)) {
    if (url !== base && !url.startsWith(`${base}/`) && !url.startsWith(`${base}?`)) throw badRequest(`The entry's request.url '${raw}' is not on this server.`);
    url = url.slice(base.length);
  }
  url = url.replace(/^\/+/, '');
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  try {
    for (const seg of path.split('/')) decodeURIComponent(seg);
  } catch {
    throw badRequest(`The entry's request.url '${raw}' is malformed.`);
  }
  return { path, query: parseQuery(url) };
}

/** A PATCH entry carries a JSON Patch as a Binary (base64 data) or a FHIRPath Patch as Parameters. */
function patchBody(resource: Resource | undefined): { body: unknown; contentType?: string } {
  if (resource?.resourceType !== 'Binary') return { body: resource, contentType: 'application/fhir+json' };
  const contentType = typeof resource.contentType === 'string' ? resource.contentType : '';
  if (!contentType.includes('json-patch') || typeof resource.data !== 'string') {
    throw new FhirError(415, 'not-supported', 'A PATCH entry takes a Binary with contentType application/json-patch+json and base64 data, or a Parameters resource.');
  }
  try {
    return { body: JSON.parse(Buffer.from(resource.data, 'base64').toString('utf8')), contentType };
  } catch {
    throw badRequest("The PATCH entry's Binary.data is not a base64-encoded JSON Patch.");
  }
}

/** The response entry for an interaction's response. */
export function responseEntry(res: FhirResponse, method: string): BundleEntry {
  const h = res.headers;
  const response: NonNullable<BundleEntry['response']> = { status: statusLine(res.status) };
  const out: BundleEntry = {};
  if (h.Location) {
    response.location = h.Location;
    out.fullUrl = h.Location.replace(/\/_history\/[^/]+$/, '');
  }
  if (h.ETag) {
    response.etag = h.ETag;
    const lastUpdated = res.body?.meta?.lastUpdated;
    if (typeof lastUpdated === 'string' && res.body?.resourceType !== 'OperationOutcome') response.lastModified = lastUpdated;
    else if (h['Last-Modified']) response.lastModified = new Date(h['Last-Modified']).toISOString();
  }
  const body = res.body;
  if (body && (res.status >= 400 || (body.resourceType === 'OperationOutcome' && method !== 'GET' && method !== 'HEAD'))) response.outcome = body;
  else if (body && method !== 'HEAD') out.resource = body;
  out.response = response;
  return out;
}

/** The response entry for a failed entry of a batch. */
export function errorEntry(e: unknown): BundleEntry {
  const fe = toFhirError(e);
  return { response: { status: statusLine(fe.status), outcome: fe.outcome } };
}

/** The error of an entry, with "Bundle.entry[i] (METHOD url)" in front of its diagnostics and as its expression. */
export function entryError(e: unknown, index: number, entry?: BundleEntry): FhirError {
  const fe = toFhirError(e);
  const where = `Bundle.entry[${index}]`;
  const request = entry?.request;
  const label = request && typeof request.method === 'string' && typeof request.url === 'string' ? ` (${request.method} ${request.url.slice(0, 200)})` : '';
  const out = new FhirError(fe.status, fe.outcome.issue[0].code, `${where}${label}: ${fe.message}`);
  out.outcome.issue = fe.outcome.issue.map((issue, i) => (i === 0 ? { ...issue, diagnostics: `${where}${label}: ${issue.diagnostics ?? fe.message}`, expression: issue.expression ?? [where] } : issue));
  return out;
}
