// Observability: correlation ids, the application and audit logs, health and metrics.
import express, { type Request, type RequestHandler } from 'express';
import type winston from 'winston';
import type { Authorizer, FhirEngine, PersistenceAdapter, Route } from '@hestia/core';
import type { HestiaConfig } from '../config.js';
import { AuditTrail, type AuditRecord } from './audit.js';
import { AuditEventSink } from './audit-events.js';
import { correlationMiddleware } from './correlation.js';
import { HEALTH_PATH, healthHandler } from './health.js';
import { AuditFileTransport } from './file-sink.js';
import { appLogger, configureAppLogger, createAuditLogger } from './logger.js';
import { Metrics } from './metrics.js';
import { SinkMonitor } from './sinks.js';
import { logSlowStatements } from './slow-statements.js';

export { appLogger } from './logger.js';
export { currentCorrelationId, CORRELATION_HEADER } from './correlation.js';
export type { AuditRecord, ResultType } from './audit.js';
export type { HealthReport } from './health.js';

export const METRICS_PATH = '/metrics';

export interface ObservabilityLayer {
  /** Middleware run first on every request: correlation id, health and metrics endpoints, audit trail. */
  middleware: RequestHandler[];
  /** Metrics that need an authenticated caller (observability.metrics.role): the host mounts them after authentication. */
  protectedMetrics?: RequestHandler;
  /** Wraps the security layer's authorizer so that the audit trail learns each route as it is classified. */
  observeRoutes(authorizerFor?: (req: Request) => Authorizer | undefined): (req: Request) => Authorizer;
  /** The audit logger: transports added here receive every record (one JSON line each). */
  auditLogger: winston.Logger;
  sinks: SinkMonitor;
  /** Resolves when every queued AuditEvent has been written. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export async function createObservability(config: HestiaConfig, adapter: PersistenceAdapter, engine: FhirEngine): Promise<ObservabilityLayer> {
  configureAppLogger(config);
  const metrics = config.observability.metrics.enabled ? new Metrics(adapter.instrumentation) : undefined;
  const stopSlowLog = logSlowStatements(adapter.instrumentation, config.observability.slowStatementMs);
  const sinks = new SinkMonitor({
    onFailure: (sink) => metrics?.sinkFailed(sink),
    onChange: (sink, failing, error) => {
      if (failing) appLogger.error(`Audit sink '${sink}' is failing.`, { sink, error: error instanceof Error ? error.message : String(error) });
      else appLogger.info(`Audit sink '${sink}' is writing again.`, { sink });
    },
  });
  const auditLogger = createAuditLogger(config, sinks);
  const auditEvents = config.audit.auditEvents ? new AuditEventSink(engine, config.fhirVersion, sinks) : undefined;
  const write = (record: AuditRecord, route?: Route) => {
    // (winston warns about loggers without transports; with no sink configured there is nothing to write)
    if (auditLogger.transports.length) auditLogger.log({ level: 'info', message: 'audit', record });
    auditEvents?.add(record, route);
  };
  const trail = new AuditTrail({ engine, location: config.audit.location, write, completed: metrics && ((c) => metrics.requestCompleted(c)) });

  // Health and metrics answer before authentication and are not audited.
  const endpoints = express.Router();
  endpoints.get(HEALTH_PATH, healthHandler(adapter, sinks));
  const protect = !!config.observability.metrics.role;
  if (metrics && !protect) endpoints.get(METRICS_PATH, metrics.handler());

  return {
    middleware: [correlationMiddleware(), endpoints, trail.middleware()],
    protectedMetrics: metrics && protect ? metrics.handler() : undefined,
    observeRoutes: (authorizerFor) => trail.observe(authorizerFor),
    auditLogger,
    sinks,
    flush: async () => auditEvents?.flush(),
    async close() {
      await auditEvents?.flush();
      metrics?.close();
      stopSlowLog?.();
      // The file sink is drained before the logger closes, so that every record reaches the disk.
      await Promise.all(auditLogger.transports.map((t) => (t instanceof AuditFileTransport ? t.drain() : undefined)));
      auditLogger.close();
    },
  };
}
