// A caller kept inside one patient's compartment (SMART patient-level scopes, core's
// CompartmentLimit): reads outside it are unknown (404), searches, includes, compartment and system
// searches and conditional criteria see only its members, writes that would change or leave a
// resource outside it are refused (403) and change nothing. Types with no place in the Patient
// compartment (Medication, Practitioner) hold nobody's data and stay reachable.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { SmartScopes, type Bundle, type CompartmentLimit, type FhirResponse, type Resource } from '@hestia/core';
import type { Fixture } from '../index.js';
import { assertOutcome, Dataset, idsOf, marker, type Query } from './support.js';

export function compartmentLimitSuite(fx: Fixture): void {
  describe('a caller limited to one patient compartment', () => {
    const ds = new Dataset(fx, 'limit');
    const code = marker('code-');
    const coding = (c: string) => ({ coding: [{ system: 'urn:hestia:limit', code: c }] });
    let r: Record<string, Resource>;
    let readOnly: CompartmentLimit, readWrite: CompartmentLimit, observationsOnly: CompartmentLimit;
    const id = (label: string) => r[label].id!;

    const limitOf = (scopes: string, patient: string) => SmartScopes.fromToken(scopes)!.limit(patient)!;
    const as = (limit: CompartmentLimit, method: string, path: string, opts: { body?: unknown; query?: Query; headers?: Record<string, string> } = {}) =>
      fx.client.request(method, path, { ...opts, limit });
    const bundle = async (limit: CompartmentLimit, path: string, query: Query) => {
      const res = await as(limit, 'GET', path, { query });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body as Bundle;
    };
    const sorted = (ids: string[]) => [...ids].sort();
    const refused = (res: FhirResponse, diagnostics: string) => assert.equal(assertOutcome(res, 403, 'forbidden').issue[0].diagnostics, diagnostics);
    const outside = (what: string) => `This caller's access is limited to the compartment of Patient/${id('pA')}: ${what}`;

    before(async () => {
      r = await ds.create({
        pA: { resourceType: 'Patient', name: [{ family: 'Inside' }] },
        pB: { resourceType: 'Patient', name: [{ family: 'Outside' }] },
        dr: { resourceType: 'Practitioner', name: [{ family: 'Doctor' }] },
        med: { resourceType: 'Medication', code: coding(code) },
        oA1: { resourceType: 'Observation', status: 'final', code: coding(code), subject: { reference: ds.ref('pA') }, performer: [{ reference: ds.ref('dr') }] },
        oA2: { resourceType: 'Observation', status: 'final', code: coding(code), subject: { reference: ds.ref('pA') } },
        oB1: { resourceType: 'Observation', status: 'final', code: coding(code), subject: { reference: ds.ref('pB') } },
      });
      readOnly = limitOf('patient/*.read openid', id('pA'));
      readWrite = limitOf('patient/*.cruds', id('pA'));
      observationsOnly = limitOf('patient/Observation.rs user/Patient.rs', id('pA'));
    });

    test('reads: members and non-compartment types are found, other patients and their data are unknown', async () => {
      for (const label of ['pA', 'oA1', 'med', 'dr']) assert.equal((await as(readOnly, 'GET', `${r[label].resourceType}/${id(label)}`)).status, 200, label);
      for (const label of ['pB', 'oB1']) {
        const path = `${r[label].resourceType}/${id(label)}`;
        assert.equal(assertOutcome(await as(readOnly, 'GET', path), 404, 'not-found').issue[0].diagnostics, `${path} is not known.`);
        assertOutcome(await as(readOnly, 'GET', `${path}/_history/1`), 404, 'not-found');
        assert.equal(assertOutcome(await as(readOnly, 'GET', `${path}/_history/9`), 404).issue[0].diagnostics, `${path} is not known.`, 'no version count leaks');
        assertOutcome(await as(readOnly, 'GET', `${path}/_history`), 404, 'not-found');
      }
      assert.equal((await as(readOnly, 'GET', `Patient/${id('pA')}/_history`)).status, 200);
      // A limit on Observation only leaves Patient whole.
      assert.equal((await as(observationsOnly, 'GET', `Patient/${id('pB')}`)).status, 200);
      assertOutcome(await as(observationsOnly, 'GET', `Observation/${id('oB1')}`), 404);
    });

    test('searches see only the compartment: type, _summary=count, chains, _has, compartment and system searches', async () => {
      const byCode: [string, string] = ['code', `urn:hestia:limit|${code}`];
      assert.deepEqual(sorted(idsOf(await bundle(readOnly, 'Observation', [byCode]))), sorted([id('oA1'), id('oA2')]));
      assert.equal((await bundle(readOnly, 'Observation', [byCode, ['_summary', 'count']])).total, 2);
      assert.deepEqual(idsOf(await bundle(readOnly, 'Observation', [byCode, ['subject', `Patient/${id('pB')}`]])), []);
      assert.deepEqual(idsOf(await bundle(readOnly, 'Observation', [byCode, ['subject:Patient.family', 'Outside']])), []);
      assert.deepEqual(idsOf(await bundle(readOnly, 'Patient', [ds.tagQuery, ['_has:Observation:subject:code', `urn:hestia:limit|${code}`]])), [id('pA')]);
      assert.deepEqual(idsOf(await bundle(readOnly, 'Medication', [byCode])), [id('med')]);
      assert.deepEqual(idsOf(await bundle(readOnly, `Patient/${id('pB')}/Observation`, [])), []);
      assert.deepEqual(sorted(idsOf(await bundle(readOnly, `Patient/${id('pA')}/Observation`, []))), sorted([id('oA1'), id('oA2')]));
      const system = await bundle(readOnly, '', [['_type', 'Patient,Observation,Practitioner'], ds.tagQuery]);
      assert.deepEqual(sorted(idsOf(system)), sorted([id('pA'), id('oA1'), id('oA2'), id('dr')]));
      refused(await as(readOnly, 'GET', '', { query: [ds.tagQuery] }), "This caller's access is limited to the compartment of Patient/" + id('pA') + ': a search across the whole server must name its resource types (_type).');
      assert.deepEqual(sorted(idsOf(await bundle(observationsOnly, 'Patient', [ds.tagQuery]))), sorted([id('pA'), id('pB')]));
    });

    test('_include and _revinclude add only what the caller may reach', async () => {
      const withSubject = await bundle(readOnly, 'Observation', [['code', `urn:hestia:limit|${code}`], ['_include', 'Observation:subject'], ['_include', 'Observation:performer']]);
      assert.deepEqual(sorted(idsOf(withSubject, 'include')), sorted([id('pA'), id('dr')]));
      const rev = await bundle(readOnly, 'Patient', [ds.tagQuery, ['_revinclude', 'Observation:subject']]);
      assert.deepEqual(idsOf(rev), [id('pA')]);
      assert.deepEqual(sorted(idsOf(rev, 'include')), sorted([id('oA1'), id('oA2')]));
      // Both patients match when Patient is not limited; the other patient's observation still stays out.
      const both = await bundle(observationsOnly, 'Patient', [ds.tagQuery, ['_revinclude', 'Observation:subject']]);
      assert.deepEqual(sorted(idsOf(both)), sorted([id('pA'), id('pB')]));
      assert.deepEqual(sorted(idsOf(both, 'include')), sorted([id('oA1'), id('oA2')]));
    });

    test('history across a type or the server is refused; operations other than $validate of a body too', async () => {
      refused(await as(readOnly, 'GET', 'Observation/_history'), outside('the history of all Observation resources is not available.'));
      refused(await as(readOnly, 'GET', '_history'), outside('the history of the whole server is not available.'));
      assert.equal((await as(readOnly, 'GET', 'Medication/_history', { query: [['_count', '1']] })).status, 200);
      refused(await as(readOnly, 'GET', `Patient/${id('pA')}/$validate`), outside('$validate is not available.'));
      assert.equal((await as(readOnly, 'POST', 'Observation/$validate', { body: { resourceType: 'Observation', status: 'final', code: coding('x') } })).status, 200);
    });

    test('writes: inside the compartment they work; changing or leaving a resource outside it is refused and changes nothing', async () => {
      const obs = (subject: string, c = code) => ({ resourceType: 'Observation', status: 'final', code: coding(c), subject: { reference: `Patient/${subject}` }, meta: { tag: [ds.tag] } });
      const created = await as(readWrite, 'POST', 'Observation', { body: obs(id('pA')) });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const mine = (created.body as Resource).id!;
      refused(await as(readWrite, 'POST', 'Observation', { body: obs(id('pB')) }), outside('this Observation would be outside it.'));
      refused(await as(readWrite, 'POST', 'Patient', { body: { resourceType: 'Patient' } }), outside('this Patient would be outside it.'));
      refused(await as(readWrite, 'PUT', `Observation/${id('oB1')}`, { body: { ...obs(id('pA')), id: id('oB1') } }), outside(`Observation/${id('oB1')} is outside it.`));
      refused(await as(readWrite, 'PUT', `Observation/${mine}`, { body: { ...obs(id('pB')), id: mine } }), outside('this Observation would be outside it.'));
      refused(await as(readWrite, 'PATCH', `Observation/${id('oB1')}`, { body: [{ op: 'replace', path: '/status', value: 'amended' }], headers: { 'content-type': 'application/json-patch+json' } }),
        outside(`Observation/${id('oB1')} is outside it.`));
      refused(await as(readWrite, 'DELETE', `Observation/${id('oB1')}`), outside(`Observation/${id('oB1')} is outside it.`));
      const untouched = await fx.client.request('GET', `Observation/${id('oB1')}`);
      assert.equal(untouched.status, 200);
      assert.equal((untouched.body as Resource).meta?.versionId, '1');
      assert.equal((untouched.body as { status?: string }).status, 'final');

      // Conditional criteria match only inside: a conditional delete takes this patient's, a
      // conditional create that only the other patient's resource matches creates.
      const other = marker('cond-');
      const theirs = await fx.client.create(obs(id('pB'), other));
      const ours = await fx.client.create(obs(id('pA'), other));
      assert.equal((await as(readWrite, 'DELETE', 'Observation', { query: [['code', `urn:hestia:limit|${other}`]] })).status, 204);
      assert.equal((await fx.client.request('GET', `Observation/${ours.id}`)).status, 410);
      assert.equal((await fx.client.request('GET', `Observation/${theirs.id}`)).status, 200);
      const conditional = await as(readWrite, 'POST', 'Observation', { body: obs(id('pA'), other), headers: { 'if-none-exist': `code=urn:hestia:limit|${other}` } });
      assert.equal(conditional.status, 201);
      assert.notEqual((conditional.body as Resource).id, theirs.id);

      assert.equal((await as(readWrite, 'DELETE', `Observation/${mine}`)).status, 204);
    });

    test('a transaction with one entry outside the compartment fails whole', async (t) => {
      if (!fx.adapter.capabilities.transactions) return t.skip('this adapter has no transactions');
      const fresh = marker('tx-');
      const entry = [
        { resource: { resourceType: 'Observation', status: 'final', code: coding(fresh), subject: { reference: `Patient/${id('pA')}` } }, request: { method: 'POST', url: 'Observation' } },
        { resource: { resourceType: 'Observation', id: id('oB1'), status: 'amended', code: coding(fresh), subject: { reference: `Patient/${id('pA')}` } }, request: { method: 'PUT', url: `Observation/${id('oB1')}` } },
      ];
      const res = await as(readWrite, 'POST', '', { body: { resourceType: 'Bundle', type: 'transaction', entry } });
      assertOutcome(res, 403, 'forbidden');
      assert.deepEqual(await fx.client.ids('Observation', [['code', `urn:hestia:limit|${fresh}`]]), []);
      assert.equal(((await fx.client.request('GET', `Observation/${id('oB1')}`)).body as Resource).meta?.versionId, '1');
    });
  });
}
