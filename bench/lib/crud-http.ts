// CRUD over HTTP against a running Hestia: POST /Patient, PUT /Patient/{id} with If-Match, GET
// /Patient/{id}. Every response is checked; a wrong one throws a CheckError. Loaded in the load
// worker (load-worker.ts) through `createDriver`.
import { check, type Driver, type DriverFactory, type Plan } from './driver.js';
import { expectedName, nameKey, patient } from './data.js';
import { HttpClient, type HttpResponse } from './http-client.js';
import { Ledger, updateKey } from './ledger.js';

const JSON_HEADERS = { 'Content-Type': 'application/fhir+json', Accept: 'application/fhir+json' };

interface Body { resourceType?: string; id?: string; meta?: { versionId?: string }; name?: unknown }

export class HttpCrudDriver implements Driver {
  private readonly client: HttpClient;
  private readonly ledger = new Ledger();
  private readonly createBodies = new Map<number, string>();
  private readonly updateBodies = new Map<string, string>();

  /** `client`: another client (e.g. one that also reads response headers); a plain one by default. */
  constructor(readonly label: string, baseUrl: string, client?: HttpClient) {
    this.client = client ?? new HttpClient(baseUrl);
  }

  size(): number {
    return this.ledger.size;
  }

  prepare(op: string, plan: Plan): void {
    if (op === 'create') {
      for (const n of plan.flat()) this.createBodies.set(n, JSON.stringify(patient(n, 1)));
    } else if (op === 'update') {
      for (const { pos, w, version } of this.ledger.plannedUpdates(plan)) {
        this.updateBodies.set(updateKey(pos, version), JSON.stringify({ ...patient(w.n, version), id: w.id }));
      }
    }
  }

  run(op: string, key: number): Promise<void> {
    switch (op) {
      case 'create': return this.create(key);
      case 'update': return this.update(key);
      case 'read': return this.read(key);
      default: throw new Error(`Unknown CRUD operation ${op}`);
    }
  }

  private async create(n: number): Promise<void> {
    const body = this.createBodies.get(n) ?? JSON.stringify(patient(n, 1));
    this.createBodies.delete(n);
    const res = await this.client.request('POST', '/Patient', JSON_HEADERS, body);
    const b = parse(res, 201, `create of patient ${n}`);
    check(typeof b.id === 'string' && b.id.length > 0, () => `create: no id in the response body`);
    check(res.headers.etag === 'W/"1"', () => `create ${b.id}: ETag ${res.headers.etag}, expected W/"1"`);
    check(res.headers.location?.endsWith(`/Patient/${b.id}/_history/1`), () => `create ${b.id}: Location ${res.headers.location}`);
    check(b.meta?.versionId === '1', () => `create ${b.id}: meta.versionId ${b.meta?.versionId}`);
    check(nameKey(b.name) === expectedName(n, 1), () => `create ${b.id}: name ${nameKey(b.name)}, sent ${expectedName(n, 1)}`);
    this.ledger.add({ n, id: b.id, version: 1, etag: res.headers.etag });
  }

  private async update(pos: number): Promise<void> {
    const w = this.ledger.at(pos);
    const version = w.version + 1;
    const body = this.updateBodies.get(updateKey(pos, version)) ?? JSON.stringify({ ...patient(w.n, version), id: w.id });
    this.updateBodies.delete(updateKey(pos, version));
    const res = await this.client.request('PUT', `/Patient/${w.id}`, { ...JSON_HEADERS, 'If-Match': w.etag ?? `W/"${w.version}"` }, body);
    const b = parse(res, 200, `update of ${w.id} to version ${version}`);
    check(res.headers.etag === `W/"${version}"`, () => `update ${w.id}: ETag ${res.headers.etag}, expected W/"${version}"`);
    check(b.id === w.id && b.meta?.versionId === String(version), () => `update ${w.id}: body is ${b.id} version ${b.meta?.versionId}`);
    w.version = version;
    w.etag = res.headers.etag;
  }

  private async read(pos: number): Promise<void> {
    const w = this.ledger.at(pos);
    const res = await this.client.request('GET', `/Patient/${w.id}`, { Accept: 'application/fhir+json' });
    const b = parse(res, 200, `read of ${w.id}`);
    check(res.headers.etag === `W/"${w.version}"`, () => `read ${w.id}: ETag ${res.headers.etag}, expected W/"${w.version}"`);
    check(b.id === w.id && b.meta?.versionId === String(w.version), () => `read ${w.id}: body is ${b.id} version ${b.meta?.versionId}`);
    check(nameKey(b.name) === expectedName(w.n, w.version), () => `read ${w.id}: name ${nameKey(b.name)}, expected ${expectedName(w.n, w.version)}`);
  }

  async close(): Promise<void> {
    this.client.close();
  }
}

function parse(res: HttpResponse, status: number, what: string): Body {
  check(res.status === status, () => `${what}: HTTP ${res.status} (expected ${status}): ${res.body.slice(0, 300)}`);
  check(/^application\/fhir\+json/.test(String(res.headers['content-type'])), () => `${what}: Content-Type ${res.headers['content-type']}`);
  let b: Body;
  try {
    b = JSON.parse(res.body) as Body;
  } catch {
    throw new Error(`${what}: the body is not JSON: ${res.body.slice(0, 200)}`);
  }
  check(b.resourceType === 'Patient', () => `${what}: body is a ${b.resourceType}`);
  return b;
}

export const createDriver: DriverFactory = (o) => new HttpCrudDriver(String(o.label ?? 'http'), String(o.url));
