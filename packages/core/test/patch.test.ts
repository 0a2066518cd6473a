import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyFhirPathPatch, applyJsonPatch } from '../src/patch.js';
import { definitions } from '../src/definitions.js';
import { FhirError } from '../src/errors.js';
import type { Resource } from '../src/types.js';

const defs = definitions('r4');

type Part = Record<string, unknown>;

/** One `operation` parameter from its parts, e.g. op('add', 'Patient', { name: 'birthDate', valueDate: '...' }). */
function op(type: string, path: string, parts: Record<string, unknown> = {}): Part {
  const part: Part[] = [{ name: 'type', valueCode: type }, { name: 'path', valueString: path }];
  for (const [key, value] of Object.entries(parts)) {
    if (key === 'name') part.push({ name: 'name', valueString: value });
    else if (key === 'index' || key === 'source' || key === 'destination') part.push({ name: key, valueInteger: value });
    else if (key === 'parts') part.push({ name: 'value', part: value });
    else part.push({ name: 'value', [key]: value }); // valueX
  }
  return { name: 'operation', part };
}

function params(...operations: Part[]): Resource {
  return { resourceType: 'Parameters', parameter: operations };
}

function patch(resource: Resource, ...operations: Part[]): Resource {
  return applyFhirPathPatch(defs, resource, params(...operations));
}

/** Asserts a FhirError with the given status (and optionally a message fragment). */
function fails(fn: () => unknown, status: number, fragment?: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof FhirError, `expected FhirError, got ${String(e)}`);
    assert.equal(e.status, status, e.message);
    if (fragment) assert.match(e.message, new RegExp(fragment));
    return true;
  });
}

const patient = (): Resource => ({
  resourceType: 'Patient',
  id: 'p1',
  identifier: [
    { system: 'urn:s', value: 'a' },
    { system: 'urn:s', value: 'b' },
    { system: 'urn:s', value: 'c' },
  ],
  active: true,
  name: [{ use: 'official', family: 'Chalmers', given: ['Peter', 'James'] }, { use: 'usual', given: ['Jim'] }],
  gender: 'male',
  birthDate: '1974-12-25',
});

const observation = (): Resource => ({
  resourceType: 'Observation',
  id: 'o1',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '29463-7' }] },
  valueQuantity: { value: 67, unit: 'kg' },
  component: [
    { code: { text: 'systolic' }, valueQuantity: { value: 120 } },
    { code: { text: 'diastolic' }, valueQuantity: { value: 80 } },
  ],
});

// --- Examples from the FHIRPath Patch page --------------------------------------------------

test('spec example: add birthDate to a Patient', () => {
  const out = patch({ resourceType: 'Patient', id: 'x' }, op('add', 'Patient', { name: 'birthDate', valueDate: '1930-01-01' }));
  assert.deepEqual(out, { resourceType: 'Patient', id: 'x', birthDate: '1930-01-01' });
});

test('spec example: add an anonymous (backbone) element from parts: Patient.contact', () => {
  const out = patch({ resourceType: 'Patient', id: 'x' },
    op('add', 'Patient', { name: 'contact', parts: [{ name: 'name', valueHumanName: { text: 'a name' } }] }));
  assert.deepEqual(out, { resourceType: 'Patient', id: 'x', contact: [{ name: { text: 'a name' } }] });
});

test('spec operations: insert, delete, replace and move on Patient.identifier', () => {
  const inserted = patch(patient(), op('insert', 'Patient.identifier', { index: 0, valueIdentifier: { system: 'urn:s', value: 'z' } }));
  assert.deepEqual(inserted.identifier, [
    { system: 'urn:s', value: 'z' }, { system: 'urn:s', value: 'a' }, { system: 'urn:s', value: 'b' }, { system: 'urn:s', value: 'c' },
  ]);
  const deleted = patch(patient(), op('delete', 'Patient.identifier[0]'));
  assert.deepEqual(deleted.identifier, [{ system: 'urn:s', value: 'b' }, { system: 'urn:s', value: 'c' }]);
  const replaced = patch(patient(), op('replace', 'Patient.birthDate', { valueDate: '1930-01-01' }));
  assert.equal(replaced.birthDate, '1930-01-01');
  const moved = patch(patient(), op('move', 'Patient.identifier', { source: 0, destination: 2 }));
  assert.deepEqual(moved.identifier, [{ system: 'urn:s', value: 'b' }, { system: 'urn:s', value: 'c' }, { system: 'urn:s', value: 'a' }]);
});

test('spec operations on Observation: add a component from parts, replace the value[x], delete a component', () => {
  const out = patch(observation(),
    op('add', 'Observation', {
      name: 'component',
      parts: [
        { name: 'code', valueCodeableConcept: { text: 'pulse' } },
        { name: 'value', valueQuantity: { value: 60, unit: '/min' } },
        { name: 'interpretation', valueCodeableConcept: { text: 'normal' } },
      ],
    }),
    op('replace', 'Observation.value', { valueString: 'heavy' }),
    op('delete', "Observation.component.where(code.text = 'systolic')"),
  );
  assert.deepEqual(out, {
    resourceType: 'Observation',
    id: 'o1',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '29463-7' }] },
    component: [
      { code: { text: 'diastolic' }, valueQuantity: { value: 80 } },
      { code: { text: 'pulse' }, valueQuantity: { value: 60, unit: '/min' }, interpretation: [{ text: 'normal' }] },
    ],
    valueString: 'heavy',
  });
});

// --- add --------------------------------------------------------------------------------------

test('add appends to a repeating element and creates it when absent', () => {
  const out = patch(patient(),
    op('add', 'Patient', { name: 'identifier', valueIdentifier: { value: 'd' } }),
    op('add', 'Patient', { name: 'telecom', valueContactPoint: { system: 'phone', value: '555' } }));
  assert.deepEqual(out.identifier, [...(patient().identifier as unknown[]), { value: 'd' }]);
  assert.deepEqual(out.telecom, [{ system: 'phone', value: '555' }]);
});

test('add into a nested element and into a primitive list (Patient.name.given)', () => {
  const out = patch(patient(),
    op('add', 'Patient.name[1]', { name: 'given', valueString: 'Jimmy' }),
    op('add', "Patient.name.where(use = 'usual')", { name: 'family', valueString: 'Windsor' }));
  assert.deepEqual(out.name, [
    { use: 'official', family: 'Chalmers', given: ['Peter', 'James'] },
    { use: 'usual', given: ['Jim', 'Jimmy'], family: 'Windsor' },
  ]);
});

test('add a choice element: the key takes the value type (deceasedBoolean)', () => {
  const out = patch(patient(), op('add', 'Patient', { name: 'deceased', valueBoolean: false }));
  assert.equal(out.deceasedBoolean, false);
  const typed = patch(patient(), op('add', 'Patient', { name: 'deceasedDateTime', valueDateTime: '2020-01-01' }));
  assert.equal(typed.deceasedDateTime, '2020-01-01');
});

test('add an extension from parts, at the resource and on a primitive (into _birthDate)', () => {
  const ext = [{ name: 'url', valueUri: 'http://example.org/x' }, { name: 'value', valueCode: 'y' }];
  const out = patch(patient(), op('add', 'Patient', { name: 'extension', parts: ext }), op('add', 'Patient.birthDate', { name: 'extension', parts: ext }));
  assert.deepEqual(out.extension, [{ url: 'http://example.org/x', valueCode: 'y' }]);
  assert.deepEqual(out._birthDate, { extension: [{ url: 'http://example.org/x', valueCode: 'y' }] });
  assert.equal(out.birthDate, '1974-12-25');
});

test('add nested parts build arrays where the definitions repeat and objects where they do not', () => {
  const out = patch({ resourceType: 'Patient' }, op('add', 'Patient', {
    name: 'contact',
    parts: [
      { name: 'relationship', valueCodeableConcept: { text: 'mother' } },
      { name: 'telecom', valueContactPoint: { value: '1' } },
      { name: 'telecom', valueContactPoint: { value: '2' } },
      { name: 'name', part: [{ name: 'family', valueString: 'Doe' }, { name: 'given', valueString: 'Jane' }] },
      { name: 'gender', valueCode: 'female' },
    ],
  }));
  assert.deepEqual(out, {
    resourceType: 'Patient',
    contact: [{
      relationship: [{ text: 'mother' }],
      telecom: [{ value: '1' }, { value: '2' }],
      name: { family: 'Doe', given: ['Jane'] },
      gender: 'female',
    }],
  });
});

test('add a contained resource given as a resource part', () => {
  const practitioner = { resourceType: 'Practitioner', id: 'pr', name: [{ family: 'Who' }] };
  const out = patch({ resourceType: 'Patient' }, { name: 'operation', part: [
    { name: 'type', valueCode: 'add' }, { name: 'path', valueString: 'Patient' },
    { name: 'name', valueString: 'contained' }, { name: 'value', resource: practitioner },
  ] });
  assert.deepEqual(out, { resourceType: 'Patient', contained: [practitioner] });
});

test('add into a backbone element, a content-referenced element and a primitive list item', () => {
  const p = { resourceType: 'Patient', name: [{ given: ['a', 'b'] }], contact: [{ name: { family: 'C' } }] };
  const out = patch(p,
    op('add', 'Patient.contact[0]', { name: 'gender', valueCode: 'female' }),
    op('add', 'Patient.name[0].given[1]', { name: 'extension', parts: [{ name: 'url', valueUri: 'u' }, { name: 'value', valueBoolean: true }] }));
  assert.deepEqual(out, {
    resourceType: 'Patient',
    name: [{ given: ['a', 'b'], _given: [null, { extension: [{ url: 'u', valueBoolean: true }] }] }],
    contact: [{ name: { family: 'C' }, gender: 'female' }],
  });
  const obs = patch(observation(), op('add', 'Observation.component[0]', { name: 'referenceRange', parts: [{ name: 'text', valueString: 'normal' }] }));
  assert.deepEqual((obs.component as unknown[])[0], { code: { text: 'systolic' }, valueQuantity: { value: 120 }, referenceRange: [{ text: 'normal' }] });
});

test('add fails on a single element that already has a value, an unknown element, or a wrong type', () => {
  fails(() => patch(patient(), op('add', 'Patient', { name: 'birthDate', valueDate: '2000-01-01' })), 422, 'already has a value');
  fails(() => patch({ resourceType: 'Patient', deceasedBoolean: true }, op('add', 'Patient', { name: 'deceased', valueDateTime: '2020' })), 422, 'already');
  fails(() => patch(patient(), op('add', 'Patient', { name: 'nickname', valueString: 'x' })), 422, 'not an element');
  fails(() => patch(patient(), op('add', 'Patient', { name: 'name', valueString: 'x' })), 422, 'cannot hold');
  fails(() => patch(patient(), op('add', 'Patient', { name: 'gender', valueHumanName: { text: 'x' } })), 422, 'cannot hold');
  fails(() => patch(patient(), op('add', 'Patient', { name: 'deceased', valueString: 'x' })), 422, 'cannot hold');
  fails(() => patch(patient(), op('add', 'Patient', { name: 'birthDate', parts: [{ name: 'x', valueString: 'y' }] })), 422, 'cannot hold');
});

test('add requires exactly one container', () => {
  fails(() => patch(patient(), op('add', 'Patient.name', { name: 'text', valueString: 'x' })), 422, 'matches 2');
  fails(() => patch(patient(), op('add', 'Patient.contact', { name: 'gender', valueCode: 'male' })), 422, 'matches 0');
});

// --- insert -----------------------------------------------------------------------------------

test('insert at the start, the middle and the end of a list', () => {
  const at = (index: number) =>
    (patch(patient(), op('insert', 'Patient.identifier', { index, valueIdentifier: { value: 'new' } })).identifier as { value: string }[]).map((i) => i.value);
  assert.deepEqual(at(0), ['new', 'a', 'b', 'c']);
  assert.deepEqual(at(1), ['a', 'new', 'b', 'c']);
  assert.deepEqual(at(3), ['a', 'b', 'c', 'new']);
});

test('insert into a primitive list and into an absent list', () => {
  const out = patch(patient(),
    op('insert', 'Patient.name[0].given', { index: 1, valueString: 'P.' }),
    op('insert', 'Patient.telecom', { index: 0, valueContactPoint: { value: '1' } }));
  assert.deepEqual((out.name as unknown[])[0], { use: 'official', family: 'Chalmers', given: ['Peter', 'P.', 'James'] });
  assert.deepEqual(out.telecom, [{ value: '1' }]);
});

test('insert keeps a primitive list aligned with its _companion', () => {
  const p = { resourceType: 'Patient', name: [{ given: ['a', 'b'], _given: [null, { id: 'g' }] }] };
  const out = patch(p, op('insert', 'Patient.name.given', { index: 0, valueString: 'z' }));
  assert.deepEqual(out.name, [{ given: ['z', 'a', 'b'], _given: [null, null, { id: 'g' }] }]);
});

test('insert fails when the index is out of range, the list is ambiguous, or the element does not repeat', () => {
  fails(() => patch(patient(), op('insert', 'Patient.identifier', { index: 4, valueIdentifier: { value: 'x' } })), 422, 'out of range');
  fails(() => patch(patient(), op('insert', 'Patient.telecom', { index: 1, valueContactPoint: { value: 'x' } })), 422, 'out of range');
  fails(() => patch(patient(), op('insert', 'Patient.name.given', { index: 0, valueString: 'x' })), 422, 'exactly one list');
  fails(() => patch(patient(), op('insert', 'Patient.birthDate', { index: 0, valueDate: '2000-01-01' })), 422);
  fails(() => patch(patient(), op('insert', 'Patient.maritalStatus', { index: 0, valueCodeableConcept: { text: 'x' } })), 422, 'not a repeating');
});

// --- delete -----------------------------------------------------------------------------------

test('delete a single element, a list item and a primitive list item', () => {
  const out = patch(patient(),
    op('delete', 'Patient.birthDate'),
    op('delete', "Patient.identifier.where(value = 'b')"),
    op('delete', 'Patient.name[0].given[0]'));
  assert.deepEqual(out, {
    resourceType: 'Patient',
    id: 'p1',
    identifier: [{ system: 'urn:s', value: 'a' }, { system: 'urn:s', value: 'c' }],
    active: true,
    name: [{ use: 'official', family: 'Chalmers', given: ['James'] }, { use: 'usual', given: ['Jim'] }],
    gender: 'male',
  });
});

test('delete of a path matching nothing is a no-op; matching several is an error', () => {
  assert.deepEqual(patch(patient(), op('delete', 'Patient.telecom')), patient());
  assert.deepEqual(patch(patient(), op('delete', "Patient.identifier.where(value = 'zz')")), patient());
  fails(() => patch(patient(), op('delete', 'Patient.identifier')), 422, 'matches 3');
});

test('delete removes empty objects and arrays left behind', () => {
  const p = { resourceType: 'Patient', name: [{ given: ['only'] }], maritalStatus: { coding: [{ code: 'M' }] } };
  const out = patch(p, op('delete', 'Patient.name.given'), op('delete', 'Patient.maritalStatus.coding'));
  assert.deepEqual(out, { resourceType: 'Patient' });
});

test('delete a choice element and a primitive together with its extensions', () => {
  const p = { resourceType: 'Patient', deceasedBoolean: false, birthDate: '2000-01-01', _birthDate: { extension: [{ url: 'u', valueString: 's' }] } };
  assert.deepEqual(patch(p, op('delete', 'Patient.deceased'), op('delete', 'Patient.birthDate')), { resourceType: 'Patient' });
});

test('delete an extension of a primitive removes the emptied _companion', () => {
  const p = { resourceType: 'Patient', birthDate: '2000-01-01', _birthDate: { extension: [{ url: 'u', valueString: 's' }] } };
  assert.deepEqual(patch(p, op('delete', 'Patient.birthDate.extension')), { resourceType: 'Patient', birthDate: '2000-01-01' });
});

test('delete in a primitive list keeps its _companion aligned', () => {
  const p = { resourceType: 'Patient', name: [{ given: ['a', 'b', 'c'], _given: [null, { id: 'g' }, null] }] };
  assert.deepEqual(patch(p, op('delete', 'Patient.name.given[0]')).name, [{ given: ['b', 'c'], _given: [{ id: 'g' }, null] }]);
  assert.deepEqual(patch(p, op('delete', 'Patient.name.given[1]')).name, [{ given: ['a', 'c'] }]);
});

test('delete in a contained resource', () => {
  const p = { resourceType: 'Patient', contained: [{ resourceType: 'Practitioner', id: 'pr', name: [{ family: 'A' }], active: true }] };
  assert.deepEqual(patch(p, op('delete', 'Patient.contained[0].active')).contained, [{ resourceType: 'Practitioner', id: 'pr', name: [{ family: 'A' }] }]);
});

// --- replace ----------------------------------------------------------------------------------

test('replace a primitive, a complex element, a list item and a primitive list item', () => {
  const out = patch(patient(),
    op('replace', 'Patient.gender', { valueCode: 'female' }),
    op('replace', 'Patient.name[1]', { valueHumanName: { text: 'Jim C.' } }),
    op('replace', "Patient.identifier.where(value = 'a').value", { valueString: 'A' }),
    op('replace', 'Patient.name[0].given[1]', { valueString: 'Jacob' }),
    op('replace', 'Patient.active', { valueBoolean: false }));
  assert.deepEqual(out, {
    resourceType: 'Patient',
    id: 'p1',
    identifier: [{ system: 'urn:s', value: 'A' }, { system: 'urn:s', value: 'b' }, { system: 'urn:s', value: 'c' }],
    active: false,
    name: [{ use: 'official', family: 'Chalmers', given: ['Peter', 'Jacob'] }, { text: 'Jim C.' }],
    gender: 'female',
    birthDate: '1974-12-25',
  });
});

test('replace a complex element with a value built from parts', () => {
  const out = patch(observation(), op('replace', 'Observation.code', { parts: [{ name: 'text', valueString: 'weight' }] }));
  assert.deepEqual(out.code, { text: 'weight' });
});

test('replace a choice element with another type changes the key', () => {
  const out = patch(observation(), op('replace', 'Observation.component[0].value', { valueInteger: 7 }));
  assert.deepEqual((out.component as unknown[])[0], { code: { text: 'systolic' }, valueInteger: 7 });
});

test('replace keeps the extensions of a primitive whose value changes', () => {
  const p = { resourceType: 'Patient', birthDate: '2000-01-01', _birthDate: { extension: [{ url: 'u', valueString: 's' }] } };
  assert.deepEqual(patch(p, op('replace', 'Patient.birthDate', { valueDate: '2001-02-03' })), { ...p, birthDate: '2001-02-03' });
});

test('replace must match exactly one element of the right type', () => {
  fails(() => patch(patient(), op('replace', 'Patient.telecom', { valueContactPoint: { value: 'x' } })), 422, 'matches 0');
  fails(() => patch(patient(), op('replace', 'Patient.name.given', { valueString: 'x' })), 422, 'matches 3');
  fails(() => patch(patient(), op('replace', 'Patient.birthDate', { valueHumanName: { text: 'x' } })), 422, 'cannot hold');
  fails(() => patch(observation(), op('replace', 'Observation.value', { valueCoding: { code: 'x' } })), 422, 'cannot hold');
  fails(() => patch(patient(), op('replace', "'abc'", { valueString: 'x' })), 422, 'does not select');
  fails(() => patch(patient(), op('replace', 'Patient', { valueString: 'x' })), 422, 'does not select');
  fails(() => patch(patient(), op('replace', 'Patient.resourceType', { valueString: 'Group' })), 422, 'resourceType');
});

// --- move -------------------------------------------------------------------------------------

test('move forwards and backwards within a list', () => {
  const values = (source: number, destination: number) =>
    (patch(patient(), op('move', 'Patient.identifier', { source, destination })).identifier as { value: string }[]).map((i) => i.value);
  assert.deepEqual(values(0, 2), ['b', 'c', 'a']);
  assert.deepEqual(values(2, 0), ['c', 'a', 'b']);
  assert.deepEqual(values(1, 1), ['a', 'b', 'c']);
});

test('move within a primitive list carries its _companion along', () => {
  const p = { resourceType: 'Patient', name: [{ given: ['a', 'b'], _given: [{ id: 'ga' }, null] }] };
  assert.deepEqual(patch(p, op('move', 'Patient.name.given', { source: 0, destination: 1 })).name, [{ given: ['b', 'a'], _given: [null, { id: 'ga' }] }]);
});

test('move fails for out-of-range indices and for paths that are not one list', () => {
  fails(() => patch(patient(), op('move', 'Patient.identifier', { source: 3, destination: 0 })), 422, 'out of range');
  fails(() => patch(patient(), op('move', 'Patient.identifier', { source: 0, destination: 3 })), 422, 'out of range');
  fails(() => patch(patient(), op('move', 'Patient.telecom', { source: 0, destination: 0 })), 422, 'out of range');
  fails(() => patch(patient(), op('move', 'Patient.name.given', { source: 0, destination: 1 })), 422, 'exactly one list');
  fails(() => patch(patient(), op('move', 'Patient.gender', { source: 0, destination: 0 })), 422);
});

// --- general behaviour ------------------------------------------------------------------------

test('operations apply in order, each seeing the previous result, to a copy of the input', () => {
  const input = patient();
  const before = structuredClone(input);
  const out = patch(input,
    op('add', 'Patient', { name: 'identifier', valueIdentifier: { value: 'd' } }),
    op('move', 'Patient.identifier', { source: 3, destination: 0 }),
    op('delete', 'Patient.identifier[1]'),
    op('replace', 'Patient.identifier[0].value', { valueString: 'D' }));
  assert.deepEqual((out.identifier as { value: string }[]).map((i) => i.value), ['D', 'b', 'c']);
  assert.deepEqual(input, before);
});

test('a failing operation leaves the input untouched', () => {
  const input = patient();
  fails(() => patch(input, op('delete', 'Patient.birthDate'), op('replace', 'Patient.telecom', { valueString: 'x' })), 422);
  assert.deepEqual(input, patient());
});

test('an empty Parameters changes nothing', () => {
  assert.deepEqual(applyFhirPathPatch(defs, patient(), { resourceType: 'Parameters' }), patient());
});

test('stu3 definitions use the stu3 model', () => {
  const out = applyFhirPathPatch(definitions('stu3'), patient(), params(op('replace', 'Patient.gender', { valueCode: 'other' })));
  assert.equal(out.gender, 'other');
});

// --- malformed Parameters (400) ---------------------------------------------------------------

test('malformed Parameters bodies are 400', () => {
  const bad = (body: unknown, fragment?: string) => fails(() => applyFhirPathPatch(defs, patient(), body as Resource), 400, fragment);
  bad({ resourceType: 'Patient' }, 'Parameters');
  bad({ resourceType: 'Parameters', parameter: {} });
  bad(params({ name: 'other', part: [] }), "named 'operation'");
  bad(params({ name: 'operation' }), 'no parts');
  bad(params(op('upsert', 'Patient')), 'unknown operation type');
  bad(params({ name: 'operation', part: [{ name: 'path', valueString: 'Patient' }] }), 'unknown operation type');
  bad(params({ name: 'operation', part: [{ name: 'type', valueCode: 'delete' }] }), "needs a 'path'");
  bad(params(op('replace', 'Patient.gender')), "needs a 'value'");
  bad(params(op('add', 'Patient', { valueDate: '2000-01-01' })), "needs a 'name'");
  bad(params(op('insert', 'Patient.identifier', { valueIdentifier: {} })), "needs a 'index'");
  bad(params(op('move', 'Patient.identifier', { source: 0 })), "needs a 'destination'");
  bad(params(op('insert', 'Patient.identifier', { index: -1, valueIdentifier: {} })), 'non-negative');
  bad(params(op('delete', 'Patient.name.where(')), 'invalid FHIRPath');
  bad(params(op('delete', '')), 'non-empty');
  bad(params(op('delete', 'Patient.name.noSuchFunction()')), 'unsupported FHIRPath');
  bad(params({ name: 'operation', part: [...(op('delete', 'Patient.gender').part as Part[]), { name: 'colour', valueString: 'x' }] }), 'unknown part');
  bad(params({ name: 'operation', part: [...(op('delete', 'Patient.gender').part as Part[]), { name: 'path', valueString: 'x' }] }), 'repeated');
  bad(params({ name: 'operation', part: [...(op('replace', 'Patient.gender').part as Part[]), { name: 'value' }] }), 'exactly one');
  bad(params({ name: 'operation', part: [...(op('replace', 'Patient.gender').part as Part[]), { name: 'value', valueCode: 'a', valueString: 'b' }] }), 'exactly one');
  bad(params(op('add', 'Patient', { name: 'contact', parts: [] })), 'empty part list');
  bad(params(op('add', 'Patient', { name: 'contact', parts: [{ valueString: 'x' }] })), 'needs a name');
});

// --- JSON Patch -------------------------------------------------------------------------------

test('JSON Patch add, replace and remove', () => {
  const input = patient();
  const out = applyJsonPatch(input, [
    { op: 'add', path: '/telecom', value: [{ system: 'phone', value: '555' }] },
    { op: 'add', path: '/name/0/given/-', value: 'Jr' },
    { op: 'replace', path: '/gender', value: 'female' },
    { op: 'remove', path: '/identifier/1' },
    { op: 'test', path: '/active', value: true },
  ]);
  assert.deepEqual(out, {
    ...patient(),
    telecom: [{ system: 'phone', value: '555' }],
    name: [{ use: 'official', family: 'Chalmers', given: ['Peter', 'James', 'Jr'] }, { use: 'usual', given: ['Jim'] }],
    gender: 'female',
    identifier: [{ system: 'urn:s', value: 'a' }, { system: 'urn:s', value: 'c' }],
  });
  assert.deepEqual(input, patient());
});

test('JSON Patch failures against the resource are 422', () => {
  fails(() => applyJsonPatch(patient(), [{ op: 'test', path: '/gender', value: 'female' }]), 422, 'test operation failed');
  fails(() => applyJsonPatch(patient(), [{ op: 'remove', path: '/telecom' }]), 422);
  fails(() => applyJsonPatch(patient(), [{ op: 'replace', path: '/name/5/family', value: 'x' }]), 422);
});

test('malformed JSON Patch bodies are 400', () => {
  fails(() => applyJsonPatch(patient(), { op: 'add' }), 400, 'array');
  fails(() => applyJsonPatch(patient(), [{ op: 'frobnicate', path: '/gender' }]), 400);
  fails(() => applyJsonPatch(patient(), [{ op: 'add', path: 'gender', value: 'x' }]), 400);
  fails(() => applyJsonPatch(patient(), [{ op: 'replace', path: '/gender' }]), 400);
  fails(() => applyJsonPatch(patient(), [42]), 400);
});
