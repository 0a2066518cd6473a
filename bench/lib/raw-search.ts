// The raw baseline of the search scenario: for each search, the SQL one would write by hand over the
// same tables (resource, search_index) of the same database, sent straight through pg (pool of 8).
// Two variants: unnamed statements, each planned with its values (the baseline the floors are
// measured against), and named prepared statements, one per search, which PostgreSQL may plan once
// (Hestia prepares the searches whose plan does not depend on their values: sql-common planStable).
// Same page sizes, same order (rid, or the date then rid), same content column returned, and the
// same checks (search-queries.ts) as the HTTP side. Run in the load worker, like the HTTP client.
import pg from 'pg';
import { check, type Driver, type DriverFactory } from './driver.js';
import { LOINC } from './synthea.js';
import { checkPage, checkWalk, cohortOf, type Cohort, instances, isWalk, type Instance, type SearchOp } from './search-queries.js';

type Row = { mode?: string; pos?: string; rid: string; id: string; content: unknown; k?: string };

/** Observations with a LOINC code: the rids, from the token index. */
const OBS_WITH_CODE = `select c.rid from search_index c where c.resource_type = 'Observation' and c.code = 'code' and c.tok_code = $1 and c.tok_system = '${LOINC}'`;
const PATIENTS_BY_FAMILY = `select f.rid from search_index f where f.resource_type = 'Patient' and f.code = 'family' and f.str_norm like $1`;

/** The hand-written SQL of each search, and its values (one instance). */
export function rawQuery(inst: Instance, after?: { rid: string; k?: string }): { text: string; values: unknown[] } {
  const v = inst.raw;
  const limit = inst.count + 1;
  switch (inst.op) {
    case 'family':
      return { text: `select r.rid, r.id, r.content from resource r where r.rid in (${PATIENTS_BY_FAMILY}) and not r.deleted order by r.rid limit $2`, values: [v.pattern, limit] };
    case 'birthdate':
      return {
        text: `select r.rid, r.id, r.content from resource r where r.rid in (select b.rid from search_index b where b.resource_type = 'Patient' and b.code = 'birthdate' and b.lo >= $1 and b.lo < $2)
          and not r.deleted order by r.rid limit $3`,
        values: [v.lo, v.hi, limit],
      };
    case 'subject-code':
      return {
        text: `select r.rid, r.id, r.content from resource r where r.rid in (
            select s.rid from search_index s join search_index c on c.rid = s.rid and c.code = 'code'
            where s.resource_type = 'Observation' and s.code = 'subject' and s.ref_id = $1 and s.ref_type = 'Patient' and c.tok_code = $2 and c.tok_system = '${LOINC}')
          and not r.deleted order by r.rid limit $3`,
        values: [v.patient, v.code, limit],
      };
    case 'code-date':
      return {
        text: `select r.rid, r.id, r.content from resource r where r.rid in (
            select d.rid from search_index d join search_index c on c.rid = d.rid and c.code = 'code'
            where d.resource_type = 'Observation' and d.code = 'date' and d.lo >= $2 and d.lo < $3 and c.tok_code = $1 and c.tok_system = '${LOINC}')
          and not r.deleted order by r.rid limit $4`,
        values: [v.code, v.lo, v.hi, limit],
      };
    case 'chain':
      return {
        text: `select r.rid, r.id, r.content from resource r where r.rid in (
            select s.rid from search_index s where s.resource_type = 'Observation' and s.code = 'subject' and s.ref_type = 'Patient'
              and s.ref_id in (select p.id from resource p where p.rid in (${PATIENTS_BY_FAMILY}) and not p.deleted))
          and not r.deleted order by r.rid limit $2`,
        values: [v.pattern, limit],
      };
    case 'include':
      return {
        text: `with m as (select r.rid, r.id, r.content from resource r where r.rid in (${OBS_WITH_CODE}) and not r.deleted order by r.rid limit $2),
            page as (select rid from m order by rid limit $3)
          select 'match' as mode, rid, id, content from m
          union all
          select 'include', p.rid, p.id, p.content from resource p
          where p.resource_type = 'Patient' and not p.deleted
            and p.id in (select s.ref_id from search_index s where s.rid in (select rid from page) and s.code = 'subject' and s.ref_type = 'Patient')`,
        values: [v.code, limit, inst.count],
      };
    case 'revinclude':
      return {
        text: `with m as (select r.rid, r.id, r.content from resource r where r.rid in (${PATIENTS_BY_FAMILY}) and not r.deleted order by r.rid limit $2),
            page as (select id from m order by rid limit $3)
          select 'match' as mode, rid, id, content from m
          union all
          select 'include', o.rid, o.id, o.content from resource o
          where o.rid in (select s.rid from search_index s where s.resource_type = 'Observation' and s.code = 'subject' and s.ref_type = 'Patient' and s.ref_id in (select id from page))
            and not o.deleted`,
        values: [v.pattern, limit, inst.count],
      };
    case 'sort':
      // Every Observation here has one second-precision dateTime, so its date index row's lo orders
      // like the max(hi) FHIR sorts descending by; walking that index backwards stops after a page.
      return {
        text: `select r.rid, r.id, r.content, d.lo as k from search_index d join resource r on r.rid = d.rid
          where d.resource_type = 'Observation' and d.code = 'date' and d.lo is not null and not r.deleted
            and exists (select 1 from search_index c where c.rid = d.rid and c.code = 'code' and c.tok_code = $1 and c.tok_system = '${LOINC}')
          order by d.lo desc, d.rid limit $2`,
        values: [v.code, limit],
      };
    case 'walk':
      return {
        text: `select r.rid, r.id, r.content from resource r where r.rid in (${OBS_WITH_CODE}) and not r.deleted and r.rid > $2 order by r.rid limit $3`,
        values: [v.code, after?.rid ?? 0, limit],
      };
    case 'walk-sorted':
      return {
        text: `select r.rid, r.id, r.content, d.lo as k from search_index d join resource r on r.rid = d.rid
          where d.resource_type = 'Observation' and d.code = 'date' and not r.deleted
            and exists (select 1 from search_index c where c.rid = d.rid and c.code = 'code' and c.tok_code = $1 and c.tok_system = '${LOINC}')
            and d.lo >= $2 and (d.lo > $2 or d.rid > $3)
          order by d.lo, d.rid limit $4`,
        values: [v.code, after?.k ?? -8.64e16, after?.rid ?? 0, limit],
      };
  }
}

export class RawSearchDriver implements Driver {
  private readonly pool: InstanceType<typeof pg.Pool>;
  private readonly cache = new Map<string, Instance[]>();

  private readonly cohort: Cohort;

  constructor(readonly label: string, connectionString: string, patients: number, private readonly prepared = false) {
    this.cohort = cohortOf(patients);
    this.pool = new pg.Pool({ connectionString, max: 8 });
  }

  private instance(op: string, key: number): Instance {
    let list = this.cache.get(op);
    if (!list) this.cache.set(op, (list = instances(this.cohort, op as SearchOp)));
    return list[key % list.length];
  }

  prepare(op: string): void {
    this.instance(op, 0);
  }

  private async page(inst: Instance, after?: { rid: string; k?: string }): Promise<{ matched: Row[]; included: Row[]; hasNext: boolean }> {
    const q = rawQuery(inst, after);
    const rows = (await this.pool.query(this.prepared ? { name: `raw_${inst.op}`, ...q } : q)).rows as Row[];
    let matched = rows.filter((r) => (r.mode ?? 'match') === 'match');
    const included = rows.filter((r) => r.mode === 'include');
    if (included.length) matched.sort((a, b) => Number(a.rid) - Number(b.rid));
    const hasNext = matched.length > inst.count;
    if (hasNext) matched = matched.slice(0, inst.count);
    for (const r of [...matched, ...included]) {
      const c = r.content as { id?: string };
      check(c?.id === r.id, () => `raw ${inst.op}: content of ${r.id} is ${c?.id}`);
    }
    return { matched, included, hasNext };
  }

  async run(op: string, key: number): Promise<void> {
    const inst = this.instance(op, key);
    if (!isWalk(op)) {
      const { matched, included, hasNext } = await this.page(inst);
      checkPage(inst, this.label, matched.map((r) => r.id), included.map((r) => `${(r.content as { resourceType: string }).resourceType}/${r.id}`), hasNext);
      return;
    }
    const walked: string[] = [];
    let pages = 0;
    let after: { rid: string; k?: string } | undefined;
    for (;;) {
      const { matched, hasNext } = await this.page(inst, after);
      pages++;
      walked.push(...matched.map((r) => r.id));
      if (!hasNext) break;
      const last = matched[matched.length - 1];
      after = { rid: last.rid, k: last.k };
      check(pages <= inst.matches.length / inst.count + 2, () => `raw walk: more pages than results`);
    }
    checkWalk(inst, this.label, walked, pages);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** Opened in the load worker: `{ label, url, patients, prepared }`. */
export const createDriver: DriverFactory = (o) => new RawSearchDriver(String(o.label), String(o.url), Number(o.patients), o.prepared === true);
