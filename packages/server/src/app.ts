// The Express host: turns HTTP into core's plain FhirRequest and the FhirResponse back into HTTP.
import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import { FhirError, errorResponse, storedJson, toFhirError, type Authorizer, type CompartmentLimit, type FhirDefinitions, type FhirEngine, type FhirRequest, type FhirResponse, type Resource, type Route } from '@hestia/core';
import type { HestiaConfig } from './config.js';
import { parseBody, parseQuery, responseFormat, serialize } from './formats.js';
import { metered } from './metering.js';
import { callerKey, principalOf } from './security/principal.js';
import { logInternalError } from './observability/logger.js';

export interface AppOptions {
  engine: FhirEngine;
  config: HestiaConfig;
  /** Per-request authorization (set by the security layer); undefined lets everything through. */
  authorizerFor?: (req: Request) => Authorizer | undefined;
  /** The compartment a request's caller is kept in (set by the security layer for SMART patient-level scopes). */
  limitFor?: (req: Request) => CompartmentLimit | undefined;
  /** Middleware to run before the FHIR handler (authentication, audit, CORS …). */
  before?: express.RequestHandler[];
  /** Extra routes mounted before the FHIR catch-all (health, metrics, operations). */
  routes?: (app: express.Express) => void;
}

export function createApp(opts: AppOptions): express.Express {
  const { engine, config } = opts;
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', false);
  app.set('etag', false);
  app.use(helmet({ contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } }, crossOriginResourcePolicy: { policy: 'cross-origin' } }));
  for (const mw of opts.before ?? []) app.use(mw);
  opts.routes?.(app);
  app.use(express.raw({ type: () => true, limit: config.limits.maxBodyBytes }));

  app.use(async (req: Request, res: Response, next: NextFunction) => {
    let format: 'json' | 'xml' = 'json';
    let pretty = false;
    try {
      const query = parseQuery(req.originalUrl);
      pretty = query.some(([k, v]) => k === '_pretty' && v === 'true');
      format = responseFormat(query.find(([k]) => k === '_format')?.[1], req.get('accept'));
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const fhirReq: FhirRequest = {
        method: req.method,
        path: req.path,
        query: query.filter(([k]) => k !== '_format' && k !== '_pretty'),
        headers: lowerHeaders(req),
        body: parseBody(engine.defs, req.get('content-type'), raw),
        baseUrl: requestBaseUrl(config, req),
        caller: callerKey(principalOf(req)),
      };
      // (an operation, `…/$name`, may be POSTed without a body: it has no input parameters then)
      if (['POST', 'PUT', 'PATCH'].includes(req.method) && fhirReq.body === undefined && req.path !== '/' && !(req.method === 'POST' && /\/\$[^/]+$/.test(req.path))) {
        throw new FhirError(400, 'structure', 'This request needs a body.');
      }
      // The routes of this request (and of each bundle entry) are kept in res.locals.routes for audit.
      const routes: Route[] = (res.locals.routes = []);
      const authorize = opts.authorizerFor?.(req);
      // A metering storage (Cosmos DB) charges this request's calls to it: x-ms-request-charge.
      const limit = opts.limitFor?.(req);
      const result = await metered(engine.adapter, req, res, () => engine.handle(fhirReq, (route) => {
        routes.push(route);
        authorize?.(route);
      }, limit));
      // The engine's response too: audit reads the status of each bundle entry from it.
      res.locals.response = result;
      send(res, result, format, pretty, engine.defs);
    } catch (e) {
      send(res, errorResponse(toFhirError(e)), format, pretty, engine.defs);
    }
    void next;
  });

  // Errors raised before the handler (body too large, unreadable body) become OperationOutcomes too.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = err as { status?: number; type?: string; message?: string };
    let fe: FhirError;
    if (err instanceof FhirError) fe = err;
    else if (e.type === 'entity.too.large') fe = new FhirError(413, 'too-long', `The body is larger than the limit of ${config.limits.maxBodyBytes} bytes.`);
    else if (e.status && e.status >= 400 && e.status < 500) fe = new FhirError(e.status, 'invalid', 'The request could not be read.');
    else fe = toFhirError(err);
    send(res, errorResponse(fe), 'json', false, engine.defs);
    void req;
  });
  return app;
}

/** The FHIR base URL: the configured one, or the one the request came to. */
export function requestBaseUrl(config: HestiaConfig, req: Request): string {
  return config.baseUrl || `${req.protocol}://${req.get('host')}`;
}

function lowerHeaders(req: Request): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/**
 * The OperationOutcome of an error in a route of the server's own (JSON); an unexpected error is
 * logged and answered as a bare 500. A response already under way is cut off instead.
 */
export function sendError(res: Response, e: unknown): void {
  if (!(e instanceof FhirError)) logInternalError(e);
  const fe = toFhirError(e);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.status(fe.status).type('application/fhir+json').send(JSON.stringify(fe.outcome));
}

/** A resource of the server's own (not the engine's) with status 200, in the format the request asks for; a FhirError (406) when it asks for none Hestia writes. */
export function sendResource(req: Request, res: Response, defs: FhirDefinitions, resource: Resource): void {
  const query = parseQuery(req.originalUrl);
  const format = responseFormat(query.find(([k]) => k === '_format')?.[1], req.get('accept'));
  send(res, { status: 200, headers: {}, body: resource }, format, query.some(([k, v]) => k === '_pretty' && v === 'true'), defs);
}

function send(res: Response, r: FhirResponse, format: 'json' | 'xml', pretty: boolean, defs: FhirDefinitions): void {
  res.status(r.status);
  for (const [k, v] of Object.entries(r.headers)) res.setHeader(k, v);
  // (a body still held as stored text is not parsed to find out that there is one)
  if ((storedJson(r, 'body') === undefined && r.body === undefined) || r.status === 304) {
    res.end();
    return;
  }
  let out;
  try {
    out = serialize(defs, r, format, pretty);
  } catch {
    out = serialize(defs, r, 'json', pretty);
  }
  res.setHeader('Content-Type', out.type);
  // (engine.ts answers conditional reads itself, so Express's res.send, with its freshness check, is not needed)
  const body = oneBody(out.pieces);
  res.setHeader('Content-Length', typeof body === 'string' ? Buffer.byteLength(body) : body.length);
  res.end(body);
}

/**
 * The pieces of a body (a Bundle's stored resources between the text around them) encoded into one
 * Buffer, outside the JavaScript heap: one write to the socket instead of a queued write per piece
 * (two per resource of a Bundle).
 */
function oneBody(pieces: string[]): Buffer | string {
  if (pieces.length === 1) return pieces[0];
  let length = 0;
  for (const p of pieces) length += Buffer.byteLength(p);
  const buf = Buffer.allocUnsafe(length);
  let at = 0;
  for (const p of pieces) at += buf.write(p, at);
  return buf;
}
