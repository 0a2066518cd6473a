// Per-request storage metering over HTTP: a storage that meters its calls (Cosmos DB request units)
// serves each request in its own scope, with the consistency the request's x-ms-consistency-level
// asks for, and the response tells what the request cost in x-ms-request-charge.
import type { Request, Response } from 'express';
import type { PersistenceAdapter } from '@hestia/core';

export const REQUEST_CHARGE_HEADER = 'x-ms-request-charge';
export const CONSISTENCY_HEADER = 'x-ms-consistency-level';

/**
 * Runs `fn` in the adapter's request scope and sets the charge header on `res` when it ends (also
 * when it fails). Without metering, just runs `fn`. An unacceptable consistency level throws a 400.
 */
export function metered<T>(adapter: PersistenceAdapter, req: Request, res: Response, fn: () => Promise<T>): Promise<T> {
  const metering = adapter.metering;
  if (!metering) return fn();
  return metering.run({ consistency: req.get(CONSISTENCY_HEADER) }, async (meter) => {
    try {
      return await fn();
    } finally {
      res.setHeader(REQUEST_CHARGE_HEADER, String(Math.round(meter.requestCharge * 100) / 100));
    }
  });
}
