// The searches of the search scenario, each as a list of instances (the same search with other
// values), with the results every instance must give, computed from the generator (synthea.ts),
// never from the server. Shared by the HTTP driver (load worker) and the raw SQL driver, which
// check their answers with the same functions.
import { check } from './driver.js';
import { LOINC, OBS_CODES, record, type ObsFact, type PatientRecord } from './synthea.js';

export const SEARCH_OPS = ['family', 'birthdate', 'subject-code', 'code-date', 'chain', 'include', 'revinclude', 'sort', 'walk', 'walk-sorted'] as const;
export type SearchOp = (typeof SEARCH_OPS)[number];
export const isWalk = (op: string) => op === 'walk' || op === 'walk-sorted';

/** Case- and accent-insensitive form, as FHIR string search compares (spec rule, written here independently of core). */
export const norm = (s: string) => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/\s+/g, ' ').trim();

export class Cohort {
  readonly patients: PatientRecord[] = [];
  readonly patientById = new Map<string, PatientRecord>();
  readonly obsById = new Map<string, ObsFact>();
  /** Observations of each LOINC code, in load order. */
  readonly obsByCode = new Map<string, ObsFact[]>();

  constructor(readonly size: number) {
    for (let n = 1; n <= size; n++) {
      const rec = record(n);
      this.patients.push(rec);
      this.patientById.set(rec.id, rec);
      for (const o of rec.observations) {
        this.obsById.set(o.id, o);
        let l = this.obsByCode.get(o.code);
        if (!l) this.obsByCode.set(o.code, (l = []));
        l.push(o);
      }
    }
  }

  get resources(): number {
    return this.patients.reduce((a, p) => a + 1 + p.encounters.length + p.conditions.length + p.observations.length, 0);
  }

  patientOf(o: ObsFact): PatientRecord {
    return this.patients[o.patient - 1];
  }
}

let shared: Cohort | undefined;
/** The cohort of `size` patients, built once per thread (drivers of one thread share it). */
export function cohortOf(size: number): Cohort {
  if (shared?.size !== size) shared = new Cohort(size);
  return shared;
}

/** What one search instance must return. */
export interface Instance {
  op: SearchOp;
  type: 'Patient' | 'Observation';
  params: [string, string][];
  count: number;
  /** Every resource that matches (ids), in sort order when `sortMs` is set. */
  matches: string[];
  /** Sort value of a match (epoch ms) and the direction, for sorted searches. */
  sortMs?: (id: string) => number;
  descending?: boolean;
  /** The resources `_include`/`_revinclude` must add for the given page of matches ("Type/id"). */
  includes?: (page: string[]) => Set<string>;
  /** Values the raw SQL queries take (see raw-search.ts). */
  raw: Record<string, string | number>;
}

const pad = (v: number) => String(v).padStart(2, '0');
const monthStart = (y: number, m: number) => `${y}-${pad(m + 1)}`;
const loinc = (code: string) => `${LOINC}|${code}`;

/** The family names searched: the distinct first parts of the official family names. */
function families(c: Cohort): string[] {
  return [...new Set(c.patients.map((p) => p.family.split('-')[0]))].sort();
}

function familyMatches(c: Cohort, q: string): PatientRecord[] {
  const k = norm(q);
  return c.patients.filter((p) => norm(p.family).startsWith(k));
}

/** Builds the instances of a search (at most a few hundred, rotated by the plan's keys). */
export function instances(c: Cohort, op: SearchOp): Instance[] {
  const codes = OBS_CODES.map((x) => x.code);
  const byCode = (code: string) => c.obsByCode.get(code) ?? [];
  switch (op) {
    case 'family':
      return families(c).map((f) => ({
        op, type: 'Patient', params: [['family', f], ['_count', '200']], count: 200,
        matches: familyMatches(c, f).map((p) => p.id), raw: { pattern: `${norm(f)}%` },
      }));
    case 'birthdate': {
      const years = [...new Set(c.patients.map((p) => Number(p.birthDate.slice(0, 4))))].sort();
      return years.map((y) => ({
        op, type: 'Patient', params: [['birthdate', `ge${y}-01-01`], ['birthdate', `lt${y + 1}-01-01`], ['_count', '200']], count: 200,
        matches: c.patients.filter((p) => p.birthDate.startsWith(`${y}-`)).map((p) => p.id),
        raw: { lo: Date.UTC(y, 0, 1), hi: Date.UTC(y + 1, 0, 1) },
      }));
    }
    case 'subject-code':
      return c.patients.slice(0, 100).flatMap((p) => codes.map((code): Instance => ({
        op, type: 'Observation', params: [['subject', `Patient/${p.id}`], ['code', loinc(code)]], count: 20,
        matches: p.observations.filter((o) => o.code === code).map((o) => o.id), raw: { patient: p.id, code },
      })));
    case 'code-date': {
      const out: Instance[] = [];
      for (let y = 2014; y <= 2023; y++) {
        for (let m = 0; m < 12; m += 3) {
          for (const code of codes) {
            const lo = Date.UTC(y, m, 1), hi = Date.UTC(y, m + 1, 1);
            out.push({
              op, type: 'Observation', params: [['code', loinc(code)], ['date', `ge${monthStart(y, m)}`], ['date', `lt${m === 11 ? monthStart(y + 1, 0) : monthStart(y, m + 1)}`], ['_count', '200']], count: 200,
              matches: byCode(code).filter((o) => o.ms >= lo && o.ms < hi).map((o) => o.id), raw: { code, lo, hi },
            });
          }
        }
      }
      return out;
    }
    case 'chain':
      return families(c).map((f) => {
        const pats = new Set(familyMatches(c, f).map((p) => p.n));
        const matches = [...c.obsById.values()].filter((o) => pats.has(o.patient)).map((o) => o.id);
        return { op, type: 'Observation', params: [['subject:Patient.family', f], ['_count', '50']], count: 50, matches, raw: { pattern: `${norm(f)}%` } };
      });
    case 'include':
      return codes.map((code) => ({
        op, type: 'Observation', params: [['code', loinc(code)], ['_include', 'Observation:subject'], ['_count', '50']], count: 50,
        matches: byCode(code).map((o) => o.id),
        includes: (page) => new Set(page.map((id) => `Patient/${c.patientOf(c.obsById.get(id)!).id}`)),
        raw: { code },
      }));
    case 'revinclude':
      return families(c).map((f) => ({
        op, type: 'Patient', params: [['family', f], ['_revinclude', 'Observation:subject'], ['_count', '10']], count: 10,
        matches: familyMatches(c, f).map((p) => p.id),
        includes: (page) => new Set(page.flatMap((id) => c.patientById.get(id)!.observations.map((o) => `Observation/${o.id}`))),
        raw: { pattern: `${norm(f)}%` },
      }));
    case 'sort':
      return codes.map((code) => {
        const sorted = [...byCode(code)].sort((a, b) => b.ms - a.ms);
        return {
          op, type: 'Observation', params: [['code', loinc(code)], ['_sort', '-date'], ['_count', '50']], count: 50,
          matches: sorted.map((o) => o.id), sortMs: (id) => c.obsById.get(id)!.ms, descending: true, raw: { code },
        };
      });
    case 'walk':
      return codes.map((code) => ({
        op, type: 'Observation', params: [['code', loinc(code)], ['_count', '200']], count: 200,
        matches: byCode(code).map((o) => o.id), raw: { code },
      }));
    case 'walk-sorted':
      return codes.map((code) => {
        const sorted = [...byCode(code)].sort((a, b) => a.ms - b.ms);
        return {
          op, type: 'Observation', params: [['code', loinc(code)], ['_sort', 'date'], ['_count', '200']], count: 200,
          matches: sorted.map((o) => o.id), sortMs: (id) => c.obsById.get(id)!.ms, descending: false, raw: { code },
        };
      });
  }
}

export const queryString = (params: [string, string][]) => `?${params.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}`;

/** The instance's matches as a Set, built once (an instance of a code search has some 10,000: built per response, it made the checks the load worker's largest cost). */
const matchSets = new WeakMap<Instance, Set<string>>();
function matchSet(inst: Instance): Set<string> {
  let set = matchSets.get(inst);
  if (!set) matchSets.set(inst, (set = new Set(inst.matches)));
  return set;
}

/** Checks one page (not a walk): matched ids (in returned order), included "Type/id"s, whether a next page was announced. */
export function checkPage(inst: Instance, who: string, matched: string[], included: string[], hasNext: boolean): void {
  const what = () => `${who} ${inst.type}${queryString(inst.params)}`;
  const expectedSize = Math.min(inst.count, inst.matches.length);
  check(matched.length === expectedSize, () => `${what()}: ${matched.length} matches, expected ${expectedSize} (of ${inst.matches.length})`);
  check(hasNext === inst.matches.length > inst.count, () => `${what()}: next link ${hasNext ? 'present' : 'absent'} with ${inst.matches.length} matches and _count ${inst.count}`);
  const all = matchSet(inst);
  const seen = new Set<string>();
  for (const id of matched) {
    check(all.has(id), () => `${what()}: ${id} does not match`);
    check(!seen.has(id), () => `${what()}: ${id} returned twice`);
    seen.add(id);
  }
  if (inst.sortMs) {
    // Sorted: the page holds the first `count` sort values, in order (ties may come in any order).
    for (let i = 0; i < matched.length; i++) {
      const got = inst.sortMs(matched[i]), want = inst.sortMs(inst.matches[i]);
      check(got === want, () => `${what()}: position ${i} has date ${new Date(got).toISOString()}, expected ${new Date(want).toISOString()}`);
    }
  }
  const expectedInc = inst.includes?.(matched) ?? new Set<string>();
  check(included.length === expectedInc.size, () => `${what()}: ${included.length} included resources, expected ${expectedInc.size}`);
  for (const r of included) check(expectedInc.has(r), () => `${what()}: unexpected included ${r}`);
}

/** Checks a whole walk: every match exactly once (nothing skipped, nothing twice), in sort order for sorted searches. */
export function checkWalk(inst: Instance, who: string, walked: string[], pages: number): void {
  const what = () => `${who} walk of ${inst.type}${queryString(inst.params)}`;
  const seen = new Set<string>();
  for (const id of walked) {
    check(!seen.has(id), () => `${what()}: ${id} returned twice`);
    seen.add(id);
  }
  const all = matchSet(inst);
  for (const id of walked) check(all.has(id), () => `${what()}: ${id} does not match`);
  check(walked.length === inst.matches.length, () => `${what()}: ${walked.length} resources in ${pages} pages, expected ${inst.matches.length} (${inst.matches.length - walked.length} skipped)`);
  const expectedPages = Math.max(1, Math.ceil(inst.matches.length / inst.count));
  check(pages === expectedPages, () => `${what()}: ${pages} pages, expected ${expectedPages}`);
  if (inst.sortMs) {
    for (let i = 0; i < walked.length; i++) {
      const got = inst.sortMs(walked[i]), want = inst.sortMs(inst.matches[i]);
      check(got === want, () => `${what()}: position ${i} has date ${new Date(got).toISOString()}, expected ${new Date(want).toISOString()}`);
    }
  }
}
