// Parameters common to all resources (https://hl7.org/fhir/R4/search.html#all): _id, _lastUpdated,
// _tag, _profile, _security, _source; :missing; unknown parameters (lenient and strict handling);
// invalid values; system, compartment and POST _search.
import { describe, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Bundle, OperationOutcome } from '@hestia/core';
import { BASE } from '../client.js';
import type { Fixture } from '../index.js';
import { assertOutcome, Dataset, getBundle, idsOf, q, searchTable, sorted } from './support.js';

const TAGS = 'http://hestia.test/tags';
const CONF = 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality';
const PROFILE = 'http://hestia.test/StructureDefinition';
const SOURCE = 'http://hestia.test/source';

export function searchCommonSuite(fx: Fixture): void {
  describe('search: parameters for all resources, errors, system, compartment and POST searches', () => {
    const ds = new Dataset(fx, 'common');

    before(async () => {
      await ds.create({
        s1: { resourceType: 'Patient', meta: { tag: [{ system: TAGS, code: 't1' }], profile: [`${PROFILE}/p1`], security: [{ system: CONF, code: 'R' }], source: `${SOURCE}#a` }, birthDate: '1990-01-01' },
        s2: { resourceType: 'Patient', meta: { tag: [{ system: TAGS, code: 't1' }, { system: TAGS, code: 't2' }], profile: [`${PROFILE}/p1`, `${PROFILE}/p2`], security: [{ system: CONF, code: 'N' }], source: `${SOURCE}#b` } },
        s3: { resourceType: 'Patient', birthDate: '1991-01-01' },
        s4: { resourceType: 'Patient', meta: { tag: [{ system: 'http://hestia.test/other-tags', code: 't2' }] } },
        os1: { resourceType: 'Observation', status: 'final', code: { text: 'common' }, subject: { reference: ds.ref('s1') } },
        os2: { resourceType: 'Observation', status: 'final', code: { text: 'common' }, subject: { reference: ds.ref('s1') }, valueString: 'second' },
        os3: { resourceType: 'Observation', status: 'final', code: { text: 'common' }, subject: { reference: ds.ref('s2') } },
        e1: { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, subject: { reference: ds.ref('s1') } },
      });
    });
    const lastUpdated = (label: string) => ds.get(label).meta!.lastUpdated!;

    describe('_id, _tag, _profile, _security, _source, :missing; a,b is OR, repeats are AND', () => searchTable(ds, 'Patient', [
      ['_id={s1},{s3}', ['s1', 's3']],
      ['_id={s2}', ['s2']],
      ['_id=no-such-id', []],
      [`_tag=${TAGS}|t1`, ['s1', 's2']],
      [`_tag=${TAGS}|t1&_tag=${TAGS}|t2`, ['s2']],
      [`_tag=${TAGS}|t2,${TAGS}|nothing`, ['s2']],
      ['_tag=t2', ['s2', 's4']],
      [`_tag:not=${TAGS}|t1`, ['s3', 's4']],
      [`_profile=${PROFILE}/p1`, ['s1', 's2']],
      [`_profile=${PROFILE}/p2`, ['s2']],
      [`_profile:missing=true`, ['s3', 's4']],
      [`_security=${CONF}|R`, ['s1']],
      ['_security=N', ['s2']],
      [`_source=${SOURCE}#a`, ['s1']],
      [`_source=${SOURCE}#a,${SOURCE}#b`, ['s1', 's2']],
      ['birthdate:missing=true', ['s2', 's4']],
      ['birthdate:missing=false', ['s1', 's3']],
      [`_id={s1},{s2},{s3}&_tag=${TAGS}|t1&birthdate:missing=false`, ['s1']],
    ]));

    test('_lastUpdated compares with the stored instants (prefixes, ranges)', async () => {
      const all = ['s1', 's2', 's3', 's4'];
      const check = async (query: string, expected: string[]) => assert.deepEqual(sorted(await ds.labels('Patient', q(query))), sorted(expected), query);
      await check(`_lastUpdated=ge${lastUpdated('s2')}`, ['s2', 's3', 's4']);
      await check(`_lastUpdated=gt${lastUpdated('s2')}`, ['s3', 's4']);
      await check(`_lastUpdated=lt${lastUpdated('s2')}`, ['s1']);
      await check(`_lastUpdated=le${lastUpdated('s2')}`, ['s1', 's2']);
      await check(`_lastUpdated=${lastUpdated('s3')}`, ['s3']);
      await check(`_lastUpdated=gt${lastUpdated('s1')}&_lastUpdated=lt${lastUpdated('s4')}`, ['s2', 's3']);
      await check(`_lastUpdated=ge${new Date(Date.parse(lastUpdated('s1')) - 3_600_000).toISOString()}`, all);
      await check(`_lastUpdated=gt${new Date(Date.now() + 3_600_000).toISOString()}`, []);
    });

    test('an unknown parameter is ignored (with a warning outcome entry); with Prefer: handling=strict it is a 400', async () => {
      const res = await fx.client.request('GET', 'Patient', { query: [['no-such-param', 'x'], ds.tagQuery] });
      assert.equal(res.status, 200);
      const b = res.body as Bundle;
      assert.deepEqual(sorted(idsOf(b)), sorted(['s1', 's2', 's3', 's4'].map((l) => ds.id(l))));
      const outcome = b.entry!.filter((e) => e.search?.mode === 'outcome');
      assert.equal(outcome.length, 1);
      assert.equal((outcome[0].resource as OperationOutcome).issue[0].severity, 'warning');
      assert.ok(!b.link!.find((l) => l.relation === 'self')!.url.includes('no-such-param'), 'the self link leaves out what was ignored');

      const lenient = await fx.client.request('GET', 'Patient', { query: [['no-such-param', 'x'], ds.tagQuery], headers: { prefer: 'handling=lenient' } });
      assert.equal(lenient.status, 200);
      assertOutcome(await fx.client.request('GET', 'Patient', { query: [['no-such-param', 'x'], ds.tagQuery], headers: { prefer: 'handling=strict' } }), 400);
    });

    const invalid: [string, string][] = [
      ['Patient', 'birthdate=2020-13-45'],
      ['Patient', 'birthdate=not-a-date'],
      ['Patient', 'birthdate=xx2020'],
      ['Patient', '_lastUpdated=yesterday'],
      ['RiskAssessment', 'probability=abc'],
      ['RiskAssessment', 'probability=gtabc'],
      ['Observation', 'value-quantity=zz5'],
      ['Observation', 'value-quantity=5|a'],
      ['Patient', 'gender=|'],
      ['Patient', 'family:nosuchmodifier=x'],
      ['Patient', 'gender:exact=male'],
      ['Patient', 'birthdate:contains=1990'],
      ['Patient', 'gender:missing=maybe'],
      ['Observation', 'subject=NoSuchType/1'],
      ['Observation', 'code-value-quantity=2345-7'],
      ['Patient', '_id=not_an_id!'],
      ['Patient', '_count=many'],
      ['Patient', '_sort=no-such-param'],
      ['Patient', '_summary=everything'],
      ['Patient', '_total=all'],
      ['Patient', '_include=Patient:no-such-param'],
      ['Patient', '_include=nonsense'],
      ['Patient', '_revinclude=*'],
      ['Patient', '_revinclude:iterate=Observation:*'],
      ['Patient', '_has:Observation:subject=x'],
      ['Patient', '_has:NoSuchType:subject:code=x'],
      ['Observation', 'subject:Patient.no-such-param=x'],
      ['Patient', '_ct=forged.token'],
      ['', '_type=NoSuchType'],
    ];
    for (const [type, query] of invalid) {
      test(`invalid: ${type}?${query} → 400 with an OperationOutcome`, async () => {
        assertOutcome(await fx.client.request('GET', type, { query: q(query) }), 400);
      });
    }

    test('system search: GET [base]?_type=Patient,Observation&_id=... returns both types; without _type every type', async () => {
      const b = await getBundle(fx, '', [['_type', 'Patient,Observation'], ['_id', [ds.id('s1'), ds.id('os1'), ds.id('e1')].join(',')], ds.tagQuery]);
      assert.deepEqual(sorted((b.entry ?? []).map((e) => `${e.resource!.resourceType}/${ds.label(e.resource!.id!)}`)), ['Observation/os1', 'Patient/s1']);
      assert.deepEqual(sorted(await ds.labels('', q(`_id=${ds.id('s1')},${ds.id('os1')},${ds.id('e1')}`))), ['e1', 'os1', 's1']);
      assert.deepEqual(sorted(await ds.labels('', [['_type', 'Encounter']])), ['e1']);
      const fullUrls = b.entry!.map((e) => e.fullUrl!).sort();
      assert.deepEqual(fullUrls, [`${BASE}/Observation/${ds.id('os1')}`, `${BASE}/Patient/${ds.id('s1')}`].sort());
    });

    test('compartment search: Patient/{id}/Observation and Patient/{id}/Encounter, with further parameters', async () => {
      const s1 = ds.id('s1');
      assert.deepEqual(sorted(await ds.labels(`Patient/${s1}/Observation`, [])), ['os1', 'os2']);
      assert.deepEqual(await ds.labels(`Patient/${s1}/Observation`, [['value-string', 'second']]), ['os2']);
      assert.deepEqual(await ds.labels(`Patient/${s1}/Encounter`, []), ['e1']);
      assert.deepEqual(await ds.labels(`Patient/${ds.id('s2')}/Observation`, []), ['os3']);
      assert.deepEqual(await ds.labels(`Patient/${ds.id('s3')}/Observation`, []), []);
      assertOutcome(await fx.client.request('GET', `Patient/${s1}/Organization`), 400);
    });

    test('POST Type/_search with a form body gives the same results as GET', async () => {
      const query = `_tag=${ds.tagQuery[1]}&birthdate:missing=false&_sort=birthdate`;
      const res = await fx.client.request('POST', 'Patient/_search', { body: new URLSearchParams(q(query)).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      assert.equal(res.status, 200);
      assert.deepEqual(idsOf(res.body as Bundle).map((id) => ds.label(id)), ['s1', 's3']);
      assert.deepEqual(await ds.labels('Patient', q('birthdate:missing=false&_sort=birthdate')), ['s1', 's3']);
      // Parameters in the URL and in the body both apply.
      const both = await fx.client.request('POST', 'Patient/_search', { query: [['_id', ds.id('s3')]], body: new URLSearchParams(q(query)).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      assert.deepEqual(idsOf(both.body as Bundle), [ds.id('s3')]);
      assert.deepEqual((res.body as Bundle).entry![0].resource, ds.get('s1'));
    });
  });
}
