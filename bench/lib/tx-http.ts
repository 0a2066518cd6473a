// Transaction ingest over HTTP: an operation is one patient record (synthea.ts, 48 resources),
//   'transaction': POSTed as one transaction Bundle (urn:uuid fullUrls and references) to the base URL;
//   'single': POSTed resource by resource (Patient, Encounters, then Conditions and Observations,
//             each referencing the ids the server gave the earlier ones), for comparison.
// Every response is checked: statuses, locations, and every reference rewritten to the new ids.
// Loaded in the load worker through `createDriver`.
import { check, type Driver, type DriverFactory, type Plan } from './driver.js';
import { HttpClient, type HttpResponse } from './http-client.js';
import { record, recordResources, transactionBundle, type Kind } from './synthea.js';

const JSON_HEADERS = { 'Content-Type': 'application/fhir+json', Accept: 'application/fhir+json' };

interface Ref { reference?: string }
interface Body { resourceType?: string; id?: string; meta?: { versionId?: string }; subject?: Ref; encounter?: Ref; type?: string; entry?: ResponseEntry[] }
interface ResponseEntry { resource?: Body; response?: { status?: string; location?: string } }
interface Prepared { bundle?: string; entries?: { kind: Kind; k: number }[]; singles?: { kind: Kind; k: number; body: string }[] }

const placeholder = (kind: Kind, k: number) => `@@${kind}:${k}@@`;
const LOCATION = /(?:^|\/)([A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})\/_history\/1$/;

export class HttpTransactionDriver implements Driver {
  private readonly client: HttpClient;
  private readonly prepared = new Map<string, Prepared>();
  private written = 0;

  constructor(readonly label: string, baseUrl: string) {
    this.client = new HttpClient(baseUrl);
  }

  size(): number {
    return this.written;
  }

  prepare(op: string, plan: Plan): void {
    for (const n of plan.flat()) {
      if (op === 'transaction') {
        const { bundle, entries } = transactionBundle(n);
        this.prepared.set(`${op}:${n}`, { bundle: JSON.stringify(bundle), entries });
      } else {
        const rec = record(n, 'hestia-bench-single');
        const singles = recordResources(rec, placeholder).map((x) => ({ kind: x.kind, k: x.k, body: JSON.stringify(x.resource) }));
        this.prepared.set(`${op}:${n}`, { singles });
      }
    }
  }

  run(op: string, key: number): Promise<void> {
    const p = this.prepared.get(`${op}:${key}`);
    if (!p) throw new Error(`${op} ${key} was not prepared`);
    this.prepared.delete(`${op}:${key}`);
    return op === 'transaction' ? this.transaction(key, p) : this.singles(key, p);
  }

  private async transaction(n: number, p: Prepared): Promise<void> {
    const res = await this.client.request('POST', '/', JSON_HEADERS, p.bundle);
    const b = parse(res, 200, `transaction of record ${n}`);
    check(b.resourceType === 'Bundle' && b.type === 'transaction-response', () => `transaction ${n}: a ${b.resourceType} ${b.type}`);
    const entries = b.entry ?? [];
    check(entries.length === p.entries!.length, () => `transaction ${n}: ${entries.length} response entries for ${p.entries!.length}`);
    const ids = new Map<string, string>();
    entries.forEach((e, i) => {
      const want = p.entries![i];
      const m = LOCATION.exec(e.response?.location ?? '');
      check(e.response?.status?.startsWith('201') && m && m[1] === want.kind, () => `transaction ${n} entry ${i}: ${e.response?.status} ${e.response?.location}, expected 201 ${want.kind}`);
      check(e.resource?.id === m![2] && e.resource.meta?.versionId === '1', () => `transaction ${n} entry ${i}: body ${e.resource?.id} v${e.resource?.meta?.versionId}, location ${m![2]}`);
      ids.set(placeholder(want.kind, want.k), `${want.kind}/${m![2]}`);
    });
    entries.forEach((e, i) => checkRefs(`transaction ${n} entry ${i}`, e.resource!, p.entries![i].kind, ids, recordEncounter(n, 'hestia-bench-tx', p.entries![i])));
    this.written += entries.length;
  }

  private async singles(n: number, p: Prepared): Promise<void> {
    const ids = new Map<string, string>();
    for (const s of p.singles!) {
      const body = s.body.replace(/@@[A-Za-z]+:\d+@@/g, (ph) => ids.get(ph) ?? ph);
      const res = await this.client.request('POST', `/${s.kind}`, JSON_HEADERS, body);
      const b = parse(res, 201, `create of ${s.kind} ${s.k} of record ${n}`);
      const m = LOCATION.exec(res.headers.location ?? '');
      check(m && m[1] === s.kind && m[2] === b.id, () => `create ${s.kind} of record ${n}: Location ${res.headers.location}, body id ${b.id}`);
      ids.set(placeholder(s.kind, s.k), `${s.kind}/${b.id}`);
      checkRefs(`create ${s.kind} ${s.k} of record ${n}`, b, s.kind, ids, recordEncounter(n, 'hestia-bench-single', s));
      this.written++;
    }
  }

  async close(): Promise<void> {
    this.client.close();
  }
}

/** The encounter (k) a Condition or Observation of the record references. */
const encounterCache = new Map<string, number[][]>();
function recordEncounter(n: number, ns: string, x: { kind: Kind; k: number }): number | undefined {
  if (x.kind !== 'Condition' && x.kind !== 'Observation') return undefined;
  const key = `${ns}/${n}`;
  let e = encounterCache.get(key);
  if (!e) {
    const rec = record(n, ns);
    e = [rec.conditions.map((c) => c.encounter), rec.observations.map((o) => o.encounter)];
    encounterCache.set(key, e);
    if (encounterCache.size > 1000) encounterCache.delete(encounterCache.keys().next().value!);
  }
  return e[x.kind === 'Condition' ? 0 : 1][x.k];
}

function checkRefs(what: string, b: Body, kind: Kind, ids: Map<string, string>, encounter: number | undefined): void {
  if (kind === 'Patient') return;
  const patient = ids.get(placeholder('Patient', 0));
  check(b.subject?.reference === patient, () => `${what}: subject ${b.subject?.reference}, expected ${patient}`);
  if (encounter !== undefined) {
    const enc = ids.get(placeholder('Encounter', encounter));
    check(b.encounter?.reference === enc, () => `${what}: encounter ${b.encounter?.reference}, expected ${enc}`);
  }
}

function parse(res: HttpResponse, status: number, what: string): Body {
  check(res.status === status, () => `${what}: HTTP ${res.status} (expected ${status}): ${res.body.slice(0, 400)}`);
  return JSON.parse(res.body) as Body;
}

export const createDriver: DriverFactory = (o) => new HttpTransactionDriver(String(o.label ?? 'http'), String(o.url));
