// Instrumentation of the Cosmos DB adapter: every container call (a query's text, or the name of a
// point operation) with its duration and request charge, for metrics and the slow-call log. Cosmos DB
// has no connection pool to report.
import type { AdapterInstrumentation, DatabaseCall } from '@hestia/core';

export class CosmosInstrumentation implements AdapterInstrumentation {
  private readonly listeners = new Set<(call: DatabaseCall) => void>();

  onCall(listener: (call: DatabaseCall) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Whether anyone listens (calls are not timed otherwise). */
  get listening(): boolean {
    return this.listeners.size > 0;
  }

  report(call: DatabaseCall): void {
    for (const l of this.listeners) l(call);
  }
}
