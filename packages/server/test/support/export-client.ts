// A bulk data client for tests: kick-off, polling, manifest, downloads, and the server's own view of
// the same data (every resource of a type, read by search) to compare an export with.
import assert from 'node:assert/strict';
import type { Resource } from '@hestia/core';

export const ASYNC = { accept: 'application/fhir+json', prefer: 'respond-async' };

export interface Manifest {
  transactionTime: string;
  request: string;
  requiresAccessToken: boolean;
  output: { type: string; url: string; count: number }[];
  error: unknown[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Kicks off an export at `path` (e.g. `$export?_type=Patient`); returns the status URL. */
export async function kickoff(base: string, path: string, headers: Record<string, string> = {}, init: RequestInit = {}): Promise<string> {
  const res = await fetch(`${base}/${path}`, { ...init, headers: { ...ASYNC, ...headers, ...(init.headers as Record<string, string> | undefined) } });
  const text = await res.text();
  assert.equal(res.status, 202, `kick-off ${path}: ${res.status} ${text}`);
  const location = res.headers.get('content-location');
  assert.match(location ?? '', /\/_operations\/export\/[0-9a-f-]{36}$/);
  return location!;
}

/** Polls until the job is done; returns the manifest (fails the test on any status other than 202/200). */
export async function waitForManifest(statusUrl: string, headers: Record<string, string> = {}, timeoutMs = 120_000): Promise<Manifest> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(statusUrl, { headers });
    if (res.status === 200) {
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      return (await res.json()) as Manifest;
    }
    if (res.status !== 202) assert.fail(`status: ${res.status} ${await res.text()}`);
    assert.ok(res.headers.get('x-progress'));
    assert.match(res.headers.get('retry-after') ?? '', /^\d+$/);
    await res.arrayBuffer();
    if (Date.now() > end) throw new Error(`export at ${statusUrl} did not finish in ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** Downloads every output file; checks each file's count and returns the resources by type, files in order. */
export async function download(manifest: Manifest, headers: Record<string, string> = {}): Promise<Map<string, Resource[]>> {
  const byType = new Map<string, Resource[]>();
  for (const o of manifest.output) {
    const res = await fetch(o.url, { headers });
    assert.equal(res.status, 200, `download ${o.url}`);
    assert.match(res.headers.get('content-type') ?? '', /^application\/fhir\+ndjson/);
    const text = await res.text();
    assert.ok(text.endsWith('\n'));
    const lines = text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Resource);
    assert.equal(lines.length, o.count, `count of ${o.url}`);
    for (const r of lines) assert.equal(r.resourceType, o.type);
    byType.set(o.type, [...(byType.get(o.type) ?? []), ...lines]);
  }
  return byType;
}

/** Every current resource of `type` as the server returns it by search. */
export async function allOfType(base: string, type: string, query = '', headers: Record<string, string> = {}): Promise<Resource[]> {
  const out: Resource[] = [];
  let url: string | undefined = `${base}/${type}?_count=500${query ? `&${query}` : ''}`;
  while (url) {
    const res = await fetch(url, { headers });
    assert.equal(res.status, 200);
    const bundle = (await res.json()) as { entry?: { resource: Resource; search?: { mode?: string } }[]; link?: { relation: string; url: string }[] };
    out.push(...(bundle.entry ?? []).filter((e) => e.search?.mode === 'match').map((e) => e.resource));
    url = bundle.link?.find((l) => l.relation === 'next')?.url;
  }
  return out;
}

const byId = (a: Resource, b: Resource) => (a.id! < b.id! ? -1 : a.id! > b.id! ? 1 : 0);

/** Asserts that the export holds exactly `expected` (by type: the same resources, content and all, each once). */
export function assertSameResources(exported: Map<string, Resource[]>, expected: Map<string, Resource[]>): void {
  const types = (m: Map<string, Resource[]>) => [...m].filter(([, rs]) => rs.length).map(([t]) => t).sort();
  assert.deepEqual(types(exported), types(expected));
  for (const [type, rs] of expected) {
    if (!rs.length) continue;
    const got = [...exported.get(type)!].sort(byId);
    assert.equal(new Set(got.map((r) => r.id)).size, got.length, `${type}: no duplicates`);
    assert.deepEqual(got, [...rs].sort(byId), `${type}: same resources`);
  }
}
