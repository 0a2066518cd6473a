// Correlation ids: one per request, taken from X-Request-Id when it is sane or generated, returned on
// the response and available to every log line written while the request runs.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';

export const CORRELATION_HEADER = 'X-Request-Id';

/** Letters, digits and a few separators, at most 128 characters: UUIDs, trace ids, ULIDs. */
const ACCEPTED_ID = /^[A-Za-z0-9._:/+=@-]{1,128}$/;

interface RequestScope { correlationId: string }

const scope = new AsyncLocalStorage<RequestScope>();

/** The correlation id of the request being handled, if any. */
export function currentCorrelationId(): string | undefined {
  return scope.getStore()?.correlationId;
}

/** Runs background work that serves many requests outside any request's scope (its log lines carry no correlation id). */
export function outsideRequests<T>(fn: () => T): T {
  return scope.exit(fn);
}

/** Accepts the caller's id when it looks like an id; otherwise makes a new one. */
export function correlationIdFor(header: string | undefined): string {
  return header !== undefined && ACCEPTED_ID.test(header) ? header : randomUUID();
}

/** Sets the correlation id of a request, returns it in X-Request-Id and runs the rest of the chain in its scope. */
export function correlationMiddleware(): RequestHandler {
  return (req, res, next) => {
    const correlationId = correlationIdFor(req.get(CORRELATION_HEADER));
    res.locals.correlationId = correlationId;
    res.setHeader(CORRELATION_HEADER, correlationId);
    scope.run({ correlationId }, next);
  };
}
