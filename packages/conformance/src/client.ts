// A tiny in-process FHIR client over FhirEngine.handle, for the conformance suites.
import type { Bundle, CompartmentLimit, FhirEngine, FhirResponse, Resource } from '@hestia/core';

export const BASE = 'http://hestia.test/fhir';

export class Client {
  constructor(readonly engine: FhirEngine) {}

  /** `limit`: as a caller kept inside one compartment (SMART patient-level scopes). */
  request(method: string, path: string, opts: { body?: unknown; query?: [string, string][] | Record<string, string>; headers?: Record<string, string>; limit?: CompartmentLimit } = {}): Promise<FhirResponse> {
    const query = Array.isArray(opts.query) ? opts.query : Object.entries(opts.query ?? {});
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.headers ?? {})) headers[k.toLowerCase()] = v;
    return this.engine.handle({ method, path, query, headers, body: opts.body, baseUrl: BASE }, undefined, opts.limit);
  }

  async create<T extends Resource>(r: T, headers?: Record<string, string>): Promise<T & Resource> {
    const res = await this.request('POST', r.resourceType, { body: r, headers });
    if (res.status !== 201) throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as T & Resource;
  }

  /** Search and return the matched ids (search.mode = match), in order. */
  async ids(path: string, query: [string, string][] | Record<string, string>): Promise<string[]> {
    const res = await this.request('GET', path, { query });
    if (res.status !== 200) throw new Error(`search ${path} ${JSON.stringify(query)} failed: ${res.status} ${JSON.stringify(res.body)}`);
    return ((res.body as Bundle).entry ?? []).filter((e) => e.search?.mode === 'match').map((e) => e.resource!.id!);
  }
}
