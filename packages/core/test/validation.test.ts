import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { definitions } from '../src/definitions.js';
import { validateResource, ID_RE } from '../src/validation.js';
import { xsdRegexToJs } from '../src/element-model.js';
import type { OperationOutcomeIssue, Resource } from '../src/types.js';

const defs = definitions('r4');
const EXAMPLES = '/work/shared/data/hl7-r4-examples/';
const SYNTHEA = '/work/shared/data/synthea-r4/';

const examples: [string, Resource][] = readdirSync(EXAMPLES).filter((f) => f.endsWith('.json')).sort()
  .map((f) => [f, JSON.parse(readFileSync(EXAMPLES + f, 'utf8')) as Resource]);

/** Official examples that violate the base specification itself; each with the exact issues expected. */
const KNOWN_INVALID: Record<string, { reason: string; check: (issues: OperationOutcomeIssue[]) => boolean }> = {
  'Questionnaire-qs1.json': {
    reason: 'Questionnaire.item.linkId is 1..1, but the nested items of this example have no linkId',
    check: (issues) => issues.length > 0 && issues.every((i) => i.code === 'required' && /\.linkId$/.test(i.expression![0])),
  },
};

const issuesOf = (r: unknown) => validateResource(defs, r);
const codes = (r: unknown) => issuesOf(r).map((i) => `${i.code} ${i.expression?.[0] ?? ''}`);

test('every official HL7 R4 example is accepted (except listed base-spec violations)', () => {
  assert.equal(examples.length, 846);
  const failures: string[] = [];
  for (const [file, r] of examples) {
    const issues = issuesOf(r);
    const known = KNOWN_INVALID[file];
    if (known) assert.ok(known.check(issues), `${file}: ${known.reason}; got ${JSON.stringify(issues.slice(0, 3))}`);
    else if (issues.length) failures.push(`${file}: ${issues.slice(0, 3).map((i) => i.diagnostics).join(' | ')}`);
  }
  assert.deepEqual(failures, []);
});

test('Synthea bundles and their entry resources are accepted', () => {
  let count = 0;
  for (const set of ['smart-synthea-2019', 'fhir-data-pipes-synthea-2021']) {
    const files = readdirSync(SYNTHEA + set).sort();
    // Two patient bundles and the provider bundles of each set.
    for (const f of [...files.filter((x) => !/Information/.test(x)).slice(0, 2), ...files.filter((x) => /Information/.test(x))]) {
      const bundle = JSON.parse(readFileSync(`${SYNTHEA}${set}/${f}`, 'utf8')) as Resource & { entry: { resource: Resource }[] };
      assert.deepEqual(issuesOf(bundle), [], f);
      for (const e of bundle.entry) {
        assert.deepEqual(issuesOf(e.resource), [], `${f} ${e.resource.resourceType}/${e.resource.id}`);
        count++;
      }
    }
  }
  assert.ok(count > 1000, `checked ${count} entry resources`);
});

test('throughput on the official examples', (t) => {
  const resources = examples.map(([, r]) => r);
  for (const r of resources) issuesOf(r); // warm-up: compiles the model
  let best = 0;
  for (let round = 0; round < 3; round++) {
    const start = performance.now();
    for (const r of resources) issuesOf(r);
    best = Math.max(best, resources.length / ((performance.now() - start) / 1000));
  }
  t.diagnostic(`validateResource: ${Math.round(best)} resources/s over ${resources.length} official examples (best of 3)`);
  assert.ok(best > 5000, `${Math.round(best)} resources/s`);
});

test('unknown elements are reported with their path', () => {
  assert.deepEqual(codes({ resourceType: 'Patient', foo: 1 }), ['structure Patient.foo']);
  assert.deepEqual(codes({ resourceType: 'Patient', name: [{ family: 'X', nickname: 'Y' }] }), ['structure Patient.name[0].nickname']);
  assert.deepEqual(codes({ resourceType: 'Patient', contact: [{ gender: 'male', colour: 'red' }] }), ['structure Patient.contact[0].colour']);
  // `_name` is only for primitives.
  assert.deepEqual(codes({ resourceType: 'Patient', _name: {} }), ['structure Patient._name']);
  // resourceType belongs to resources only.
  assert.deepEqual(codes({ resourceType: 'Patient', name: [{ resourceType: 'HumanName' }] }), ['structure Patient.name[0].resourceType']);
});

test('primitive values must have the right JSON type and lexical form', () => {
  assert.deepEqual(codes({ resourceType: 'Patient', active: 'true' }), ['value Patient.active']);
  assert.match(issuesOf({ resourceType: 'Patient', active: 'true' })[0].diagnostics!, /JSON boolean/);
  assert.deepEqual(codes({ resourceType: 'Patient', birthDate: 19700101 }), ['value Patient.birthDate']);
  assert.deepEqual(codes({ resourceType: 'Patient', birthDate: '2020-13-01' }), ['value Patient.birthDate']);
  // Days that do not exist in their month, in dates, dateTimes and instants; leap days that do.
  assert.deepEqual(codes({ resourceType: 'Patient', birthDate: '1980-02-30' }), ['value Patient.birthDate']);
  assert.deepEqual(codes({ resourceType: 'Patient', birthDate: '2021-02-29' }), ['value Patient.birthDate']);
  assert.deepEqual(codes({ resourceType: 'Patient', deceasedDateTime: '2020-04-31T10:00:00Z' }), ['value Patient.deceased.ofType(dateTime)']);
  assert.deepEqual(codes({ resourceType: 'Patient', meta: { lastUpdated: '1900-02-29T00:00:00Z' } }), ['value Patient.meta.lastUpdated']);
  assert.deepEqual(codes({ resourceType: 'Patient', birthDate: '2000-02-29', deceasedDateTime: '2024-02-29T23:59:59+14:00', meta: { lastUpdated: '2020-12-31T00:00:00Z' } }), []);
  assert.deepEqual(codes({ resourceType: 'Patient', birthDate: '1980-02' }), []);
  assert.deepEqual(codes({ resourceType: 'Patient', birthDate: '2020-02-01T10:00:00Z' }), ['value Patient.birthDate']);
  assert.deepEqual(codes({ resourceType: 'Patient', multipleBirthInteger: 1.5 }), ['value Patient.multipleBirth.ofType(integer)']);
  assert.deepEqual(codes({ resourceType: 'Patient', multipleBirthInteger: 2 ** 31 }), ['value Patient.multipleBirth.ofType(integer)']);
  assert.deepEqual(codes({ resourceType: 'Patient', multipleBirthInteger: '2' }), ['value Patient.multipleBirth.ofType(integer)']);
  assert.deepEqual(codes({ resourceType: 'Patient', gender: ' male' }), ['value Patient.gender']); // code: no leading space
  assert.deepEqual(codes({ resourceType: 'Patient', gender: '' }), ['value Patient.gender']);
  assert.deepEqual(codes({ resourceType: 'Patient', telecom: [{ rank: 0 }] }), ['value Patient.telecom[0].rank']); // positiveInt
  assert.deepEqual(codes({ resourceType: 'Observation', status: 'final', code: { text: 'x' }, valueQuantity: { value: '1.5' } }),
    ['value Observation.value.ofType(Quantity).value']);
  assert.deepEqual(codes({ resourceType: 'Patient', meta: { lastUpdated: '2020-01-01' } }), ['value Patient.meta.lastUpdated']); // instant
  assert.deepEqual(codes({ resourceType: 'Patient', name: [{ given: ['A', null] }] }), ['value Patient.name[0].given[1]']);
  assert.deepEqual(codes({ resourceType: 'Patient', text: { status: 'generated', div: 'plain text' } }), ['value Patient.text.div']);
  // Accepted: decimals, leap seconds and time zones, NBSP in strings (FHIR regexes have XML Schema \s semantics).
  assert.deepEqual(codes({ resourceType: 'Observation', status: 'final', code: { text: 'x' }, valueQuantity: { value: -0.5e-3 },
    effectiveDateTime: '2015-02-07T13:28:17.239+02:00', issued: '2015-02-07T13:28:17Z' }), []);
  assert.deepEqual(codes({ resourceType: 'Patient', name: [{ family: 'van\u00a0Gogh', given: ['Line\nbreak'] }] }), []);
});

test('codes with a required binding must be in its value set, where the definitions list its codes', () => {
  assert.deepEqual(codes({ resourceType: 'Patient', gender: 'robot' }), ['code-invalid Patient.gender']);
  assert.equal(issuesOf({ resourceType: 'Patient', gender: 'robot' })[0].diagnostics,
    'Code "robot" is not in the required value set http://hl7.org/fhir/ValueSet/administrative-gender (female, male, other, unknown) (at Patient.gender)');
  assert.deepEqual(codes({ resourceType: 'Patient', gender: 'Male' }), ['code-invalid Patient.gender']); // codes are case-sensitive
  // In backbone elements, complex types, contained resources and choice-free nested paths.
  assert.deepEqual(codes({ resourceType: 'Patient', contact: [{ gender: 'x' }], telecom: [{ system: 'pager', use: 'work' }, { system: 'carrier-pigeon' }] }),
    ['code-invalid Patient.contact[0].gender', 'code-invalid Patient.telecom[1].system']);
  assert.deepEqual(codes({ resourceType: 'Observation', status: 'done', code: { text: 'x' }, valueQuantity: { value: 1, comparator: '~' } }),
    ['code-invalid Observation.status', 'code-invalid Observation.value.ofType(Quantity).comparator']);
  assert.deepEqual(codes({ resourceType: 'Patient', contained: [{ resourceType: 'Practitioner', gender: 'n/a' }] }), ['code-invalid Patient.contained[0].gender']);
  // Nested codes of a hierarchical code system are in (observation-status: amended > corrected).
  assert.deepEqual(codes({ resourceType: 'Observation', status: 'corrected', code: { text: 'x' } }), []);
  // A value set the definitions cannot list (MIME types are an external code system) is not checked.
  assert.deepEqual(codes({ resourceType: 'DocumentReference', status: 'current', content: [{ attachment: { contentType: 'application/x-anything' } }] }), []);
  // STU3 has its own value sets.
  assert.deepEqual(validateResource(definitions('stu3'), { resourceType: 'Patient', gender: 'robot' }).map((i) => i.code), ['code-invalid']);
});

test('CodeableConcepts and Codings with a required binding: a coding of the value set, by system and code', () => {
  const CLINICAL = 'http://terminology.hl7.org/CodeSystem/condition-clinical';
  const condition = (clinicalStatus: unknown) => ({ resourceType: 'Condition', subject: { reference: 'Patient/p' }, clinicalStatus });
  assert.deepEqual(codes(condition({ coding: [{ system: CLINICAL, code: 'active' }] })), []);
  // One coding of the value set is enough; others may come along (a translation).
  assert.deepEqual(codes(condition({ coding: [{ system: 'http://example.org/local', code: 'A' }, { system: CLINICAL, code: 'remission' }], text: 'In remission' })), []);
  assert.deepEqual(issuesOf(condition({ coding: [{ system: CLINICAL, code: 'cured' }] })).map((i) => i.diagnostics), [
    'None of the codings (http://terminology.hl7.org/CodeSystem/condition-clinical|cured) is in the required value set http://hl7.org/fhir/ValueSet/condition-clinical ' +
    '(http://terminology.hl7.org/CodeSystem/condition-clinical|active, http://terminology.hl7.org/CodeSystem/condition-clinical|inactive, http://terminology.hl7.org/CodeSystem/condition-clinical|recurrence, ' +
    'http://terminology.hl7.org/CodeSystem/condition-clinical|relapse, http://terminology.hl7.org/CodeSystem/condition-clinical|remission, http://terminology.hl7.org/CodeSystem/condition-clinical|resolved) (at Condition.clinicalStatus)',
  ]);
  // The right code without its system, or in another system; text alone.
  assert.deepEqual(codes(condition({ coding: [{ code: 'active' }] })), ['code-invalid Condition.clinicalStatus']);
  assert.deepEqual(codes(condition({ coding: [{ system: 'http://snomed.info/sct', code: 'active' }] })), ['code-invalid Condition.clinicalStatus']);
  assert.deepEqual(issuesOf(condition({ text: 'active' })).map((i) => i.diagnostics![0] + i.diagnostics!.slice(1, 36)), ['A concept without codings is not in ']);
  assert.deepEqual(codes({ resourceType: 'AllergyIntolerance', patient: { reference: 'Patient/p' }, verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification', code: 'maybe' }] } }),
    ['code-invalid AllergyIntolerance.verificationStatus']);
  // A value set the definitions cannot list (Observation.code: LOINC and more, and an example binding) is not checked.
  assert.deepEqual(codes({ resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://example.org', code: 'anything' }] } }), []);
  // STU3: Coding bindings too (Claim.type is a CodeableConcept bound to claim-type).
  const stu3 = (type: unknown) => validateResource(definitions('stu3'), { resourceType: 'Claim', type }).map((i) => `${i.code} ${i.expression?.[0]}`);
  assert.deepEqual(stu3({ coding: [{ system: 'http://hl7.org/fhir/ex-claimtype', code: 'oral' }] }), []);
  assert.deepEqual(stu3({ coding: [{ system: 'http://hl7.org/fhir/ex-claimtype', code: 'telepathic' }] }), ['code-invalid Claim.type']);
});

test('ids must be valid', () => {
  assert.deepEqual(codes({ resourceType: 'Patient', id: 'a b' }), ['value Patient.id']);
  assert.deepEqual(codes({ resourceType: 'Patient', id: 'x'.repeat(65) }), ['value Patient.id']);
  assert.deepEqual(codes({ resourceType: 'Patient', id: 42 }), ['value Patient.id']);
  assert.deepEqual(codes({ resourceType: 'Patient', id: 'A-1.b', name: [{ id: 'any string is fine here' }] }), []);
  assert.ok(ID_RE.test('abc-1.2') && !ID_RE.test('abc_1'));
});

test('cardinality: required elements, arrays and single values', () => {
  assert.deepEqual(codes({ resourceType: 'Observation', code: { text: 'x' } }), ['required Observation.status']);
  assert.deepEqual(codes({ resourceType: 'Observation' }), ['required Observation.status', 'required Observation.code']);
  // A primitive carried by extensions only satisfies the minimum.
  assert.deepEqual(codes({ resourceType: 'Observation', code: { text: 'x' },
    _status: { extension: [{ url: 'http://example.org/x', valueString: 'y' }] } }), []);
  assert.deepEqual(codes({ resourceType: 'Patient', extension: [{ valueString: 'x' }] }), ['required Patient.extension[0].url']);
  assert.deepEqual(codes({ resourceType: 'Patient', gender: ['male'] }), ['structure Patient.gender']);
  assert.deepEqual(codes({ resourceType: 'Patient', maritalStatus: [{ text: 'x' }] }), ['structure Patient.maritalStatus']);
  assert.deepEqual(codes({ resourceType: 'Patient', name: { family: 'X' } }), ['structure Patient.name']);
  assert.deepEqual(codes({ resourceType: 'Patient', name: [] }), ['structure Patient.name']);
  assert.deepEqual(codes({ resourceType: 'Patient', name: [{ family: ['X'] }] }), ['structure Patient.name[0].family']);
  assert.deepEqual(codes({ resourceType: 'Patient', maritalStatus: 'married' }), ['structure Patient.maritalStatus']);
  assert.deepEqual(codes({ resourceType: 'Patient', active: null }), ['value Patient.active']);
});

test('choice types accept only the allowed alternatives, one at a time', () => {
  const obs = { resourceType: 'Observation', status: 'final', code: { text: 'x' } };
  assert.deepEqual(codes({ ...obs, valueString: 'a' }), []);
  assert.deepEqual(codes({ ...obs, valueQuantity: { value: 1, unit: 'mg' } }), []);
  assert.deepEqual(codes({ ...obs, valueMoney: { value: 1 } }), ['structure Observation.valueMoney']);
  assert.deepEqual(codes({ ...obs, value: 'a' }), ['structure Observation.value']);
  assert.deepEqual(codes({ ...obs, valueString: 'a', valueBoolean: true }), ['structure Observation.value']);
  assert.deepEqual(codes({ ...obs, valueString: 'a', _valueString: { id: 'v1' } }), []);
});

test('primitive extension companions', () => {
  const ext = { extension: [{ url: 'http://example.org/e', valueBoolean: true }] };
  assert.deepEqual(codes({ resourceType: 'Patient', birthDate: '1970', _birthDate: { id: 'b', ...ext } }), []);
  assert.deepEqual(codes({ resourceType: 'Patient', name: [{ given: ['A', null], _given: [null, ext] }] }), []);
  assert.deepEqual(codes({ resourceType: 'Patient', name: [{ _given: [ext] }] }), []);
  assert.deepEqual(codes({ resourceType: 'Patient', name: [{ given: ['A', 'B'], _given: [ext] }] }), ['structure Patient.name[0].given']);
  assert.deepEqual(codes({ resourceType: 'Patient', _birthDate: { value: 'x' } }), ['structure Patient.birthDate.value']);
  assert.deepEqual(codes({ resourceType: 'Patient', _birthDate: [ext] }), ['structure Patient.birthDate']);
  assert.deepEqual(codes({ resourceType: 'Patient', _birthDate: { extension: [{ url: 'u', valueDate: 'bad' }] } }),
    ['value Patient.birthDate.extension[0].value.ofType(date)']);
  // Element.id and Extension.url are not FHIR primitives: no companions.
  assert.deepEqual(codes({ resourceType: 'Patient', extension: [{ url: 'u', _url: ext, valueString: 'x' }] }), ['structure Patient.extension[0]._url']);
});

test('contained and Bundle entry resources are validated by their own type', () => {
  assert.deepEqual(codes({ resourceType: 'Patient', contained: [{ resourceType: 'Observation', id: 'o', code: { text: 'x' } }] }),
    ['required Patient.contained[0].status']);
  assert.deepEqual(codes({ resourceType: 'Patient', contained: [{ resourceType: 'Organization', id: 'o', foo: 1 }] }),
    ['structure Patient.contained[0].foo']);
  assert.deepEqual(codes({ resourceType: 'Patient', contained: [{ resourceType: 'Nope' }] }), ['invalid Patient.contained[0]']);
  assert.deepEqual(codes({ resourceType: 'Bundle', type: 'collection', entry: [
    { resource: { resourceType: 'Patient', gender: 'female' } },
    { resource: { resourceType: 'Patient', birthDate: 'yesterday' } },
  ] }), ['value Bundle.entry[1].resource.birthDate']);
  assert.deepEqual(codes({ resourceType: 'Parameters', parameter: [{ name: 'p', resource: { resourceType: 'Patient', x: 1 } }] }),
    ['structure Parameters.parameter[0].resource.x']);
});

test('the body must be a resource of a known type', () => {
  assert.deepEqual(codes([]), ['structure ']);
  assert.deepEqual(codes('x'), ['structure ']);
  assert.deepEqual(codes({ resourceType: 'Patientt' }), ['invalid ']);
  assert.deepEqual(codes({ name: [] }), ['invalid ']);
});

test('deep nesting is cut off rather than overflowing the stack', () => {
  let ext: Record<string, unknown> = { url: 'u', valueString: 'x' };
  for (let i = 0; i < 500; i++) ext = { url: 'u', extension: [ext] };
  assert.deepEqual(codes({ resourceType: 'Patient', extension: [ext] }).map((c) => c.split(' ')[0]), ['structure']);
});

test('FHIR (XML Schema) regexes are translated to JavaScript semantics', () => {
  assert.equal(xsdRegexToJs('[ \\r\\n\\t\\S]+'), '(?:[ \\r\\n\\t]|[^ \\t\\n\\r])+');
  assert.equal(xsdRegexToJs('[^\\s]+(\\s[^\\s]+)*'), '[^ \\t\\n\\r]+([ \\t\\n\\r][^ \\t\\n\\r]+)*');
  assert.equal(xsdRegexToJs('\\S*'), '[^ \\t\\n\\r]*');
  assert.equal(xsdRegexToJs('[A-Za-z0-9\\-\\.]{1,64}'), '[A-Za-z0-9\\-\\.]{1,64}');
});
