// Per-request scope of the Cosmos adapter (AsyncLocalStorage): the request units that every call
// made while serving one request charged, and the read consistency that request asked for.
import { AsyncLocalStorage } from 'node:async_hooks';
import { badRequest, type AdapterMetering, type RequestMeter, type RequestScopeOptions } from '@hestia/core';

/** Cosmos DB's consistency levels, strongest first. */
export const CONSISTENCY_LEVELS = ['Strong', 'BoundedStaleness', 'Session', 'ConsistentPrefix', 'Eventual'] as const;
export type ConsistencyName = (typeof CONSISTENCY_LEVELS)[number];

interface Scope { meter: { requestCharge: number }; consistency?: ConsistencyName }

/** Something the SDK answered with a request charge (responses and errors alike). */
export interface Charged { requestCharge?: number; headers?: Record<string, unknown> }

/** The request units an SDK response or error tells it was charged, if any. */
export function chargeOf(r: Charged | undefined): number | undefined {
  const n = Number(r?.requestCharge ?? r?.headers?.['x-ms-request-charge'] ?? 0);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

export class CosmosMetering implements AdapterMetering {
  private readonly als = new AsyncLocalStorage<Scope>();
  /** The account's default consistency; requests may only ask for weaker levels. */
  accountConsistency: ConsistencyName = 'Session';

  run<T>(options: RequestScopeOptions, fn: (meter: RequestMeter) => T): T {
    const consistency = options.consistency?.trim() ? this.checkLevel(options.consistency.trim()) : undefined;
    const scope: Scope = { meter: { requestCharge: 0 }, ...(consistency ? { consistency } : {}) };
    return this.als.run(scope, () => fn(scope.meter));
  }

  private checkLevel(requested: string): ConsistencyName {
    const level = CONSISTENCY_LEVELS.find((l) => l.toLowerCase() === requested.toLowerCase());
    if (!level) throw badRequest(`x-ms-consistency-level '${requested}' is not one of ${CONSISTENCY_LEVELS.join(', ')}.`);
    if (CONSISTENCY_LEVELS.indexOf(level) < CONSISTENCY_LEVELS.indexOf(this.accountConsistency)) {
      throw badRequest(`x-ms-consistency-level '${level}' is stronger than the account's default consistency '${this.accountConsistency}'; a request can only relax it.`);
    }
    return level;
  }

  /** Read options of the current request (its relaxed consistency, if any). */
  readOptions(): { consistencyLevel?: string } {
    const c = this.als.getStore()?.consistency;
    return c ? { consistencyLevel: c } : {};
  }

  /** Adds the charge of an SDK response or error to the current request. */
  charge(r: Charged | undefined): void {
    const n = chargeOf(r);
    if (n === undefined) return;
    const scope = this.als.getStore();
    if (scope) scope.meter.requestCharge += n;
  }

  /** Awaits an SDK call and charges its response, or its error before rethrowing it. */
  async metered<T extends Charged>(call: Promise<T>): Promise<T> {
    try {
      const res = await call;
      this.charge(res);
      return res;
    } catch (e) {
      this.charge(e as Charged);
      throw e;
    }
  }
}
