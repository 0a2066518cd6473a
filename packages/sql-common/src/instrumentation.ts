// Metrics and log hooks of a knex-based SQL store: every statement with its duration (from knex's
// query events) and the usage of its connection pool, as plain numbers.
import type { Knex } from 'knex';
import type { AdapterInstrumentation, DatabaseCall } from '@hestia/core';

interface QueryEvent { __knexQueryUid?: string; sql?: string; bindings?: readonly unknown[] }
interface TarnPool { numUsed(): number; numFree(): number; numPendingAcquires(): number; max: number }

export function knexInstrumentation(knex: Knex): AdapterInstrumentation {
  // One set of knex listeners, attached while anyone listens, times each statement for all of them.
  const listeners = new Set<(call: DatabaseCall) => void>();
  const started = new Map<string, number>();
  const onQuery = (q: QueryEvent) => {
    if (q.__knexQueryUid) started.set(q.__knexQueryUid, performance.now());
  };
  const finished = (q: QueryEvent, failed: boolean) => {
    const t = q.__knexQueryUid === undefined ? undefined : started.get(q.__knexQueryUid);
    if (t === undefined) return;
    started.delete(q.__knexQueryUid!);
    const call: DatabaseCall = { durationMs: performance.now() - t, failed, statement: q.sql ?? '', bindings: q.bindings };
    for (const l of listeners) l(call);
  };
  const onResponse = (_result: unknown, q: QueryEvent) => finished(q, false);
  const onError = (_error: unknown, q: QueryEvent) => finished(q, true);
  return {
    onCall(listener) {
      if (!listeners.size) knex.on('query', onQuery).on('query-response', onResponse).on('query-error', onError);
      listeners.add(listener);
      return () => {
        if (!listeners.delete(listener) || listeners.size) return;
        knex.off('query', onQuery).off('query-response', onResponse).off('query-error', onError);
        started.clear();
      };
    },
    pool() {
      const pool = (knex.client as { pool?: TarnPool }).pool;
      if (!pool) return { used: 0, idle: 0, pending: 0, max: 0 };
      return { used: pool.numUsed(), idle: pool.numFree(), pending: pool.numPendingAcquires(), max: pool.max };
    },
  };
}
