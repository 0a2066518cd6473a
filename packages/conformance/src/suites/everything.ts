// Patient/[id]/$everything: the patient, its compartment, and what those resources refer to that
// holds no patient's data; never another patient or another patient's data, even when referred
// to; paged like a search, with _type, _since and _count; clear 4xx for what it cannot do.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { SmartScopes, type Bundle, type Resource } from '@hestia/core';
import type { Fixture } from '../index.js';
import { assertOutcome, Dataset, idsOf, type Query } from './support.js';

export function everythingSuite(fx: Fixture): void {
  describe('Patient/$everything', () => {
    const ds = new Dataset(fx, 'everything');
    let r: Record<string, Resource>;
    const id = (label: string) => r[label].id!;
    const ids = (...labels: string[]) => labels.map(id).sort();
    const everything = async (query: Query = [], patient = 'pA') => {
      const res = await fx.client.request('GET', `Patient/${id(patient)}/$everything`, { query });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body as Bundle;
    };

    before(async () => {
      const subject = (label: string) => ({ reference: ds.ref(label) });
      r = await ds.create({
        pA: { resourceType: 'Patient', name: [{ family: 'Everything' }] },
        pB: { resourceType: 'Patient', name: [{ family: 'Other' }] },
        dr: { resourceType: 'Practitioner', name: [{ family: 'Carer' }] },
        org: { resourceType: 'Organization', name: 'Clinic' },
        med: { resourceType: 'Medication', code: { text: 'aspirin' } },
        oB1: { resourceType: 'Observation', status: 'final', code: { text: 'b' }, subject: subject('pB'), performer: [subject('dr')] },
        oA1: { resourceType: 'Observation', status: 'final', code: { text: 'a' }, subject: subject('pA'), performer: [subject('dr')] },
        // Refers to the other patient's observation, which must not come along.
        oA2: { resourceType: 'Observation', status: 'final', code: { text: 'a' }, subject: subject('pA'), hasMember: [subject('oB1')] },
        encA: { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, subject: subject('pA'), serviceProvider: subject('org') },
        rxA: { resourceType: 'MedicationRequest', status: 'active', intent: 'order', subject: subject('pA'), medicationReference: subject('med') },
        // Care dates (start, end): a patient of their own.
        pC: { resourceType: 'Patient', name: [{ family: 'Dated' }], birthDate: '1950-01-01' },
        oC2020: { resourceType: 'Observation', status: 'final', code: { text: 'c' }, subject: subject('pC'), effectiveDateTime: '2020-03-01T10:00:00Z', performer: [subject('dr')] },
        oC2021: { resourceType: 'Observation', status: 'final', code: { text: 'c' }, subject: subject('pC'), effectiveDateTime: '2021-06-01', performer: [subject('org')] },
        oCundated: { resourceType: 'Observation', status: 'final', code: { text: 'c' }, subject: subject('pC') },
        // Its period reaches into 2020 by two days.
        encC: { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, subject: subject('pC'), period: { start: '2019-12-30', end: '2020-01-02' } },
        encC2019: { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, subject: subject('pC'), period: { start: '2019-01-10', end: '2019-02-01' } },
        // Condition has no `date` parameter (its onset is onset-date): never held to care dates.
        condC: { resourceType: 'Condition', subject: subject('pC'), code: { text: 'c' }, onsetDateTime: '2010-01-01' },
      });
    });

    test('the patient, its compartment, and the practitioners, organizations and medications they refer to', async () => {
      const b = await everything();
      assert.equal(b.type, 'searchset');
      assert.deepEqual(idsOf(b).sort(), ids('pA', 'oA1', 'oA2', 'encA', 'rxA'));
      assert.deepEqual(idsOf(b, 'include').sort(), ids('dr', 'org', 'med'));
      assert.equal(b.total, 5);
      assert.match(b.link!.find((l) => l.relation === 'self')!.url, new RegExp(`/Patient/${id('pA')}/\\$everything$`));
    });

    test('paged like a search: next links walk every match once, each page with its own includes', async () => {
      const seen: string[] = [];
      let page = await everything([['_count', '2'], ['_type', 'Patient,Observation,Encounter,MedicationRequest,Practitioner,Organization,Medication']]);
      for (let n = 0; n < 10; n++) {
        const matched = idsOf(page);
        assert.ok(matched.length <= 2);
        seen.push(...matched);
        // Each page includes exactly what its own matches refer to: the patient when it is not on
        // the page, and what lies outside the compartment (never the other patient's observation).
        const refersTo: Record<string, string[]> = { oA1: ['pA', 'dr'], oA2: ['pA'], encA: ['pA', 'org'], rxA: ['pA', 'med'], pA: [] };
        const referred = new Set(matched.flatMap((m) => refersTo[Object.keys(refersTo).find((label) => id(label) === m)!].map(id)).filter((x) => !matched.includes(x)));
        assert.deepEqual(idsOf(page, 'include').sort(), [...referred].sort());
        const next = page.link?.find((l) => l.relation === 'next');
        if (!next) break;
        const url = new URL(next.url);
        assert.match(url.pathname, new RegExp(`/Patient/${id('pA')}/\\$everything$`));
        assert.equal(url.searchParams.get('_type'), 'Patient,Observation,Encounter,MedicationRequest,Practitioner,Organization,Medication');
        page = await everything([...url.searchParams] as Query);
      }
      assert.deepEqual(seen.sort(), ids('pA', 'oA1', 'oA2', 'encA', 'rxA'));
    });

    test('_type keeps to the types named, _since to what changed since, POST takes Parameters', async () => {
      const observations = await everything([['_type', 'Observation,Practitioner']]);
      assert.deepEqual(idsOf(observations).sort(), ids('oA1', 'oA2'));
      assert.deepEqual(idsOf(observations, 'include'), [id('dr')]);
      assert.deepEqual((await everything([['_since', '2999-01-01T00:00:00Z']])).entry ?? [], []);
      assert.deepEqual(idsOf(await everything([['_since', '2000-01-01T00:00:00Z'], ['_type', 'Encounter']])), [id('encA')]);
      const posted = await fx.client.request('POST', `Patient/${id('pA')}/$everything`, {
        body: { resourceType: 'Parameters', parameter: [{ name: '_type', valueString: 'MedicationRequest,Medication' }] },
      });
      assert.equal(posted.status, 200);
      assert.deepEqual(idsOf(posted.body as Bundle), [id('rxA')]);
      assert.deepEqual(idsOf(posted.body as Bundle, 'include'), [id('med')]);
    });

    test('start and end: what has a care date (`date`) overlapping them, and what has none', async () => {
      const dated = async (query: Query) => {
        const b = await everything(query, 'pC');
        return { match: idsOf(b).sort(), include: idsOf(b, 'include').sort() };
      };
      assert.deepEqual(await dated([['start', '2020-01-01'], ['end', '2020-12-31']]), { match: ids('pC', 'oC2020', 'oCundated', 'encC', 'condC'), include: ids('dr') });
      assert.deepEqual(await dated([['start', '2021']]), { match: ids('pC', 'oC2021', 'oCundated', 'condC'), include: ids('org') });
      assert.deepEqual(await dated([['end', '2019-06']]), { match: ids('pC', 'oCundated', 'encC2019', 'condC'), include: [] });
      assert.deepEqual(await dated([['start', '2020-01-03'], ['end', '2020-01-03']]), { match: ids('pC', 'oCundated', 'condC'), include: [] });
      assert.deepEqual(await dated([]), { match: ids('pC', 'oC2020', 'oC2021', 'oCundated', 'encC', 'encC2019', 'condC'), include: ids('dr', 'org') });
      // With _type, and in a POST's Parameters.
      assert.deepEqual(await dated([['start', '2020-01-01'], ['_type', 'Encounter']]), { match: ids('encC'), include: [] });
      const posted = await fx.client.request('POST', `Patient/${id('pC')}/$everything`, {
        body: { resourceType: 'Parameters', parameter: [{ name: 'start', valueDate: '2021-01-01' }, { name: '_type', valueString: 'Observation' }] },
      });
      assert.equal(posted.status, 200);
      assert.deepEqual(idsOf(posted.body as Bundle).sort(), ids('oC2021', 'oCundated'));
    });

    test('what it cannot do: 4xx with an OperationOutcome', async () => {
      for (const query of [[['start', 'last year']], [['end', '2020-01-01T10:00:00Z']], [['start', '2021-01-01'], ['end', '2020-12-31']]] as Query[]) {
        assertOutcome(await fx.client.request('GET', `Patient/${id('pA')}/$everything`, { query }), 400, 'invalid');
      }
      assertOutcome(await fx.client.request('GET', 'Patient/$everything'), 400);
      assertOutcome(await fx.client.request('GET', `Observation/${id('oA1')}/$everything`), 400);
      assertOutcome(await fx.client.request('GET', 'Patient/no-such-patient/$everything'), 404, 'not-found');
      assertOutcome(await fx.client.request('GET', `Patient/${id('pA')}/$everything`, { query: [['_type', 'Practitioner']] }), 400);
      assertOutcome(await fx.client.request('GET', `Patient/${id('pA')}/$everything`, { query: [['_since', 'yesterday']] }), 400);
      assertOutcome(await fx.client.request('DELETE', `Patient/${id('pA')}/$everything`), 405);
    });

    test('a caller limited to a patient gets its own $everything, not another one', async () => {
      const limit = SmartScopes.fromToken('patient/*.read')!.limit(id('pA'))!;
      const own = await fx.client.request('GET', `Patient/${id('pA')}/$everything`, { limit });
      assert.equal(own.status, 200);
      assert.deepEqual(idsOf(own.body as Bundle).sort(), ids('pA', 'oA1', 'oA2', 'encA', 'rxA'));
      assertOutcome(await fx.client.request('GET', `Patient/${id('pB')}/$everything`, { limit }), 403, 'forbidden');
    });

    test('the CapabilityStatement lists it on Patient', async () => {
      const cap = (await fx.client.request('GET', 'metadata')).body as unknown as { rest: { resource: { type: string; operation?: { name: string; definition: string }[] }[] }[] };
      const ops = (type: string) => cap.rest[0].resource.find((x) => x.type === type)!.operation?.map((o) => o.name) ?? [];
      assert.ok(ops('Patient').includes('everything'));
      assert.ok(!ops('Observation').includes('everything'));
    });
  });
}
