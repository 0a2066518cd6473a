// GET /health/check: 200 when the database answers and every audit sink is writing, 503 otherwise.
// Anonymous, so it names states and counts only; the errors themselves go to the application log.
import type { RequestHandler } from 'express';
import type { PersistenceAdapter } from '@hestia/core';
import { appLogger } from './logger.js';
import type { SinkMonitor, SinkStatus } from './sinks.js';

export const HEALTH_PATH = '/health/check';
const PING_TIMEOUT_MS = 5000;

export interface HealthReport {
  status: 'healthy' | 'unhealthy';
  database: { status: 'up' | 'down'; latencyMs?: number };
  audit: { status: 'ok' | 'failing'; sinks: Record<string, SinkStatus> };
}

export async function checkHealth(adapter: PersistenceAdapter, sinks: SinkMonitor): Promise<HealthReport> {
  const t = performance.now();
  let database: HealthReport['database'];
  try {
    await withTimeout(adapter.ping(), PING_TIMEOUT_MS);
    database = { status: 'up', latencyMs: Math.round(performance.now() - t) };
  } catch (e) {
    appLogger.error('Health check: the database did not answer.', { error: (e as Error).message });
    database = { status: 'down' };
  }
  const audit: HealthReport['audit'] = { status: sinks.failing ? 'failing' : 'ok', sinks: sinks.snapshot() };
  return { status: database.status === 'up' && audit.status === 'ok' ? 'healthy' : 'unhealthy', database, audit };
}

export function healthHandler(adapter: PersistenceAdapter, sinks: SinkMonitor): RequestHandler {
  return async (_req, res) => {
    const report = await checkHealth(adapter, sinks);
    res.status(report.status === 'healthy' ? 200 : 503).setHeader('Cache-Control', 'no-store').json(report);
  };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`No answer within ${ms} ms.`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
