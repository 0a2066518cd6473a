// Prometheus metrics (prom-client), in a registry of this server's own: requests by operation and
// status, audit sink failures, database call latency and connection pool usage (when the adapter
// offers instrumentation), and the process defaults.
import client from 'prom-client';
import type { RequestHandler } from 'express';
import type { AdapterInstrumentation } from '@hestia/core';
import type { Completion } from './audit.js';

/** Distinct operation label values kept; later ones become "other" ($operation names come from callers). */
const MAX_OPERATION_LABELS = 64;
const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Process metrics (CPU, memory, event loop) are collected once per process, whatever the number of servers. */
let processRegistry: client.Registry | undefined;
function processMetrics(): client.Registry {
  if (!processRegistry) {
    processRegistry = new client.Registry();
    client.collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export class Metrics {
  readonly registry = new client.Registry();
  private readonly requests: client.Counter<'operation' | 'status'>;
  private readonly latency: client.Histogram<'operation' | 'status'>;
  private readonly sinkFailures: client.Counter<'sink'>;
  private readonly operations = new Set<string>();
  private readonly unsubscribe?: () => void;

  constructor(instrumentation?: AdapterInstrumentation) {
    const registers = [this.registry];
    this.requests = new client.Counter({ name: 'hestia_requests_total', help: 'FHIR requests by operation and status.', labelNames: ['operation', 'status'], registers });
    this.latency = new client.Histogram({ name: 'hestia_request_duration_seconds', help: 'FHIR request latency by operation and status.', labelNames: ['operation', 'status'], buckets: SECONDS, registers });
    this.sinkFailures = new client.Counter({ name: 'hestia_audit_sink_failures_total', help: 'Audit records an audit sink failed to write.', labelNames: ['sink'], registers });
    if (instrumentation) {
      const calls = new client.Histogram({ name: 'hestia_db_call_duration_seconds', help: 'Database call latency.', labelNames: ['outcome'], buckets: SECONDS, registers });
      // (created on the first charged call: only storages that charge per call, Cosmos DB, have it)
      let charges: client.Counter | undefined;
      this.unsubscribe = instrumentation.onCall((c) => {
        calls.observe({ outcome: c.failed ? 'error' : 'ok' }, c.durationMs / 1000);
        if (c.requestCharge === undefined) return;
        charges ??= new client.Counter({ name: 'hestia_db_request_charge_total', help: 'What the database charged for its calls, in its units (Cosmos DB: request units).', registers });
        charges.inc(c.requestCharge);
      });
      const pool = instrumentation.pool?.bind(instrumentation);
      if (pool) new client.Gauge({
        name: 'hestia_db_pool_connections', help: 'Database pool connections by state (used, idle, pending requests, max).', labelNames: ['state'], registers,
        collect() {
          const p = pool();
          for (const state of ['used', 'idle', 'pending', 'max'] as const) this.set({ state }, p[state]);
        },
      });
    }
  }

  requestCompleted(c: Completion): void {
    const labels = { operation: this.operationLabel(c.operation), status: String(c.status) };
    this.requests.inc(labels);
    this.latency.observe(labels, c.seconds);
  }

  sinkFailed(sink: string): void {
    this.sinkFailures.inc({ sink });
  }

  handler(): RequestHandler {
    return async (_req, res, next) => {
      try {
        const text = (await this.registry.metrics()) + (await processMetrics().metrics());
        res.setHeader('Content-Type', this.registry.contentType);
        res.send(text);
      } catch (e) {
        next(e);
      }
    };
  }

  close(): void {
    this.unsubscribe?.();
    this.registry.clear();
  }

  private operationLabel(operation: string | null): string {
    const name = operation ?? 'unknown';
    if (this.operations.has(name)) return name;
    if (this.operations.size >= MAX_OPERATION_LABELS) return 'other';
    this.operations.add(name);
    return name;
  }
}
