// Deterministic test data: patient(n, version) is always the same resource, so the server and the raw
// baselines write exactly the same content, and a read can be checked against what was written.
// A Patient is about 2 KB of JSON, shaped like a US Core patient from a real system.

export interface PatientResource {
  resourceType: 'Patient';
  id?: string;
  name: { use: string; family?: string; given: string[]; prefix?: string[] }[];
  [k: string]: unknown;
}

const FAMILY = ['Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez', 'Hernández',
  'Lopez', 'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin', 'Lee', 'Pérez', 'Thompson', 'White',
  'Harris', 'Sánchez', 'Clark', 'Ramirez', 'Lewis', 'Robinson', 'Walker', 'Young', 'Allen', 'King', 'Wright', 'Scott', 'Torres',
  'Nguyen', 'Hill', 'Flores', 'Green', 'Adams', 'Nelson', 'Baker', 'Hall', 'Rivera', 'Campbell', 'Mitchell', 'Carter', 'Roberts'];
const GIVEN_F = ['Mary', 'Patricia', 'Jennifer', 'Linda', 'Elizabeth', 'Barbara', 'Susan', 'Jessica', 'Sarah', 'Karen', 'Zoë', 'Chloé', 'Amélie', 'Nancy', 'Lisa'];
const GIVEN_M = ['James', 'Robert', 'John', 'Michael', 'David', 'William', 'Richard', 'Joseph', 'Thomas', 'Charles', 'José', 'Raphaël', 'Daniel', 'Mark', 'Paul'];
const STREETS = ['Main St', 'Oak Ave', 'Pine Rd', 'Maple Dr', 'Cedar Ln', 'Elm St', 'Washington Blvd', 'Lake View Ct', 'Hillcrest Rd', 'Sunset Ave'];
const CITIES: [string, string, string][] = [['Springfield', 'IL', '627'], ['Madison', 'WI', '537'], ['Portland', 'OR', '972'], ['Austin', 'TX', '787'],
  ['Boston', 'MA', '021'], ['Denver', 'CO', '802'], ['Raleigh', 'NC', '276'], ['Phoenix', 'AZ', '850'], ['Columbus', 'OH', '432'], ['Salem', 'MA', '019']];
const MARITAL: [string, string][] = [['M', 'Married'], ['S', 'Never Married'], ['D', 'Divorced'], ['W', 'Widowed']];
const LANGS: [string, string][] = [['en-US', 'English (United States)'], ['es', 'Spanish'], ['fr', 'French'], ['vi', 'Vietnamese']];

/** A small seeded PRNG (mulberry32): the same n always gives the same patient. */
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

const digits = (r: () => number, k: number) => Array.from({ length: k }, () => Math.floor(r() * 10)).join('');
const pad = (v: number, k = 2) => String(v).padStart(k, '0');

/** Patient number n at `version` (1, 2, …): each version has another middle name, phone and street address. */
export function patient(n: number, version = 1): PatientResource {
  const r = rng(n * 2654435761 + 97);
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
  const female = r() < 0.5;
  const family = n % 9 === 0 ? `${pick(FAMILY)}-${pick(FAMILY)}` : pick(FAMILY);
  const first = pick(female ? GIVEN_F : GIVEN_M);
  const [city, state, zip] = pick(CITIES);
  const birth = `${1930 + Math.floor(r() * 90)}-${pad(1 + Math.floor(r() * 12))}-${pad(1 + Math.floor(r() * 28))}`;
  const mrn = `MRN${pad(n, 8)}`;
  const ssn = `${digits(r, 3)}-${digits(r, 2)}-${digits(r, 4)}`;
  const [mCode, mText] = pick(MARITAL);
  const [lang, langText] = pick(LANGS);
  const contactFamily = pick(FAMILY);
  const contactGiven = pick(female ? GIVEN_M : GIVEN_F);
  const practitioner = n % 97;
  // What changes between versions.
  const v = rng(n * 31 + version * 1000003);
  const middle = `${pick(female ? GIVEN_F : GIVEN_M)}${version > 1 ? ` ${version}` : ''}`;
  const phone = `(${digits(v, 3)}) 555-${digits(v, 4)}`;
  const street = `${1 + Math.floor(v() * 9999)} ${STREETS[Math.floor(v() * STREETS.length)]}`;
  return {
    resourceType: 'Patient',
    meta: { profile: ['http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient'] },
    text: {
      status: 'generated',
      div: `<div xmlns="http://www.w3.org/1999/xhtml"><p>${first} ${middle} ${family}, ${female ? 'female' : 'male'}, born ${birth}. MRN ${mrn}.</p><p>${street}, ${city}, ${state}</p></div>`,
    },
    extension: [
      { url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex', valueCode: female ? 'F' : 'M' },
      {
        url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity',
        extension: [
          { url: 'ombCategory', valueCoding: { system: 'urn:oid:2.16.840.1.113883.6.238', code: '2186-5', display: 'Not Hispanic or Latino' } },
        ],
      },
    ],
    identifier: [
      {
        use: 'usual',
        type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR', display: 'Medical Record Number' }] },
        system: 'http://hospital.example.org/mrn',
        value: mrn,
      },
      {
        use: 'official',
        type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'SS', display: 'Social Security Number' }] },
        system: 'http://hl7.org/fhir/sid/us-ssn',
        value: ssn,
      },
    ],
    active: true,
    name: [
      { use: 'official', family, given: [first, middle], prefix: [female ? 'Ms.' : 'Mr.'] },
      { use: 'nickname', given: [first.slice(0, 3)] },
    ],
    telecom: [
      { system: 'phone', value: phone, use: 'home' },
      { system: 'phone', value: `(${digits(r, 3)}) 555-${digits(r, 4)}`, use: 'mobile', rank: 1 },
      { system: 'email', value: `${first}.${family}${n}@example.com`.toLowerCase().normalize('NFD').replace(/\p{M}/gu, ''), use: 'home' },
    ],
    gender: female ? 'female' : 'male',
    birthDate: birth,
    address: [{
      use: 'home',
      type: 'physical',
      line: [street, n % 3 === 0 ? `Apt ${1 + (n % 40)}` : 'Building A'],
      city,
      state,
      postalCode: `${zip}${digits(r, 2)}`,
      country: 'US',
      period: { start: `${2000 + (n % 24)}-0${1 + (n % 9)}-15` },
    }],
    maritalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', code: mCode, display: mText }], text: mText },
    multipleBirthBoolean: false,
    contact: [{
      relationship: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0131', code: 'N', display: 'Next-of-Kin' }] }],
      name: { use: 'official', family: contactFamily, given: [contactGiven] },
      telecom: [{ system: 'phone', value: `(${digits(r, 3)}) 555-${digits(r, 4)}`, use: 'mobile' }],
      gender: female ? 'male' : 'female',
    }],
    communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: lang, display: langText }], text: langText }, preferred: true }],
    generalPractitioner: [{ reference: `Practitioner/practitioner-${practitioner}`, display: `Dr. ${pick(GIVEN_M)} ${pick(FAMILY)}` }],
    managingOrganization: { reference: `Organization/org-${n % 5}`, display: 'Good Health Clinic' },
  };
}

/** The name a read of patient n at `version` must return. */
export function expectedName(n: number, version: number): string {
  const p = patient(n, version);
  return nameKey(p.name);
}

/** A comparable form of a `name` element (official name only). */
export function nameKey(name: unknown): string {
  const official = Array.isArray(name) ? (name as { use?: string; family?: string; given?: string[] }[]).find((x) => x.use === 'official') : undefined;
  return official ? `${official.family ?? ''}|${(official.given ?? []).join(' ')}` : '';
}
