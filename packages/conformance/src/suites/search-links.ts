// Searches across references (https://hl7.org/fhir/R4/search.html#chaining, #has, #include):
// chained parameters (one and two levels), reverse chaining with _has (also nested), and
// _include / _revinclude with :iterate and their search.mode.
import { describe, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Fixture } from '../index.js';
import { Dataset, getBundle, idsOf, q, searchTable, sorted, walk } from './support.js';

const CODES = 'http://hestia.test/link-codes';

export function searchLinksSuite(fx: Fixture): void {
  describe('search across references: chaining, _has, _include, _revinclude', () => {
    const ds = new Dataset(fx, 'links');

    before(async () => {
      const obs = (code: string, subject: string, encounter?: string) => ({
        resourceType: 'Observation', status: 'final', code: { coding: [{ system: CODES, code }] },
        subject: { reference: ds.ref(subject) }, ...(encounter ? { encounter: { reference: ds.ref(encounter) } } : {}),
      });
      await ds.create({
        acme: { resourceType: 'Organization', name: 'Acme Health' },
        beta: { resourceType: 'Organization', name: 'Beta Clinic' },
        pA: { resourceType: 'Patient', name: [{ family: 'Chainer' }], birthDate: '1980-02-03', managingOrganization: { reference: ds.ref('acme') } },
        pB: { resourceType: 'Patient', name: [{ family: 'Linker' }], birthDate: '1970-01-01', managingOrganization: { reference: ds.ref('beta') } },
        pC: { resourceType: 'Patient', name: [{ family: 'Orphan' }] },
        e1: { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, subject: { reference: ds.ref('pA') } },
        e2: { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, subject: { reference: ds.ref('pB') } },
        oA1: obs('x', 'pA', 'e1'),
        oA2: obs('y', 'pA'),
        oB1: obs('y', 'pB', 'e2'),
        oC1: obs('y', 'pC'),
      });
    });

    describe('chaining', () => {
      searchTable(ds, 'Observation', [
        ['subject:Patient.name=chainer', ['oA1', 'oA2']],
        ['subject:Patient.family=linker,orphan', ['oB1', 'oC1']],
        ['subject.name=linker', ['oB1']],
        ['patient.family=chainer&code=y', ['oA2']],
        ['subject:Patient.organization.name=acme', ['oA1', 'oA2']],
        ['subject:Patient.organization:Organization.name:exact=Beta Clinic', ['oB1']],
        ['encounter.subject:Patient.family=chainer', ['oA1']],
        ['subject:Patient.name=nobody', []],
        ['subject:Patient.organization:missing=true', ['oC1']],
        ['subject:Patient._id={pB}', ['oB1']],
        // A chain into a reverse chain: Observations of patients with a finished Encounter.
        ['subject:Patient._has:Encounter:subject:status=finished', ['oA1', 'oA2', 'oB1']],
      ]);
      searchTable(ds, 'Encounter', [
        ['subject:Patient.organization.name=beta', ['e2']],
        ['subject:Patient.organization.name=acme,beta', ['e1', 'e2']],
      ]);
    });

    describe('reverse chaining (_has), nested', () => {
      searchTable(ds, 'Patient', [
        [`_has:Observation:subject:code=${CODES}|x`, ['pA']],
        ['_has:Observation:subject:code=y', ['pA', 'pB', 'pC']],
        ['_has:Observation:subject:code=x&_has:Observation:subject:code=y', ['pA']],
        ['_has:Observation:subject:code=z', []],
        ['_has:Observation:patient:code=x,z', ['pA']],
        ['_has:Encounter:subject:_has:Observation:encounter:code=y', ['pB']],
        ['_has:Encounter:subject:_has:Observation:encounter:code=x', ['pA']],
        ['_has:Encounter:subject:status=finished&family=linker', ['pB']],
      ]);
      searchTable(ds, 'Organization', [
        ['_has:Patient:organization:_has:Observation:subject:code=x', ['acme']],
        ['_has:Patient:organization:_has:Observation:subject:code=y', ['acme', 'beta']],
        ['_has:Patient:organization:family=orphan', []],
      ]);
    });

    describe('_include and _revinclude (search.mode match / include)', () => {
      const cases: [string, string, string[], string[]][] = [
        ['Observation', 'code=x&_include=Observation:subject', ['oA1'], ['pA']],
        ['Observation', 'code=y&_include=Observation:subject:Patient', ['oA2', 'oB1', 'oC1'], ['pA', 'pB', 'pC']],
        ['Observation', 'code=y&_include=Observation:subject:Group', ['oA2', 'oB1', 'oC1'], []],
        ['Observation', 'code=x&_include=Observation:subject&_include=Patient:organization', ['oA1'], ['pA']],
        ['Observation', 'code=x&_include=Observation:subject&_include:iterate=Patient:organization', ['oA1'], ['pA', 'acme']],
        ['Observation', '_id={oA1}&_include=Observation:encounter&_include:iterate=Encounter:subject', ['oA1'], ['e1', 'pA']],
        ['Observation', '_id={oA1}&_include=Observation:*', ['oA1'], ['pA', 'e1']],
        ['Patient', '_id={pA}&_revinclude=Observation:subject', ['pA'], ['oA1', 'oA2']],
        ['Patient', '_id={pA},{pB}&_revinclude=Observation:subject&_revinclude=Encounter:subject', ['pA', 'pB'], ['oA1', 'oA2', 'oB1', 'e1', 'e2']],
        ['Organization', '_id={acme}&_revinclude=Patient:organization&_revinclude:iterate=Observation:subject', ['acme'], ['pA', 'oA1', 'oA2']],
        ['Organization', '_id={acme}&_revinclude=Patient:organization&_revinclude=Observation:subject', ['acme'], ['pA']],
        ['Patient', 'family=chainer,linker&_include=Patient:organization&_revinclude=Encounter:subject', ['pA', 'pB'], ['acme', 'beta', 'e1', 'e2']],
        ['Patient', '_id={pC}&_include=Patient:organization', ['pC'], []],
      ];
      for (const [type, query, match, include] of cases) {
        test(`${type}?${query}`, async () => {
          const resolved = query.replace(/\{(\w+)\}/g, (_m, label: string) => ds.id(label));
          const b = await getBundle(fx, type, [...q(resolved), ds.tagQuery]);
          const label = (id: string) => ds.label(id);
          assert.deepEqual(sorted(idsOf(b).map(label)), sorted(match), 'matches');
          assert.deepEqual(sorted(idsOf(b, 'include').map(label)), sorted(include), 'includes');
          assert.equal(new Set(b.entry!.map((e) => e.fullUrl)).size, b.entry!.length, 'no resource appears twice');
          if (b.total !== undefined) assert.equal(b.total, match.length, 'total counts the matches only');
        });
      }

      test('an included resource that is also a match appears once, as a match', async () => {
        const b = await getBundle(fx, 'Observation', [['_id', `${ds.id('oA1')},${ds.id('oA2')}`], ['_include', 'Observation:subject'], ['_revinclude', 'Observation:subject'], ds.tagQuery]);
        assert.deepEqual(sorted(idsOf(b).map((id) => ds.label(id))), ['oA1', 'oA2']);
        assert.deepEqual(idsOf(b, 'include').map((id) => ds.label(id)), ['pA']);
        assert.equal(b.entry!.length, 3);
      });

      // Each page includes what its own matches reference (or are referenced by), nothing of the
      // next page's, in either direction and with or without a sort.
      const pageCases: [string, string, Record<string, string[]>][] = [
        ['Observation', 'code=y&_include=Observation:subject', { oA2: ['pA'], oB1: ['pB'], oC1: ['pC'] }],
        ['Observation', 'code=y&_include=Observation:subject&_sort=-_id', { oA2: ['pA'], oB1: ['pB'], oC1: ['pC'] }],
        ['Patient', 'family=chainer,linker,orphan&_revinclude=Encounter:subject&_include=Patient:organization', { pA: ['e1', 'acme'], pB: ['e2', 'beta'], pC: [] }],
        ['Patient', 'family=chainer,linker,orphan&_revinclude=Encounter:subject&_sort=-birthdate', { pA: ['e1'], pB: ['e2'], pC: [] }],
      ];
      for (const [type, query, expected] of pageCases) {
        test(`pages of one: ${type}?${query}, next then previous`, async () => {
          const first = await getBundle(fx, type, [...q(query), ['_count', '1'], ds.tagQuery]);
          const forward = await walk(fx, first, 'next');
          const back = await walk(fx, forward[forward.length - 1], 'previous');
          for (const page of [...forward, ...back]) {
            const [match, ...more] = idsOf(page).map((id) => ds.label(id));
            assert.deepEqual(more, []);
            assert.deepEqual(sorted(idsOf(page, 'include').map((id) => ds.label(id))), sorted(expected[match]), `includes of ${match}`);
          }
          assert.deepEqual(sorted(forward.map((p) => ds.label(idsOf(p)[0]))), sorted(Object.keys(expected)));
          assert.equal(back.length, forward.length);
        });
      }

      test('deleted resources are not included', async () => {
        // (a dataset of its own: the deletions change nothing the other tests search)
        const own = new Dataset(fx, 'links-deleted');
        const obs = (code: string, subject: string) => ({ resourceType: 'Observation', status: 'final', code: { coding: [{ system: CODES, code }] }, subject: { reference: own.ref(subject) } });
        await own.create({ gone: { resourceType: 'Patient', name: [{ family: 'Gone' }] }, kept: { resourceType: 'Patient', name: [{ family: 'Kept' }] } });
        await own.create({ oG1: obs('gone', 'gone'), oG2: obs('gone', 'kept'), oG3: obs('gone-too', 'kept') });
        for (const label of ['gone', 'oG3']) assert.equal((await fx.client.request('DELETE', own.ref(label))).status, 204);
        const inc = await getBundle(fx, 'Observation', [['code', 'gone'], ['_include', 'Observation:subject'], own.tagQuery]);
        assert.deepEqual(sorted(idsOf(inc).map((id) => own.label(id))), ['oG1', 'oG2']);
        assert.deepEqual(idsOf(inc, 'include').map((id) => own.label(id)), ['kept']);
        const rev = await getBundle(fx, 'Patient', [['_id', own.id('kept')], ['_revinclude', 'Observation:subject']]);
        assert.deepEqual(idsOf(rev, 'include').map((id) => own.label(id)), ['oG2']);
      });
    });
  });
}
