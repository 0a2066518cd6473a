// Searches over HTTP against a running Hestia loaded with the search cohort. An operation is one
// search (key = instance number, rotated), or for walks one whole walk by `next` links. Every
// response is checked against the results computed from the generator (search-queries.ts).
// Loaded in the load worker through `createDriver`.
import { check, type Driver, type DriverFactory } from './driver.js';
import { HttpClient, type HttpResponse } from './http-client.js';
import { checkPage, checkWalk, cohortOf, type Cohort, instances, isWalk, queryString, type Instance, type SearchOp } from './search-queries.js';

interface Entry { resource?: { resourceType?: string; id?: string }; search?: { mode?: string } }
interface SearchBundle { resourceType?: string; type?: string; entry?: Entry[]; link?: { relation: string; url: string }[] }

export class HttpSearchDriver implements Driver {
  private readonly client: HttpClient;
  private readonly cohort: Cohort;
  private readonly cache = new Map<string, Instance[]>();

  /** `client`: another client (e.g. one that also reads response headers); a plain one by default. */
  constructor(readonly label: string, baseUrl: string, patients: number, client?: HttpClient) {
    this.client = client ?? new HttpClient(baseUrl);
    this.cohort = cohortOf(patients);
  }

  private instance(op: string, key: number): Instance {
    let list = this.cache.get(op);
    if (!list) this.cache.set(op, (list = instances(this.cohort, op as SearchOp)));
    return list[key % list.length];
  }

  prepare(op: string): void {
    this.instance(op, 0);
  }

  async run(op: string, key: number): Promise<void> {
    const inst = this.instance(op, key);
    const first = `/${inst.type}${queryString(inst.params)}`;
    if (!isWalk(op)) {
      const b = await this.get(first, inst);
      const { matched, included } = split(b);
      checkPage(inst, this.label, matched, included, !!nextLink(b));
      return;
    }
    const walked: string[] = [];
    let pages = 0;
    let path: string | undefined = first;
    while (path) {
      const b = await this.get(path, inst);
      pages++;
      const { matched, included } = split(b);
      check(included.length === 0, () => `walk: ${included.length} included resources`);
      check(matched.length === Math.min(inst.count, inst.matches.length - walked.length), () => `walk page ${pages}: ${matched.length} matches after ${walked.length} of ${inst.matches.length}`);
      walked.push(...matched);
      const next = nextLink(b);
      path = next ? pathOf(next) : undefined;
      check(pages <= inst.matches.length / inst.count + 2, () => `walk: more pages than results`);
    }
    checkWalk(inst, this.label, walked, pages);
  }

  private async get(path: string, inst: Instance): Promise<SearchBundle> {
    const res: HttpResponse = await this.client.request('GET', path, { Accept: 'application/fhir+json' });
    check(res.status === 200, () => `GET ${path}: HTTP ${res.status}: ${res.body.slice(0, 300)}`);
    const b = JSON.parse(res.body) as SearchBundle;
    check(b.resourceType === 'Bundle' && b.type === 'searchset', () => `GET ${path}: a ${b.resourceType} ${b.type}`);
    for (const e of b.entry ?? []) {
      if (e.search?.mode === 'match') check(e.resource?.resourceType === inst.type, () => `GET ${path}: a matched ${e.resource?.resourceType}`);
    }
    return b;
  }

  async close(): Promise<void> {
    this.client.close();
  }
}

function split(b: SearchBundle): { matched: string[]; included: string[] } {
  const matched: string[] = [], included: string[] = [];
  for (const e of b.entry ?? []) {
    const mode = e.search?.mode;
    check(mode === 'match' || mode === 'include', () => `search entry with mode ${mode}: ${JSON.stringify(e.resource).slice(0, 300)}`);
    if (mode === 'match') matched.push(e.resource!.id!);
    else included.push(`${e.resource!.resourceType}/${e.resource!.id}`);
  }
  return { matched, included };
}

const nextLink = (b: SearchBundle) => b.link?.find((l) => l.relation === 'next')?.url;
const pathOf = (url: string) => {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
};

export const createDriver: DriverFactory = (o) => new HttpSearchDriver(String(o.label ?? 'http'), String(o.url), Number(o.patients));
