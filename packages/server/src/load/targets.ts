// Where a load goes: straight into the configured database through an in-process FhirEngine, or
// to a running Hestia (or any FHIR server) over HTTP.
import { resolve } from 'node:path';
import { FhirEngine, type PersistenceAdapter, type Resource } from '@hestia/core';
import type { HestiaConfig } from '../config.js';
import { engineOptions } from '../server.js';
import { openStorage } from '../storage.js';
import type { LoadRequest } from './requests.js';

export interface LoadResponse { status: number; body?: Resource }

export interface LoadTarget {
  /** Identifies the destination in the resume state (no secrets). */
  readonly key: string;
  /** Requests this target can usefully run at once. */
  readonly maxConcurrency: number;
  send(req: LoadRequest): Promise<LoadResponse>;
  close(): Promise<void>;
}

/** Responses kept small: the loader needs statuses and outcomes, not the stored resources. */
const PREFER = 'return=minimal';

/**
 * The configured storage, opened in this process. The bundle size limit (which protects a server
 * from its clients) does not apply: a transaction file is loaded whole, however many entries it has.
 */
export async function inProcessTarget(config: HestiaConfig): Promise<LoadTarget> {
  const adapter: PersistenceAdapter = await openStorage(config);
  try {
    const engine = new FhirEngine({ adapter, ...engineOptions(config), maxBundleEntries: Number.MAX_SAFE_INTEGER });
    await engine.init();
    const baseUrl = config.baseUrl || 'http://localhost';
    const embedded = config.storage.kind === 'embedded';
    return {
      key: embedded ? `embedded:${resolve(config.storage.dataDir)}` : `postgres:${redact(config.storage.connectionString)}`,
      // The embedded database has one connection: more requests at once only queue.
      maxConcurrency: embedded ? 1 : Math.max(1, config.storage.poolMax - 1),
      async send(req) {
        const res = await engine.handle({ method: req.method, path: req.path, query: [], headers: { prefer: PREFER, 'content-type': 'application/fhir+json' }, body: req.body, baseUrl });
        return { status: res.status, body: res.body };
      },
      close: () => adapter.close(),
    };
  } catch (e) {
    await adapter.close().catch(() => undefined);
    throw e;
  }
}

/** A FHIR server at `url` (its base, e.g. http://localhost:8080), with extra headers such as Authorization. */
export function httpTarget(url: string, headers: Record<string, string> = {}): LoadTarget {
  const base = url.replace(/\/+$/, '');
  return {
    key: `http:${redact(base)}`,
    maxConcurrency: Number.MAX_SAFE_INTEGER,
    async send(req) {
      let res: Response;
      try {
        res = await fetch(`${base}/${req.path}`, {
          method: req.method,
          headers: { 'content-type': 'application/fhir+json', accept: 'application/fhir+json', prefer: PREFER, ...headers },
          body: JSON.stringify(req.body),
        });
      } catch (e) {
        const cause = (e as { cause?: { message?: string } }).cause?.message ?? (e as Error).message;
        return { status: 0, body: { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception', diagnostics: `${base} could not be reached: ${cause}` }] } };
      }
      const text = await res.text();
      let body: Resource | undefined;
      try {
        body = text ? (JSON.parse(text) as Resource) : undefined;
      } catch {
        body = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception', diagnostics: `HTTP ${res.status}: ${text.slice(0, 200)}` }] };
      }
      return { status: res.status, body };
    },
    close: async () => undefined,
  };
}

/** A URL or connection string without its password. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url.replace(/:[^:@/]*@/, ':***@');
  }
}
