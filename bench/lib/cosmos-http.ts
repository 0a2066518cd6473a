// The Cosmos scenario's operations over HTTP against Hestia on the Cosmos DB adapter, each with the
// request units it cost: every response must carry x-ms-request-charge (a positive number), and an
// operation's charge is the sum over its responses. Operations:
//   'load': patient record n (synthea.ts, 48 resources with fixed ids and local references) as one
//           batch Bundle of PUTs (Cosmos has no transaction bundles); every entry must be 201 at
//           Type/id/_history/1;
//   'create' | 'update' | 'read': crud-http.ts (POST, PUT with If-Match, GET of Patients);
//   any search of search-queries.ts: search-http.ts (results checked against the generator).
// Loaded in the load worker through `createDriver`; `takeReport()` gives the charges of the
// operations since the last call.
import { AsyncLocalStorage } from 'node:async_hooks';
import { HttpCrudDriver } from './crud-http.js';
import { check, type Driver, type DriverFactory, type Plan } from './driver.js';
import { HttpClient, type HttpResponse } from './http-client.js';
import { HttpSearchDriver } from './search-http.js';
import { record, storedResources, type Kind } from './synthea.js';

export const CHARGE_HEADER = 'x-ms-request-charge';

/** Request charges of a measured plan, per operation. */
export interface ChargeReport {
  ops: number;
  total: number;
  mean: number;
  min: number;
  max: number;
  /** How many operations cost each amount ("1": 600 …), for the few distinct amounts the emulator gives. */
  counts: Record<string, number>;
}

interface Meter { charge: number; responses: number }

const meters = new AsyncLocalStorage<Meter>();

/** An HttpClient that adds each response's x-ms-request-charge to the current operation's meter. */
class ChargingClient extends HttpClient {
  override async request(method: string, path: string, headers?: Record<string, string>, body?: string): Promise<HttpResponse> {
    const res = await super.request(method, path, headers, body);
    const raw = res.headers[CHARGE_HEADER];
    const charge = Number(raw);
    check(typeof raw === 'string' && Number.isFinite(charge) && charge > 0, () => `${method} ${path}: HTTP ${res.status} with ${CHARGE_HEADER} ${JSON.stringify(raw)} (expected a positive number)`);
    const m = meters.getStore();
    if (m) {
      m.charge += charge;
      m.responses++;
    }
    return res;
  }
}

const JSON_HEADERS = { 'Content-Type': 'application/fhir+json', Accept: 'application/fhir+json' };
const CRUD = new Set(['create', 'update', 'read']);

interface BatchResponse { resourceType?: string; type?: string; entry?: { response?: { status?: string; location?: string } }[] }

export class CosmosHttpDriver implements Driver {
  private readonly client: ChargingClient;
  private readonly crud: HttpCrudDriver;
  private readonly search: HttpSearchDriver;
  private readonly bundles = new Map<number, { body: string; expected: string[] }>();
  private charges: number[] = [];

  constructor(readonly label: string, baseUrl: string, patients: number) {
    this.client = new ChargingClient(baseUrl);
    this.crud = new HttpCrudDriver(label, baseUrl, this.client);
    this.search = new HttpSearchDriver(label, baseUrl, patients, this.client);
  }

  /** Patients created by the CRUD operations (the ledger updates and reads work through). */
  size(): number {
    return this.crud.size();
  }

  prepare(op: string, plan: Plan): void {
    if (CRUD.has(op)) return this.crud.prepare(op, plan);
    if (op !== 'load') return this.search.prepare(op);
    for (const n of plan.flat()) {
      const items = storedResources(record(n));
      const entry = items.map(({ kind, resource }) => ({ resource, request: { method: 'PUT', url: `${kind}/${resource.id as string}` } }));
      this.bundles.set(n, { body: JSON.stringify({ resourceType: 'Bundle', type: 'batch', entry }), expected: items.map((x) => `${x.kind as Kind}/${x.resource.id as string}`) });
    }
  }

  async run(op: string, key: number): Promise<void> {
    const meter: Meter = { charge: 0, responses: 0 };
    await meters.run(meter, () => (op === 'load' ? this.load(key) : CRUD.has(op) ? this.crud.run(op, key) : this.search.run(op, key)));
    check(meter.responses > 0, () => `${op} ${key}: no response was metered`);
    this.charges.push(meter.charge);
  }

  private async load(n: number): Promise<void> {
    const b = this.bundles.get(n);
    if (!b) throw new Error(`load ${n} was not prepared`);
    this.bundles.delete(n);
    const res = await this.client.request('POST', '/', JSON_HEADERS, b.body);
    check(res.status === 200, () => `batch of record ${n}: HTTP ${res.status}: ${res.body.slice(0, 400)}`);
    const out = JSON.parse(res.body) as BatchResponse;
    check(out.resourceType === 'Bundle' && out.type === 'batch-response', () => `batch of record ${n}: a ${out.resourceType} ${out.type}`);
    const entries = out.entry ?? [];
    check(entries.length === b.expected.length, () => `batch of record ${n}: ${entries.length} response entries for ${b.expected.length}`);
    entries.forEach((e, i) => {
      const loc = e.response?.location ?? '';
      check(e.response?.status?.startsWith('201') && loc.endsWith(`${b.expected[i]}/_history/1`), () => `batch of record ${n} entry ${i}: ${e.response?.status} ${loc}, expected 201 ${b.expected[i]}/_history/1`);
    });
  }

  takeReport(): ChargeReport {
    const c = this.charges;
    this.charges = [];
    const counts: Record<string, number> = {};
    for (const x of c) counts[String(x)] = (counts[String(x)] ?? 0) + 1;
    const total = c.reduce((a, b) => a + b, 0);
    return { ops: c.length, total, mean: c.length ? total / c.length : NaN, min: Math.min(...c), max: Math.max(...c), counts };
  }

  async close(): Promise<void> {
    this.client.close();
  }
}

export const createDriver: DriverFactory = (o) => new CosmosHttpDriver(String(o.label ?? 'http'), String(o.url), Number(o.patients));
