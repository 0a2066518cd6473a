// The audit trail of each request: a Started record when the server knows which operation the
// request asks for, then one record per batch/transaction entry and a Succeeded or Failed record
// when the response has been sent. Records never contain resource bodies.
import type { Request, RequestHandler, Response } from 'express';
import { parseQuery, toFhirError, type Authorizer, type FhirEngine, type FhirResponse, type Route } from '@hestia/core';
import { readAuditHeaders } from './audit-headers.js';

export type ResultType = 'Started' | 'Succeeded' | 'Failed';

/** One audit record, with the fields of the seed's audit log. */
export interface AuditRecord {
  /** The caller's token claims; {} for anonymous requests. */
  CallerIdentity: Record<string, unknown>;
  CallerIdentityIssuer: string | null;
  CallerIdentityObjectId: string | null;
  CallerIPAddress: string | null;
  CorrelationId: string;
  FhirResourceType: string | null;
  LogCategory: 'AuditLogs';
  Location: string;
  /** Milliseconds from arrival to the response; null on Started records and bundle entries. */
  OperationDuration: number | null;
  OperationName: string | null;
  RequestUri: string;
  ResultType: ResultType;
  /** HTTP status; null on Started records. */
  StatusCode: number | null;
  TimeGenerated: string;
  /** The custom X-MS-AZUREFHIR-AUDIT-* headers. */
  Properties: Record<string, string>;
}

/** The principal the security layer puts on req.user. */
interface Caller { sub?: string; oid?: string; iss?: string; claims?: Record<string, unknown> }

/** Status recorded when the client went away before the response was complete. */
export const CLIENT_CLOSED = 499;

interface Exchange {
  correlationId: string;
  arrived: Date;
  arrivedNs: bigint;
  requestUri: string;
  properties: Record<string, string>;
  /** The request's own route, once the engine has classified it. */
  route?: Route;
  started: boolean;
  /** Bundle entries in the order they were authorized; `refused` is the status of a refusal. */
  entries: { route: Route; refused?: number }[];
  done: boolean;
}

export interface Completion { operation: string | null; status: number; seconds: number }

export interface AuditTrailOptions {
  engine: FhirEngine;
  location: string;
  /** Receives every record, with the route it is about (when known). */
  write: (record: AuditRecord, route?: Route) => void;
  /** Told of every completed request (metrics). */
  completed?: (c: Completion) => void;
}

/** The operation name of a route: the interaction, or the operation's name for $operations. */
export function operationName(route: Route | undefined): string | null {
  if (!route) return null;
  return route.interaction === 'operation' ? route.operation ?? null : route.interaction;
}

export class AuditTrail {
  private readonly exchanges = new WeakMap<Request, Exchange>();

  constructor(private readonly opts: AuditTrailOptions) {}

  /** Starts the trail of a request. Invalid custom audit headers are refused with 400 before anything runs. */
  middleware(): RequestHandler {
    return (req, res, next) => {
      const x: Exchange = {
        correlationId: String(res.locals.correlationId ?? ''),
        arrived: new Date(),
        arrivedNs: process.hrtime.bigint(),
        requestUri: `${req.protocol}://${req.get('host') ?? ''}${req.originalUrl}`,
        properties: {},
        started: false,
        entries: [],
        done: false,
      };
      this.exchanges.set(req, x);
      res.once('finish', () => this.finish(req, res, res.statusCode));
      res.once('close', () => this.finish(req, res, CLIENT_CLOSED));
      try {
        x.properties = readAuditHeaders(req.rawHeaders);
      } catch (e) {
        next(e);
        return;
      }
      next();
    };
  }

  /**
   * Wraps the per-request authorizer so that the trail learns every route when the engine classifies
   * it (the request itself first, then each bundle entry) and which ones were refused.
   */
  observe(authorizerFor?: (req: Request) => Authorizer | undefined): (req: Request) => Authorizer {
    return (req) => {
      const authorize = authorizerFor?.(req);
      return (route) => {
        const entry = this.routeKnown(req, route);
        try {
          authorize?.(route);
        } catch (e) {
          if (entry) entry.refused = toFhirError(e).status;
          throw e;
        }
      };
    };
  }

  private routeKnown(req: Request, route: Route): Exchange['entries'][number] | undefined {
    const x = this.exchanges.get(req);
    if (!x) return undefined;
    if (!x.route) {
      x.route = route;
      this.start(req, x, new Date());
      return undefined;
    }
    const entry = { route };
    x.entries.push(entry);
    return entry;
  }

  private start(req: Request, x: Exchange, at: Date): void {
    x.started = true;
    this.opts.write(this.record(req, x, x.route, { ResultType: 'Started', StatusCode: null, OperationDuration: null, TimeGenerated: at.toISOString() }), x.route);
  }

  private finish(req: Request, res: Response, status: number): void {
    const x = this.exchanges.get(req);
    if (!x || x.done) return;
    x.done = true;
    const ms = Number(process.hrtime.bigint() - x.arrivedNs) / 1e6;
    // Requests refused before the engine classified them (authentication, custom header limits,
    // unreadable bodies) are classified here from the request line; Started keeps the arrival time.
    if (!x.started) {
      x.route = this.classify(req);
      this.start(req, x, x.arrived);
    }
    const now = new Date().toISOString();
    const result = (s: number): ResultType => (s < 400 ? 'Succeeded' : 'Failed');
    const statuses = entryStatuses(res.locals.response as FhirResponse | undefined, x.entries.length);
    for (const [i, e] of x.entries.entries()) {
      const s = e.refused ?? statuses?.[i] ?? status;
      this.opts.write(this.record(req, x, e.route, { ResultType: result(s), StatusCode: s, OperationDuration: null, TimeGenerated: now, RequestUri: entryUri(x.requestUri, req.originalUrl, e.route) }), e.route);
    }
    this.opts.write(this.record(req, x, x.route, { ResultType: result(status), StatusCode: status, OperationDuration: Math.round(ms), TimeGenerated: now }), x.route);
    this.opts.completed?.({ operation: operationName(x.route), status, seconds: ms / 1000 });
  }

  /** The route from the request line alone; undefined when it cannot be known (or the request is invalid). */
  private classify(req: Request): Route | undefined {
    // POST to the base is a batch or a transaction: only the (unread) body tells which.
    if (req.method === 'POST' && /^\/*$/.test(req.path)) return undefined;
    try {
      return this.opts.engine.route({ method: req.method, path: req.path, query: parseQuery(req.originalUrl), headers: {}, baseUrl: '' });
    } catch {
      return undefined;
    }
  }

  private record(req: Request, x: Exchange, route: Route | undefined, outcome: Pick<AuditRecord, 'ResultType' | 'StatusCode' | 'OperationDuration' | 'TimeGenerated'> & { RequestUri?: string }): AuditRecord {
    const caller = (req as { user?: Caller }).user;
    return {
      CallerIdentity: caller?.claims ?? {},
      CallerIdentityIssuer: caller?.iss ?? null,
      CallerIdentityObjectId: caller?.oid ?? caller?.sub ?? null,
      CallerIPAddress: req.ip ?? req.socket.remoteAddress ?? null,
      CorrelationId: x.correlationId,
      FhirResourceType: route?.resourceType ?? null,
      LogCategory: 'AuditLogs',
      Location: this.opts.location,
      OperationDuration: outcome.OperationDuration,
      OperationName: operationName(route),
      RequestUri: outcome.RequestUri ?? x.requestUri,
      ResultType: outcome.ResultType,
      StatusCode: outcome.StatusCode,
      TimeGenerated: outcome.TimeGenerated,
      Properties: x.properties,
    };
  }
}

/**
 * The status of each bundle entry from the engine's batch/transaction response. Its entries line up
 * with the authorized routes unless some entries could not even be parsed (then: undefined).
 */
function entryStatuses(response: FhirResponse | undefined, count: number): number[] | undefined {
  if (!count) return undefined; // (not a bundle: its body, perhaps still stored text, is not read)
  const entries = (response?.body as { entry?: { response?: { status?: string } }[] } | undefined)?.entry;
  if (!entries || entries.length !== count) return undefined;
  const statuses = entries.map((e) => Number.parseInt(e.response?.status ?? '', 10));
  return statuses.every((s) => s >= 100) ? statuses : undefined;
}

/** The URI of a bundle entry: the base of the bundle request plus the entry's path (its query is not known). */
function entryUri(requestUri: string, originalUrl: string, route: Route): string {
  const base = requestUri.slice(0, requestUri.length - originalUrl.length);
  const parts: string[] = [];
  if (route.resourceType) parts.push(route.resourceType);
  if (route.id) parts.push(route.id);
  if (route.interaction.startsWith('history-') || route.versionId) parts.push('_history');
  if (route.versionId) parts.push(route.versionId);
  if (route.compartmentType) parts.push(route.compartmentType);
  if (route.operation) parts.push(`$${route.operation}`);
  return `${base}/${parts.join('/')}`;
}
