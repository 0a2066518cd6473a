import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScope, permissionsFor, SmartScopes } from '../src/smart-scopes.js';
import type { Route } from '../src/router.js';

const perms = (scope: string) => {
  const s = parseScope(scope);
  return s && `${s.level} ${s.type} ${[...s.permissions].join('')}`;
};

test('scopes: v1 and v2 syntax, the Azure AD dotted form, and what is not a resource scope', () => {
  const table: [string, string | undefined][] = [
    ['patient/Observation.read', 'patient Observation rs'],
    ['user/*.write', 'user * cud'],
    ['system/*.*', 'system * cruds'],
    ['patient/Observation.rs', 'patient Observation rs'],
    ['user/Patient.cruds', 'user Patient cruds'],
    ['user/Patient.cd', 'user Patient cd'],
    ['patient.Observation.read', 'patient Observation rs'],
    ['patient.all.read', 'patient * rs'],
    // v2 search restrictions cannot be applied: the scope grants nothing.
    ['patient/Observation.rs?category=laboratory', 'patient Observation '],
    ['patient/Observation.sr', undefined],
    ['patient/Observation.rw', undefined],
    ['patient/Observation.', undefined],
    ['practitioner/Observation.read', undefined],
    ['openid', undefined],
    ['launch/patient', undefined],
    ['fhirUser', undefined],
    ['offline_access', undefined],
    ['api://hestia/patient.Observation.read', undefined],
  ];
  assert.deepEqual(table.map(([s]) => [s, perms(s)]), table);
  assert.equal(SmartScopes.fromToken('openid profile launch'), undefined);
  assert.equal(SmartScopes.fromToken(undefined), undefined);
  assert.equal(SmartScopes.fromToken(['openid', 'user/*.read'])?.scopes.length, 1);
});

test('what each interaction needs', () => {
  const needs = (route: Route) => permissionsFor(route)?.join('') ?? null;
  assert.equal(needs({ interaction: 'read', resourceType: 'Patient', id: '1' }), 'r');
  assert.equal(needs({ interaction: 'search-type', resourceType: 'Patient' }), 's');
  assert.equal(needs({ interaction: 'create', resourceType: 'Patient' }), 'c');
  assert.equal(needs({ interaction: 'conditional-patch', resourceType: 'Patient' }), 'u');
  assert.equal(needs({ interaction: 'hard-delete', resourceType: 'Patient', id: '1' }), 'd');
  assert.equal(needs({ interaction: 'operation', operation: 'export' }), 'rs');
  assert.equal(needs({ interaction: 'operation', operation: 'reindex' }), 'cruds');
  assert.equal(needs({ interaction: 'transaction' }), null);
  assert.equal(needs({ interaction: 'capabilities' }), null);
});

test('refusals name what is missing; patient-level scopes need a patient', () => {
  const s = SmartScopes.fromToken('patient/Observation.rs user/Patient.read')!;
  const read = (resourceType: string): Route => ({ interaction: 'read', resourceType, id: '1' });
  assert.equal(s.refusal(read('Observation'), 'p1'), undefined);
  assert.equal(s.refusal(read('Patient'), undefined), undefined);
  assert.equal(s.refusal(read('Observation'), undefined),
    "The token's patient-level scopes allow 'r' on Observation only with a patient context, and the token names no patient (claim 'patient', or 'fhirUser' naming a Patient).");
  assert.equal(s.refusal(read('Condition'), 'p1'), "The token's SMART scopes do not allow 'r' on Condition.");
  assert.equal(s.refusal({ interaction: 'create', resourceType: 'Observation' }, 'p1'), "The token's SMART scopes do not allow 'c' on Observation.");
  assert.equal(s.refusal({ interaction: 'search-system' }, 'p1'), "The token's SMART scopes do not allow 's' on every resource type.");
  // The types the criteria read need 's': a chain into Condition is refused.
  assert.equal(s.refusal({ interaction: 'search-type', resourceType: 'Observation', reads: ['Patient'] }, 'p1'), undefined);
  assert.equal(s.refusal({ interaction: 'search-type', resourceType: 'Observation', reads: ['Condition'] }, 'p1'), "The token's SMART scopes do not allow 's' on Condition.");
  assert.equal(s.refusal({ interaction: 'search-type', resourceType: 'Observation', reads: '*' }, 'p1'), "The token's SMART scopes do not allow 's' on every resource type.");
  // A compartment search needs 's' on the type searched, not on the compartment's type.
  assert.equal(SmartScopes.fromToken('user/Observation.s')!.refusal({ interaction: 'search-compartment', resourceType: 'Patient', id: '1', compartmentType: 'Observation' }, undefined), undefined);
});

test('the compartment limit: types patient-level scopes grant more on than wider scopes', () => {
  const limit = SmartScopes.fromToken('patient/Observation.cruds patient/Patient.r user/Patient.rs user/Observation.rs')!.limit('p1')!;
  assert.equal(limit.compartment, 'Patient');
  assert.equal(limit.id, 'p1');
  assert.equal(limit.covers('Observation'), true, 'writes are granted at patient level only');
  assert.equal(limit.covers('Patient'), false, 'everything patient/Patient grants, user/Patient grants too');
  assert.equal(limit.covers('Condition'), false, 'nothing granted');
  assert.equal(SmartScopes.fromToken('patient/*.read')!.limit(undefined), undefined, 'no patient: no limit (the scopes then grant nothing)');
  assert.equal(SmartScopes.fromToken('user/*.read')!.limit('p1'), undefined, 'no patient-level scope');
  assert.equal(SmartScopes.fromToken('patient/*.read system/*.read')!.limit('p1')!.covers('Observation'), false);
});
