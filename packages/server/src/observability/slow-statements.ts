// The slow-statement log: a database call that takes at least observability.slowStatementMs is logged
// (warn, with the request's correlation id) with its statement, so that a slow search can be found
// and explained without turning on the database's own statement log. The values bound to it may hold
// patient data: only a digest of them is logged, keyed per process, which tells repeats of the same
// values apart within a run and cannot be reversed by guessing them.
import { createHmac, randomBytes } from 'node:crypto';
import type { AdapterInstrumentation, DatabaseCall } from '@hestia/core';
import { appLogger } from './logger.js';

const DIGEST_KEY = randomBytes(32);
/** Statements longer than this (characters) are cut. */
const MAX_STATEMENT = 8000;

/** Subscribes the log to the storage's calls; returns the unsubscribe function, or undefined when off (or the storage reports no calls). */
export function logSlowStatements(instrumentation: AdapterInstrumentation | undefined, thresholdMs: number): (() => void) | undefined {
  if (!instrumentation || !(thresholdMs > 0)) return undefined;
  return instrumentation.onCall((call) => {
    if (call.durationMs >= thresholdMs) appLogger.warn('Slow database statement.', slowStatementFields(call));
  });
}

function slowStatementFields(call: DatabaseCall): Record<string, unknown> {
  const { statement, bindings, requestCharge } = call;
  return {
    durationMs: Math.round(call.durationMs * 10) / 10,
    failed: call.failed,
    statement: statement.length > MAX_STATEMENT ? `${statement.slice(0, MAX_STATEMENT)}…` : statement,
    ...(bindings?.length ? { bindings: bindings.length, bindingsDigest: digest(bindings) } : {}),
    ...(requestCharge !== undefined ? { requestCharge } : {}),
  };
}

function digest(values: readonly unknown[]): string {
  const text = JSON.stringify(values, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  return createHmac('sha256', DIGEST_KEY).update(text).digest('hex').slice(0, 16);
}
