// Requests served without a token even when security is on: the capability statement, SMART's
// configuration and proxy (the authority authenticates there), health checks and CORS preflights.
import type { Request } from 'express';
import { SMART_PROXY_PATH } from './smart-proxy.js';

const ANONYMOUS_GET_PATHS = [/^\/metadata\/?$/, /^\/\.well-known\/smart-configuration\/?$/, /^\/health(\/|$)/];

/** A CORS preflight: browsers send it without credentials before a cross-origin request. */
export function isPreflight(req: Request): boolean {
  return req.method === 'OPTIONS' && req.get('origin') !== undefined && req.get('access-control-request-method') !== undefined;
}

export function isAnonymous(req: Request): boolean {
  if (isPreflight(req)) return true;
  if (req.method === 'POST' && req.path === `${SMART_PROXY_PATH}/token`) return true;
  return (req.method === 'GET' || req.method === 'HEAD') && (ANONYMOUS_GET_PATHS.some((re) => re.test(req.path)) || req.path.startsWith(`${SMART_PROXY_PATH}/`));
}
