// CORS for browser applications: the configured origins, headers, methods and max age; preflights are
// answered here, before authentication. The response headers a FHIR client needs are exposed.
import type { RequestHandler } from 'express';
import cors from 'cors';
import { isAny, type HestiaConfig } from '../config.js';
import { CORRELATION_HEADER } from '../observability/index.js';

export const EXPOSED_HEADERS = ['ETag', 'Location', 'Content-Location', 'Last-Modified', CORRELATION_HEADER];

type CorsSettings = HestiaConfig['cors'];

/** The CORS middleware, or undefined when no origin is allowed (then no CORS header is ever sent). */
export function corsMiddleware(c: CorsSettings): RequestHandler | undefined {
  const origins = isAny(c.origins) ? '*' : (c.origins as string[]).map((o) => o.trim().replace(/\/+$/, '').toLowerCase());
  if (origins !== '*' && !origins.length) return undefined;
  return cors({
    origin: origins,
    methods: c.methods,
    // '*' reflects the headers the preflight asks for: a literal '*' would not cover Authorization.
    allowedHeaders: isAny(c.headers) ? undefined : (c.headers as string[]),
    exposedHeaders: EXPOSED_HEADERS,
    credentials: c.allowCredentials,
    maxAge: c.maxAge,
    preflightContinue: false,
    optionsSuccessStatus: 204,
  });
}
