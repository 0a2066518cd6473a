// Shared helpers of the suites: per-suite markers, bulk creation through one transaction bundle,
// search calls that return bundles or labelled ids, paging walks and error assertions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Bundle, Coding, FhirResponse, OperationOutcome, Resource } from '@hestia/core';
import { BASE } from '../client.js';
import type { Fixture } from '../index.js';

export type Query = [string, string][];

/** A short random marker, unique per call: `prefix` + 8 hex digits. */
export const marker = (prefix: string) => `${prefix}${randomUUID().replace(/-/g, '').slice(0, 8)}`;

/**
 * Parses `a=1&b:exact=x` into query pairs. Values are taken as written (no percent-decoding, '+'
 * stays '+'), so tables can spell FHIR values such as time zones and `|` directly.
 */
export function q(text: string): Query {
  if (!text) return [];
  return text.split('&').map((part) => {
    const eq = part.indexOf('=');
    assert.ok(eq > 0, `malformed query part '${part}'`);
    return [part.slice(0, eq), part.slice(eq + 1)];
  });
}

/** The resource's `Type/id`. */
export const ref = (r: Resource) => `${r.resourceType}/${r.id}`;

/** Asserts an error response: the status and an OperationOutcome whose first issue is an error. */
export function assertOutcome(res: FhirResponse, status: number, code?: string): OperationOutcome {
  assert.equal(res.status, status, JSON.stringify(res.body));
  const body = res.body as OperationOutcome;
  assert.equal(body?.resourceType, 'OperationOutcome');
  assert.equal(body.issue[0].severity, 'error');
  if (code) assert.equal(body.issue[0].code, code);
  return body;
}

/** GET `path` with `query`; asserts 200 and returns the Bundle. */
export async function getBundle(fx: Fixture, path: string, query: Query): Promise<Bundle> {
  const res = await fx.client.request('GET', path, { query });
  assert.equal(res.status, 200, `GET ${path}?${new URLSearchParams(query)}: ${JSON.stringify(res.body)}`);
  return res.body as Bundle;
}

/** The ids of the entries with search.mode `mode` (default match), in order. */
export const idsOf = (b: Bundle, mode: 'match' | 'include' = 'match') => (b.entry ?? []).filter((e) => e.search?.mode === mode).map((e) => e.resource!.id!);

/** Follows `next` (or `previous`) links from `first` by passing each link's path and query back; returns every page. */
export async function walk(fx: Fixture, first: Bundle, relation: 'next' | 'previous', maxPages = 50): Promise<Bundle[]> {
  const pages = [first];
  for (let n = 0; n < maxPages; n++) {
    const link = pages[pages.length - 1].link?.find((l) => l.relation === relation);
    if (!link) return pages;
    const url = new URL(link.url);
    assert.ok(link.url.startsWith(`${BASE}/`), `link outside the base: ${link.url}`);
    pages.push(await getBundle(fx, url.pathname.slice(new URL(BASE).pathname.length + 1), [...url.searchParams]));
  }
  throw new Error(`more than ${maxPages} pages`);
}

/**
 * The data of one suite: every resource carries the suite's tag (so searches can be limited to it),
 * and resources are created in bulk through one transaction bundle each, referring to each other by
 * label with `ds.ref(label)` (a urn:uuid the transaction resolves).
 */
export class Dataset {
  readonly tag: Coding;
  private readonly urns = new Map<string, string>();
  private readonly made = new Map<string, Resource>();

  constructor(private readonly fx: Fixture, name: string) {
    this.tag = { system: 'http://hestia.test/conformance/suite', code: marker(`${name}-`) };
  }

  /** The `_tag` search value of this suite. */
  get tagQuery(): [string, string] {
    return ['_tag', `${this.tag.system}|${this.tag.code}`];
  }

  /** A reference to a labelled resource: its urn:uuid before creation, `Type/id` after. */
  ref(label: string): string {
    const r = this.made.get(label);
    if (r) return ref(r);
    let u = this.urns.get(label);
    if (!u) this.urns.set(label, (u = `urn:uuid:${randomUUID()}`));
    return u;
  }

  /**
   * Creates labelled resources in one transaction bundle; returns them as stored. On an adapter
   * without transactions they are created one by one, in order (a label may then only refer to
   * labels before it).
   */
  async create(resources: Record<string, Resource>): Promise<Record<string, Resource>> {
    const labels = Object.keys(resources);
    const tagged = labels.map((label) => {
      const r = resources[label];
      return { ...r, meta: { ...(r.meta ?? {}), tag: [...(r.meta?.tag ?? []), this.tag] } };
    });
    let stored: Resource[];
    if (this.fx.adapter.capabilities.transactions) {
      const entry = tagged.map((resource, i) => ({ fullUrl: this.ref(labels[i]), resource, request: { method: 'POST', url: resource.resourceType } }));
      const res = await this.fx.client.request('POST', '', { body: { resourceType: 'Bundle', type: 'transaction', entry } });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      stored = (res.body as Bundle).entry!.map((e) => {
        assert.equal(e.response?.status, '201 Created');
        return e.resource!;
      });
    } else {
      stored = [];
      for (const [i, r] of tagged.entries()) {
        stored.push(await this.fx.client.create(this.resolveRefs(r)));
        this.made.set(labels[i], stored[i]);
      }
    }
    const out: Record<string, Resource> = {};
    labels.forEach((label, i) => {
      this.made.set(label, stored[i]);
      out[label] = stored[i];
    });
    return out;
  }

  /** `r` with the urn:uuid references of created labels replaced by `Type/id`. */
  private resolveRefs(r: Resource): Resource {
    let json = JSON.stringify(r);
    for (const [label, urn] of this.urns) {
      const made = this.made.get(label);
      if (made) json = json.split(JSON.stringify(urn)).join(JSON.stringify(ref(made)));
    }
    assert.ok(!json.includes('urn:uuid:'), 'a reference to a label not created yet');
    return JSON.parse(json) as Resource;
  }

  /** The stored resource of a label. */
  get(label: string): Resource {
    const r = this.made.get(label);
    assert.ok(r, `no resource labelled '${label}'`);
    return r;
  }

  id(label: string): string {
    return this.get(label).id!;
  }

  /** The label of a stored id (or `?<id>` for a resource this dataset did not create). */
  label(id: string): string {
    for (const [label, r] of this.made) if (r.id === id) return label;
    return `?${id}`;
  }

  /** Searches `path` within this suite's tag (unless `scoped` is false); returns the matched labels in order. */
  async labels(path: string, query: Query, scoped = true): Promise<string[]> {
    const b = await getBundle(this.fx, path, scoped ? [...query, this.tagQuery] : query);
    return idsOf(b).map((id) => this.label(id));
  }
}

/** Labels sorted, for order-insensitive comparisons. */
export const sorted = (xs: string[]) => [...xs].sort();

/**
 * One test per row: `type?query` (with `{label}` replaced by that resource's id, and limited to the
 * dataset's tag) must match exactly the resources labelled `expected`, in any order.
 */
export function searchTable(ds: Dataset, type: string, rows: [query: string, expected: string[]][]): void {
  for (const [query, expected] of rows) {
    test(`${type}?${query}`, async () => {
      const resolved = query.replace(/\{(\w+)\}/g, (_m, label: string) => ds.id(label));
      assert.deepEqual(sorted(await ds.labels(type, q(resolved))), sorted(expected));
    });
  }
}
