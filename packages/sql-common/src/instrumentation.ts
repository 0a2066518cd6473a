// Metrics and log hooks of a knex-based SQL store: every statement with its duration (from knex's
// query events) and the usage of its connection pool, as plain numbers.
import type { Knex } from 'knex';
import type { AdapterInstrumentation } from '@hestia/core';

interface QueryEvent { __knexQueryUid?: string; sql?: string; bindings?: readonly unknown[] }
interface TarnPool { numUsed(): number; numFree(): number; numPendingAcquires(): number; max: number }

export function knexInstrumentation(knex: Knex): AdapterInstrumentation {
  return {
    onCall(listener) {
      const started = new Map<string, number>();
      const onQuery = (q: QueryEvent) => {
        if (q.__knexQueryUid) started.set(q.__knexQueryUid, performance.now());
      };
      const finished = (q: QueryEvent, failed: boolean) => {
        const t = q.__knexQueryUid === undefined ? undefined : started.get(q.__knexQueryUid);
        if (t === undefined) return;
        started.delete(q.__knexQueryUid!);
        listener({ durationMs: performance.now() - t, failed, statement: q.sql ?? '', bindings: q.bindings });
      };
      const onResponse = (_result: unknown, q: QueryEvent) => finished(q, false);
      const onError = (_error: unknown, q: QueryEvent) => finished(q, true);
      knex.on('query', onQuery).on('query-response', onResponse).on('query-error', onError);
      return () => {
        knex.off('query', onQuery).off('query-response', onResponse).off('query-error', onError);
      };
    },
    pool() {
      const pool = (knex.client as { pool?: TarnPool }).pool;
      if (!pool) return { used: 0, idle: 0, pending: 0, max: 0 };
      return { used: pool.numUsed(), idle: pool.numFree(), pending: pool.numPendingAcquires(), max: pool.max };
    },
  };
}
