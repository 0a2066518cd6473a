// Deterministic Synthea-like patient records: patient n is always the same Patient (data.ts) with
// 8 Encounters, 4 Conditions and 35 Observations (5 wellness visits × 7 LOINC codes, with dates
// and quantities), 48 resources in all. `cohort(n)` holds the facts searches are checked against
// (ids, names, dates, codes), so expected results come from here, never from the server.
// `recordResources` builds the resources with references made by a caller-chosen scheme: local
// references between fixed ids (bulk loading), or urn:uuid fullUrls (transaction bundles).
import { createHash } from 'node:crypto';
import { patient, type PatientResource } from './data.js';

export const ENCOUNTERS = 8;
export const CONDITIONS = 4;
/** Encounters 0..WELLNESS-1 (in date order: every other one, see below) are wellness visits with observations. */
export const WELLNESS = 5;
export const RESOURCES_PER_PATIENT = 1 + ENCOUNTERS + CONDITIONS + WELLNESS * 7;

export const LOINC = 'http://loinc.org';
export const UCUM = 'http://unitsofmeasure.org';
const SNOMED = 'http://snomed.info/sct';
const OBS_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';

export interface ObsCode { code: string; display: string; unit: string; category: 'vital-signs' | 'laboratory'; lo: number; hi: number; decimals: number }
/** The observations each wellness visit records, one of each. */
export const OBS_CODES: ObsCode[] = [
  { code: '8302-2', display: 'Body Height', unit: 'cm', category: 'vital-signs', lo: 150, hi: 195, decimals: 1 },
  { code: '29463-7', display: 'Body Weight', unit: 'kg', category: 'vital-signs', lo: 50, hi: 120, decimals: 1 },
  { code: '39156-5', display: 'Body mass index (BMI) [Ratio]', unit: 'kg/m2', category: 'vital-signs', lo: 18, hi: 40, decimals: 1 },
  { code: '8867-4', display: 'Heart rate', unit: '/min', category: 'vital-signs', lo: 55, hi: 110, decimals: 0 },
  { code: '9279-1', display: 'Respiratory rate', unit: '/min', category: 'vital-signs', lo: 12, hi: 20, decimals: 0 },
  { code: '2339-0', display: 'Glucose [Mass/volume] in Blood', unit: 'mg/dL', category: 'laboratory', lo: 65, hi: 180, decimals: 0 },
  { code: '4548-4', display: 'Hemoglobin A1c/Hemoglobin.total in Blood', unit: '%', category: 'laboratory', lo: 4.5, hi: 9.5, decimals: 1 },
];
const CONDITION_CODES: [string, string][] = [
  ['44054006', 'Diabetes mellitus type 2 (disorder)'], ['38341003', 'Hypertension (disorder)'], ['195662009', 'Acute viral pharyngitis (disorder)'],
  ['10509002', 'Acute bronchitis (disorder)'], ['162864005', 'Body mass index 30+ - obesity (finding)'], ['40055000', 'Chronic sinusitis (disorder)'],
  ['15777000', 'Prediabetes'], ['444814009', 'Viral sinusitis (disorder)'], ['59621000', 'Essential hypertension (disorder)'], ['233678006', 'Childhood asthma (disorder)'],
];
const ENCOUNTER_TYPES: Record<'wellness' | 'ambulatory', [string, string, string]> = {
  wellness: ['AMB', '410620009', 'Well child visit (procedure)'],
  ambulatory: ['AMB', '185345009', 'Encounter for symptom (procedure)'],
};

/** Dates run over these ten years (UTC). */
const START_MS = Date.UTC(2014, 0, 1);
const END_MS = Date.UTC(2024, 0, 1);
const DAY = 86_400_000;

export type Kind = 'Patient' | 'Encounter' | 'Condition' | 'Observation';

export interface ObsFact { id: string; patient: number; code: string; /** effectiveDateTime, epoch ms (whole seconds). */ ms: number; encounter: number }
export interface PatientRecord {
  n: number;
  id: string;
  /** Official family name as written, and the birth date (YYYY-MM-DD). */
  family: string;
  birthDate: string;
  encounters: { id: string; start: number; end: number; wellness: boolean }[];
  conditions: { id: string; code: string; display: string; encounter: number; onset: number }[];
  observations: ObsFact[];
}

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A deterministic UUID for (namespace, patient, kind, k): Synthea-like ids that are the same on every run. */
export function detUuid(ns: string, n: number, kind: string, k = 0): string {
  const h = createHash('md5').update(`${ns}/${n}/${kind}/${k}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The facts of patient n; ids are detUuid(ns, n, kind, k). */
export function record(n: number, ns = 'hestia-bench'): PatientRecord {
  const p = patient(n, 1);
  const official = p.name.find((x) => x.use === 'official')!;
  const birthDate = p.birthDate as string;
  const r = rng(n * 7919 + 13);
  const from = Math.max(START_MS, Date.parse(`${birthDate}T00:00:00Z`) + DAY);
  const days = Math.max(ENCOUNTERS * 2, Math.floor((END_MS - from) / DAY) - 1);
  // Eight distinct days, in date order; visits between 08:00 and 17:59 (never near midnight).
  const picked = new Set<number>();
  while (picked.size < ENCOUNTERS) picked.add(Math.floor(r() * days));
  const dayList = [...picked].sort((a, b) => a - b);
  const encounters = dayList.map((d, k) => {
    const start = from - (from % DAY) + d * DAY + (8 + Math.floor(r() * 10)) * 3_600_000 + Math.floor(r() * 60) * 60_000;
    // Wellness visits are the 1st, 2nd, 4th, 6th and 8th of the eight.
    return { id: detUuid(ns, n, 'Encounter', k), start, end: start + 30 * 60_000, wellness: [0, 1, 3, 5, 7].includes(k) };
  });
  const observations: ObsFact[] = [];
  let o = 0;
  encounters.forEach((e, ei) => {
    if (!e.wellness) return;
    OBS_CODES.forEach((c, ci) => {
      observations.push({ id: detUuid(ns, n, 'Observation', o++), patient: n, code: c.code, ms: e.start + (ci + 1) * 60_000 + Math.floor(r() * 60) * 1000, encounter: ei });
    });
  });
  const conditions = Array.from({ length: CONDITIONS }, (_, k) => {
    const [code, display] = CONDITION_CODES[Math.floor(r() * CONDITION_CODES.length)];
    const encounter = [2, 4, 6, 0][k];
    return { id: detUuid(ns, n, 'Condition', k), code, display, encounter, onset: encounters[encounter].start + 5 * 60_000 };
  });
  return { n, id: detUuid(ns, n, 'Patient'), family: official.family!, birthDate, encounters, conditions, observations };
}

const dt = (ms: number) => new Date(ms).toISOString().replace('.000Z', '+00:00');

export interface RecordResource { kind: Kind; /** Position within its kind (encounter k, observation k …). */ k: number; resource: Record<string, unknown> & { resourceType: Kind } }

/**
 * The 48 resources of a record, Patient first, then Encounters, Conditions, Observations.
 * `ref(kind, k)` gives the reference string to resource k of a kind of this record.
 */
export function recordResources(rec: PatientRecord, ref: (kind: Kind, k: number) => string): RecordResource[] {
  const p = patient(rec.n, 1) as PatientResource & Record<string, unknown>;
  const official = p.name.find((x) => x.use === 'official')!;
  const display = `${official.prefix?.[0] ?? ''} ${official.given.join(' ')} ${official.family}`.trim();
  const practitioner = (p.generalPractitioner as { reference: string; display: string }[])[0];
  const org = p.managingOrganization as { reference: string; display: string };
  const out: RecordResource[] = [{ kind: 'Patient', k: 0, resource: { ...p, resourceType: 'Patient' } }];
  const subject = { reference: ref('Patient', 0), display };
  rec.encounters.forEach((e, k) => {
    const [cls, code, text] = ENCOUNTER_TYPES[e.wellness ? 'wellness' : 'ambulatory'];
    out.push({
      kind: 'Encounter', k, resource: {
        resourceType: 'Encounter',
        status: 'finished',
        class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: cls },
        type: [{ coding: [{ system: SNOMED, code, display: text }], text }],
        subject,
        participant: [{
          type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'PPRF', display: 'primary performer' }], text: 'primary performer' }],
          period: { start: dt(e.start), end: dt(e.end) },
          individual: { reference: practitioner.reference, display: practitioner.display },
        }],
        period: { start: dt(e.start), end: dt(e.end) },
        serviceProvider: { reference: org.reference, display: org.display },
      },
    });
  });
  rec.conditions.forEach((c, k) => {
    out.push({
      kind: 'Condition', k, resource: {
        resourceType: 'Condition',
        clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
        verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }] },
        category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'encounter-diagnosis', display: 'Encounter Diagnosis' }] }],
        code: { coding: [{ system: SNOMED, code: c.code, display: c.display }], text: c.display },
        subject: { reference: ref('Patient', 0) },
        encounter: { reference: ref('Encounter', c.encounter) },
        onsetDateTime: dt(c.onset),
        recordedDate: dt(c.onset),
      },
    });
  });
  const r = rng(rec.n * 104729 + 7);
  rec.observations.forEach((o, k) => {
    const c = OBS_CODES.find((x) => x.code === o.code)!;
    const value = Number((c.lo + r() * (c.hi - c.lo)).toFixed(c.decimals));
    out.push({
      kind: 'Observation', k, resource: {
        resourceType: 'Observation',
        status: 'final',
        category: [{ coding: [{ system: OBS_CATEGORY, code: c.category, display: c.category }] }],
        code: { coding: [{ system: LOINC, code: c.code, display: c.display }], text: c.display },
        subject: { reference: ref('Patient', 0) },
        encounter: { reference: ref('Encounter', o.encounter) },
        effectiveDateTime: dt(o.ms),
        issued: new Date(o.ms + 3_600_000).toISOString(),
        valueQuantity: { value, unit: c.unit, system: UCUM, code: c.unit },
      },
    });
  });
  return out;
}

/** The id of resource k of a kind in a record. */
export function recordId(rec: PatientRecord, kind: Kind, k: number): string {
  switch (kind) {
    case 'Patient': return rec.id;
    case 'Encounter': return rec.encounters[k].id;
    case 'Condition': return rec.conditions[k].id;
    case 'Observation': return rec.observations[k].id;
  }
}

/** Resources of a record with fixed ids and local references (Type/id), as a bulk load stores them. */
export function storedResources(rec: PatientRecord): RecordResource[] {
  return recordResources(rec, (kind, k) => `${kind}/${recordId(rec, kind, k)}`).map((x) => ({ ...x, resource: { ...x.resource, id: recordId(rec, x.kind, x.k) } }));
}

/** A transaction Bundle of patient n's record: POST entries with urn:uuid fullUrls and references. */
export function transactionBundle(n: number): { bundle: Record<string, unknown>; entries: { kind: Kind; k: number; fullUrl: string }[] } {
  const rec = record(n, 'hestia-bench-tx');
  const urn = (kind: Kind, k: number) => `urn:uuid:${recordId(rec, kind, k)}`;
  const items = recordResources(rec, urn);
  const entries = items.map((x) => ({ kind: x.kind, k: x.k, fullUrl: urn(x.kind, x.k) }));
  return {
    bundle: {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: items.map((x, i) => ({ fullUrl: entries[i].fullUrl, resource: x.resource, request: { method: 'POST', url: x.kind } })),
    },
    entries,
  };
}
