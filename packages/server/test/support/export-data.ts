// A small, known data set for export tests: six patients with encounters, observations and
// conditions; an Organization and a Practitioner outside the Patient compartment; one Observation
// in two patients' compartments; a Group of two patients; a deleted Observation; an updated Patient.
import assert from 'node:assert/strict';
import type { Resource } from '@hestia/core';

export const PATIENTS = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6'];
export const GROUP_MEMBERS = ['p1', 'p2'];
export const LOINC_A = '8302-2';
export const LOINC_B = '29463-7';

export function dataSet(): Resource[] {
  const out: Resource[] = [
    { resourceType: 'Organization', id: 'org-1', name: 'General Hospital' },
    { resourceType: 'Practitioner', id: 'pr-1', name: [{ family: 'Welby' }] },
  ];
  for (const p of PATIENTS) {
    out.push({ resourceType: 'Patient', id: p, name: [{ family: `Family-${p}`, given: ['Ann'] }], managingOrganization: { reference: 'Organization/org-1' }, text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${p}</div>` } });
    for (let e = 1; e <= 2; e++) out.push({ resourceType: 'Encounter', id: `enc-${p}-${e}`, status: 'finished', class: { code: 'AMB' }, subject: { reference: `Patient/${p}` } });
    for (let o = 1; o <= 3; o++) {
      out.push({
        resourceType: 'Observation', id: `obs-${p}-${o}`, status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: o === 2 ? LOINC_B : LOINC_A }] },
        subject: { reference: `Patient/${p}` }, encounter: { reference: `Encounter/enc-${p}-1` }, performer: [{ reference: 'Practitioner/pr-1' }],
        effectiveDateTime: `2020-0${o}-1${PATIENTS.indexOf(p)}`, valueQuantity: { value: 150 + o, unit: 'cm', system: 'http://unitsofmeasure.org', code: 'cm' },
      });
    }
    out.push({ resourceType: 'Condition', id: `cond-${p}`, subject: { reference: `Patient/${p}` }, code: { text: 'Headache' } });
  }
  // In p1's compartment (subject) and p2's (performer).
  out.push({ resourceType: 'Observation', id: 'obs-shared', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: LOINC_A }] }, subject: { reference: 'Patient/p1' }, performer: [{ reference: 'Patient/p2' }] });
  out.push({ resourceType: 'Group', id: 'grp-1', type: 'person', actual: true, member: GROUP_MEMBERS.map((p) => ({ entity: { reference: `Patient/${p}` } })) });
  out.push({ resourceType: 'Group', id: 'grp-empty', type: 'person', actual: true });
  return out;
}

/** Loads the data set by PUT (client ids; works on every storage), deletes one resource and updates another. */
export async function loadDataSet(base: string, headers: Record<string, string> = {}): Promise<void> {
  const put = async (r: Resource) => {
    const res = await fetch(`${base}/${r.resourceType}/${r.id}`, { method: 'PUT', headers: { 'content-type': 'application/fhir+json', ...headers }, body: JSON.stringify(r) });
    assert.ok(res.status === 201 || res.status === 200, `PUT ${r.resourceType}/${r.id}: ${res.status} ${await res.text()}`);
  };
  for (const r of dataSet()) await put(r);
  await put({ resourceType: 'Observation', id: 'obs-deleted', status: 'final', code: { text: 'gone' }, subject: { reference: 'Patient/p1' } });
  const del = await fetch(`${base}/Observation/obs-deleted`, { method: 'DELETE', headers });
  assert.equal(del.status, 204);
  await put({ resourceType: 'Patient', id: 'p3', name: [{ family: 'Family-p3', given: ['Ann', 'Updated'] }], gender: 'female' });
}
