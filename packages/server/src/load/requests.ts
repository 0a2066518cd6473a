// What a file becomes on the wire: a batch/transaction bundle is POSTed to the base (large batches
// split into several, since their entries are independent), a single resource is PUT when it has
// an id and POSTed otherwise, and NDJSON lines travel in batch bundles.
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Bundle, BundleEntry, Resource } from '@hestia/core';
import type { LoadFile } from './files.js';

export interface LoadRequest {
  kind: 'request';
  method: 'POST' | 'PUT';
  /** Relative to the FHIR base; '' for a bundle. */
  path: string;
  body: Resource;
  /** Which part of the file this is, for failure reports ("entries 500-999", "lines 1-500"). */
  where: string;
  /** Where each entry of a batch came from (entry index or line number), for failure reports. */
  origins?: string[];
  resources: number;
  /** The share of the file's bytes this request stands for (progress and ETA). */
  bytes: number;
}

/** Something in the file that cannot be sent (bad JSON, a line that is not a resource). */
export interface LoadProblem { kind: 'problem'; where: string; diagnostics: string; bytes: number }

export type LoadItem = LoadRequest | LoadProblem;

const isResource = (v: unknown): v is Resource => !!v && typeof v === 'object' && !Array.isArray(v) && typeof (v as Resource).resourceType === 'string';

function single(r: Resource, where: string, bytes: number): LoadRequest {
  const put = typeof r.id === 'string' && r.id !== '';
  return { kind: 'request', method: put ? 'PUT' : 'POST', path: put ? `${r.resourceType}/${encodeURIComponent(r.id!)}` : r.resourceType, body: r, where, resources: 1, bytes };
}

/** Resources as one batch bundle: PUT for those with an id, POST for the rest. */
function batchOf(resources: Resource[], origins: string[], where: string, bytes: number): LoadRequest {
  const entry = resources.map((r) => single(r, '', 0)).map((q): BundleEntry => ({ resource: q.body, request: { method: q.method, url: q.path } }));
  return { kind: 'request', method: 'POST', path: '', body: { resourceType: 'Bundle', type: 'batch', entry } as Bundle, where, origins, resources: resources.length, bytes };
}

/** The requests (and problems) of one file, in order. */
export async function* fileItems(file: LoadFile, batchSize: number): AsyncGenerator<LoadItem> {
  if (file.kind === 'ndjson') {
    yield* ndjsonItems(file, batchSize);
    return;
  }
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file.path, 'utf8'));
  } catch (e) {
    yield { kind: 'problem', where: 'file', diagnostics: `Not valid JSON: ${(e as Error).message}`, bytes: file.size };
    return;
  }
  if (!isResource(json)) {
    yield { kind: 'problem', where: 'file', diagnostics: 'Not a FHIR resource (no resourceType).', bytes: file.size };
    return;
  }
  const bundle = json as Bundle;
  if (bundle.resourceType === 'Bundle' && bundle.type === 'transaction') {
    yield { kind: 'request', method: 'POST', path: '', body: bundle, where: 'transaction', resources: bundle.entry?.length ?? 0, bytes: file.size };
  } else if (bundle.resourceType === 'Bundle' && bundle.type === 'batch') {
    const entries = bundle.entry ?? [];
    for (let i = 0; i < Math.max(entries.length, 1); i += batchSize) {
      const part = entries.slice(i, i + batchSize);
      const where = entries.length > batchSize ? `batch entries ${i}-${i + part.length - 1}` : 'batch';
      const share = entries.length ? Math.round((file.size * part.length) / entries.length) : file.size;
      yield { kind: 'request', method: 'POST', path: '', body: { ...bundle, entry: part }, where, origins: part.map((_, k) => `entry ${i + k}`), resources: part.length, bytes: share };
    }
  } else {
    yield single(bundle, 'resource', file.size);
  }
}

async function* ndjsonItems(file: LoadFile, batchSize: number): AsyncGenerator<LoadItem> {
  const lines = createInterface({ input: createReadStream(file.path, 'utf8'), crlfDelay: Infinity });
  let resources: Resource[] = [], origins: string[] = [], bytes = 0, first = 0, n = 0;
  const flush = (): LoadRequest => {
    const req = batchOf(resources, origins, `lines ${first}-${n}`, bytes);
    resources = [];
    origins = [];
    bytes = 0;
    return req;
  };
  for await (const line of lines) {
    n++;
    const size = Buffer.byteLength(line) + 1;
    if (!line.trim()) {
      bytes += size;
      continue;
    }
    let r: unknown;
    try {
      r = JSON.parse(line);
    } catch (e) {
      r = e as Error;
    }
    if (!isResource(r)) {
      yield { kind: 'problem', where: `line ${n}`, diagnostics: r instanceof Error ? `Not valid JSON: ${r.message}` : 'Not a FHIR resource (no resourceType).', bytes: size };
      continue;
    }
    if (!resources.length) first = n;
    resources.push(r);
    origins.push(`line ${n}`);
    bytes += size;
    if (resources.length >= batchSize) yield flush();
  }
  if (resources.length) yield flush();
}
