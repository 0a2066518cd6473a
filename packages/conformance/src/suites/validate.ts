// $validate (http://hl7.org/fhir/R4/operation-resource-validate.html): 200 with an OperationOutcome
// whether or not the content is valid, with the same findings a create or update would give; 4xx
// only when the request cannot be validated. Nothing is ever written.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FhirResponse, OperationOutcome, Resource } from '@hestia/core';
import type { Fixture } from '../index.js';
import { assertOutcome } from './support.js';

export function validateSuite(fx: Fixture): void {
  describe('$validate', () => {
    const issues = (res: FhirResponse) => {
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const oo = res.body as OperationOutcome;
      assert.equal(oo.resourceType, 'OperationOutcome');
      return oo.issue.map((i) => `${i.severity} ${i.code}: ${i.diagnostics}`);
    };
    const params = (resource: Resource | undefined, mode?: string, profile?: string) => ({
      resourceType: 'Parameters',
      parameter: [...(resource ? [{ name: 'resource', resource }] : []), ...(mode ? [{ name: 'mode', valueCode: mode }] : []), ...(profile ? [{ name: 'profile', valueUri: profile }] : [])],
    });
    const validate = (path: string, body?: unknown, query: [string, string][] = []) => fx.client.request(body === undefined ? 'GET' : 'POST', `${path}/$validate`, { body, query });

    test('a valid resource, as the body or in Parameters: information only; nothing is stored', async () => {
      const marker = `validate-${Date.now()}`;
      const patient = { resourceType: 'Patient', identifier: [{ system: 'urn:hestia:validate', value: marker }], birthDate: '1980-02-29' };
      assert.deepEqual(issues(await validate('Patient', patient)), ['information informational: Valid: no issues found.']);
      assert.deepEqual(issues(await validate('Patient', params(patient, 'create'))), ['information informational: Valid for create: no issues found.']);
      assert.deepEqual(issues(await validate('Patient', patient, [['mode', 'create']])), ['information informational: Valid for create: no issues found.']);
      const found = await fx.client.request('GET', 'Patient', { query: [['identifier', `urn:hestia:validate|${marker}`]] });
      assert.deepEqual((found.body as { entry?: unknown[] }).entry ?? [], []);
    });

    test('an invalid resource: 200 with the findings a create would give', async () => {
      const bad = { resourceType: 'Patient', birthDate: 'yesterday', active: 'yes', gender: 'robot', foo: 1 };
      const found = issues(await validate('Patient', bad));
      const created = await fx.client.request('POST', 'Patient', { body: bad });
      assert.equal(created.status, 400);
      assert.deepEqual(found, (created.body as OperationOutcome).issue.map((i) => `${i.severity} ${i.code}: ${i.diagnostics}`));
      assert.equal(found.length, 4, found.join('\n'));
      assert.ok(found.includes('error code-invalid: Code "robot" is not in the required value set http://hl7.org/fhir/ValueSet/administrative-gender (female, male, other, unknown) (at Patient.gender)'), found.join('\n'));
      assert.deepEqual(issues(await validate('Observation', { resourceType: 'Patient' })), ['error invalid: The body is a Patient, but the URL is for Observation.']);
    });

    test('on a resource: its stored version (GET), new content against its id, update and delete modes', async () => {
      const p = await fx.client.create({ resourceType: 'Patient', active: true });
      assert.deepEqual(issues(await validate(`Patient/${p.id}`)), ['information informational: Valid: no issues found.']);
      assert.deepEqual(issues(await validate(`Patient/${p.id}`, params({ resourceType: 'Patient', id: p.id, active: false }, 'update'))), ['information informational: Valid for update: no issues found.']);
      assert.deepEqual(issues(await validate(`Patient/${p.id}`, params({ resourceType: 'Patient', id: 'other', active: false }, 'update'))),
        [`error invalid: The body's id 'other' does not match the URL's id '${p.id}'.`]);
      assert.deepEqual(issues(await validate(`Patient/${p.id}`, params(undefined, 'delete'))), ['information informational: Valid for delete: no issues found.']);
      assert.deepEqual(issues(await validate('Patient/no-such-patient', params(undefined, 'delete'))), ['error not-found: Patient/no-such-patient does not exist, so there is nothing to delete.']);
      // The stored resource is unchanged.
      const read = await fx.client.request('GET', `Patient/${p.id}`);
      assert.equal((read.body as unknown as { active: boolean }).active, true);
      assert.equal((read.body as Resource).meta?.versionId, '1');
    });

    test('requests that cannot be validated: 4xx', async () => {
      assertOutcome(await validate('Patient', params(undefined)), 400);
      assertOutcome(await validate('Patient', params({ resourceType: 'Patient' }, 'update')), 400);
      assertOutcome(await validate('Patient/x', params({ resourceType: 'Patient', id: 'x' }, 'create')), 400);
      assertOutcome(await validate('Patient', params({ resourceType: 'Patient' }, 'purge')), 400);
      assertOutcome(await validate('Patient', params({ resourceType: 'Patient' }, undefined, 'http://example.org/StructureDefinition/my-patient')), 400, 'not-supported');
      assert.deepEqual(issues(await validate('Patient', params({ resourceType: 'Patient' }, undefined, 'http://hl7.org/fhir/StructureDefinition/Patient'))), ['information informational: Valid: no issues found.']);
      assertOutcome(await validate('Patient/never-stored'), 400);
      assertOutcome(await fx.client.request('POST', '$validate', { body: { resourceType: 'Patient' } }), 400);
      assertOutcome(await validate('Patient', [1, 2]), 400, 'structure');
      assert.equal((await fx.client.request('DELETE', 'Patient/$validate')).status, 405);
    });
  });
}
