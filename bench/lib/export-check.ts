// Checks of exported NDJSON against the generated cohort: every line parses, has the file's type, a
// cohort id of that type, version 1, and appears once; every resource of the cohort is there; one
// line in `sampleEvery` is compared element by element (meta aside) with the generator's resource.
// Per type, an order-independent digest of the lines (XOR of their SHA-1s; with "each id once" this
// pins the multiset of lines) lets two exports of the same data be compared byte for byte.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import type { Cohort } from './search-queries.js';
import { storedResources, type Kind } from './synthea.js';

export class ExportExpectation {
  /** Every id of the cohort: its type and patient number. */
  readonly byId = new Map<string, { type: Kind; n: number }>();
  readonly counts = new Map<string, number>();
  readonly total: number;

  constructor(readonly cohort: Cohort) {
    const add = (type: Kind, id: string, n: number) => {
      this.byId.set(id, { type, n });
      this.counts.set(type, (this.counts.get(type) ?? 0) + 1);
    };
    for (const rec of cohort.patients) {
      add('Patient', rec.id, rec.n);
      for (const e of rec.encounters) add('Encounter', e.id, rec.n);
      for (const c of rec.conditions) add('Condition', c.id, rec.n);
      for (const o of rec.observations) add('Observation', o.id, rec.n);
    }
    this.total = this.byId.size;
    assert.equal(this.total, cohort.resources);
  }
}

export interface CheckSummary {
  counts: Map<string, number>;
  /** Per type: hex of the XOR of the lines' SHA-1s. */
  digests: Map<string, string>;
  bytes: number;
  sampled: number;
}

const withoutMeta = (r: Record<string, unknown>) => {
  const { meta: _meta, ...rest } = r;
  return rest;
};

export class NdjsonChecker {
  private readonly seen = new Set<string>();
  private readonly counts = new Map<string, number>();
  private readonly digests = new Map<string, Buffer>();
  private bytes = 0;
  private lines = 0;
  private sampled = 0;

  constructor(private readonly expect: ExportExpectation, private readonly what: string, private readonly sampleEvery = 50) {}

  /** Reads one file of `type` (chunks of NDJSON); `count` is what the manifest says it holds. */
  async file(type: string, name: string, chunks: AsyncIterable<Buffer | Uint8Array | string>, count?: number): Promise<void> {
    const decoder = new StringDecoder('utf8');
    let rest = '', n = 0;
    const digest = this.digests.get(type) ?? Buffer.alloc(20);
    this.digests.set(type, digest);
    const line = (text: string) => {
      const where = `${this.what}: ${name} line ${n + 1}`;
      let r: Record<string, unknown> & { meta?: { versionId?: string; lastUpdated?: string } };
      try {
        r = JSON.parse(text) as typeof r;
      } catch (e) {
        throw new Error(`${where} is not JSON: ${(e as Error).message}: ${text.slice(0, 200)}`);
      }
      const id = String(r.id);
      const known = this.expect.byId.get(id);
      if (r.resourceType !== type || !known || known.type !== type) throw new Error(`${where}: ${String(r.resourceType)}/${id} is not a ${type} of the cohort`);
      if (this.seen.has(id)) throw new Error(`${where}: ${type}/${id} exported twice`);
      this.seen.add(id);
      if (r.meta?.versionId !== '1' || !r.meta.lastUpdated) throw new Error(`${where}: ${type}/${id} has meta ${JSON.stringify(r.meta)}`);
      if (this.lines % this.sampleEvery === 0) {
        const generated = storedResources(this.expect.cohort.patients[known.n - 1]).find((x) => x.resource.id === id)!.resource;
        assert.deepStrictEqual(withoutMeta(r), withoutMeta(generated), `${where}: ${type}/${id} differs from the generated resource`);
        this.sampled++;
      }
      const h = createHash('sha1').update(text).digest();
      for (let i = 0; i < 20; i++) digest[i] ^= h[i];
      this.counts.set(type, (this.counts.get(type) ?? 0) + 1);
      this.lines++;
      n++;
    };
    for await (const chunk of chunks) {
      const s = typeof chunk === 'string' ? chunk : decoder.write(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
      this.bytes += Buffer.byteLength(s);
      const text = rest + s;
      let start = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
        line(text.slice(start, nl));
        start = nl + 1;
      }
      rest = text.slice(start);
    }
    rest += decoder.end();
    if (rest !== '') throw new Error(`${this.what}: ${name} does not end with a newline (${rest.length} characters after the last one)`);
    if (count !== undefined && n !== count) throw new Error(`${this.what}: ${name} holds ${n} resources, its manifest entry says ${count}`);
  }

  /** Checks that every resource of the cohort was there; returns the counts and digests. */
  finish(): CheckSummary {
    for (const [type, want] of this.expect.counts) {
      const got = this.counts.get(type) ?? 0;
      if (got !== want) throw new Error(`${this.what}: ${got} ${type} resources, the cohort has ${want}`);
    }
    for (const type of this.counts.keys()) if (!this.expect.counts.has(type)) throw new Error(`${this.what}: unexpected type ${type}`);
    return { counts: this.counts, digests: new Map([...this.digests].map(([t, d]) => [t, d.toString('hex')])), bytes: this.bytes, sampled: this.sampled };
  }
}

/** Throws unless two checked exports hold the same lines, type by type. */
export function assertSameLines(a: CheckSummary, aName: string, b: CheckSummary, bName: string): void {
  const types = [...new Set([...a.digests.keys(), ...b.digests.keys()])].sort();
  for (const t of types) {
    if (a.digests.get(t) !== b.digests.get(t)) throw new Error(`${aName} and ${bName} differ in their ${t} lines (digests ${a.digests.get(t)} and ${b.digests.get(t)})`);
  }
}
