// Per-request scope of the Cosmos adapter (AsyncLocalStorage): the request units that every call
// made while serving one request charged, and the read consistency that request asked for.
import { AsyncLocalStorage } from 'node:async_hooks';
import { badRequest, type AdapterMetering, type RequestMeter, type RequestScopeOptions } from '@hestia/core';

/** Cosmos DB's consistency levels, strongest first. */
export const CONSISTENCY_LEVELS = ['Strong', 'BoundedStaleness', 'Session', 'ConsistentPrefix', 'Eventual'] as const;
export type ConsistencyName = (typeof CONSISTENCY_LEVELS)[number];

interface Scope { meter: { requestCharge: number }; consistency?: ConsistencyName }

/** Something the SDK answered with a request charge (responses and errors alike). */
interface Charged { requestCharge?: number; headers?: Record<string, unknown> }

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
    const header = r?.headers?.['x-ms-request-charge'];
    const n = Number(r?.requestCharge ?? header ?? 0);
    if (!Number.isFinite(n) || n <= 0) return;
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
