// What a search returns (https://hl7.org/fhir/R4/search.html#sort, #count, #total, #summary,
// #elements): _sort on several keys (missing values last in both directions, a stable order for
// ties), paging through next and previous links, _total, _summary and _elements.
import { describe, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Bundle, Resource } from '@hestia/core';
import type { Fixture } from '../index.js';
import { Dataset, getBundle, idsOf, walk, type Query } from './support.js';

const N = 45;
const PAGE = 7;
const FAMILIES = ['Adams', 'Baker', 'Clark', 'Davis', 'Evans'];
const SUBSETTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' };

type Key = string | undefined;

/** a before b (-1), after (1) or tied (0) on one key; missing values sort last in both directions. */
function compareKey(a: Key, b: Key, descending: boolean): number {
  if (a === b) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  return (a < b ? -1 : 1) * (descending ? -1 : 1);
}

export function searchResultsSuite(fx: Fixture): void {
  describe('search results: _sort, paging, _total, _summary, _elements', () => {
    const ds = new Dataset(fx, 'results');
    const labels = Array.from({ length: N }, (_, i) => `p${i}`);
    const family = (i: number) => FAMILIES[i % FAMILIES.length];
    const birthDate = (i: number) => (i % 6 === 0 ? undefined : `${1950 + (i % 7)}-06-15`);

    before(async () => {
      const rich = {
        text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Rich</div>' },
        maritalStatus: { text: 'married' },
        contact: [{ name: { family: 'Contact' } }],
        communication: [{ language: { text: 'Dutch' } }],
        gender: 'female',
        identifier: [{ system: 'http://hestia.test/results', value: 'rich' }],
      };
      await ds.create(Object.fromEntries(labels.map((label, i) => [label, {
        resourceType: 'Patient', name: [{ family: family(i), given: [label] }],
        ...(birthDate(i) ? { birthDate: birthDate(i) } : {}), ...(i === 0 ? rich : {}),
      }])));
    });

    /** Every match of a search, following next links with _count=PAGE; returns the pages. */
    const pages = async (query: Query) => walk(fx, await getBundle(fx, 'Patient', [...query, ds.tagQuery, ['_count', String(PAGE)]]), 'next');
    const label = (id: string) => ds.label(id);
    const keyOf = (l: string, code: string): Key => {
      const i = Number(l.slice(1));
      if (code === 'family') return family(i);
      if (code === 'birthdate') return birthDate(i);
      return undefined;
    };

    const sorts: [sort: string, keys: [code: string, descending: boolean][]][] = [
      ['family', [['family', false]]],
      ['-family', [['family', true]]],
      ['birthdate', [['birthdate', false]]],
      ['-birthdate', [['birthdate', true]]],
      ['family,-birthdate', [['family', false], ['birthdate', true]]],
      ['-birthdate,family', [['birthdate', true], ['family', false]]],
    ];
    for (const [sort, keys] of sorts) {
      test(`_sort=${sort}: ordered by each key in turn, missing values last, ties in a stable order across pages`, async () => {
        const all = await ds.labels('Patient', [['_sort', sort], ['_count', '100']]);
        assert.deepEqual([...all].sort(), [...labels].sort(), 'every resource once');
        for (let k = 1; k < all.length; k++) {
          const cmp = keys.map(([code, desc]) => compareKey(keyOf(all[k - 1], code), keyOf(all[k], code), desc)).find((c) => c !== 0) ?? 0;
          assert.ok(cmp <= 0, `${all[k - 1]} before ${all[k]} breaks _sort=${sort}`);
        }
        assert.deepEqual(await ds.labels('Patient', [['_sort', sort], ['_count', '100']]), all, 'the same order again');
        const forward = await pages([['_sort', sort]]);
        assert.deepEqual(forward.map((b) => idsOf(b).length), [7, 7, 7, 7, 7, 7, 3]);
        assert.deepEqual(forward.flatMap((b) => idsOf(b)).map(label), all, 'paged in the same order');
        const back = await walk(fx, forward[forward.length - 1], 'previous');
        assert.deepEqual(back.reverse().flatMap((b) => idsOf(b)).map(label), all, 'previous links walk back over the same pages');
      });
    }

    test('_sort=_id and _sort=-_lastUpdated give exact orders', async () => {
      const ids = labels.map((l) => ds.id(l));
      assert.deepEqual(await ds.labels('Patient', [['_sort', '_id'], ['_count', '100']]), [...ids].sort().map(label));
      assert.deepEqual(await ds.labels('Patient', [['_sort', '-_lastUpdated'], ['_count', '100']]), [...labels].reverse());
      assert.deepEqual(await ds.labels('Patient', [['_sort', 'family,_lastUpdated'], ['_count', '100']]),
        [...labels].sort((a, b) => compareKey(keyOf(a, 'family'), keyOf(b, 'family'), false) || Number(a.slice(1)) - Number(b.slice(1))));
    });

    test(`paging without _sort: ${N} matches, _count=${PAGE}, every match exactly once; _total=accurate on every page`, async () => {
      const forward = await pages([['_total', 'accurate']]);
      assert.deepEqual(forward.map((b) => idsOf(b).length), [7, 7, 7, 7, 7, 7, 3]);
      const seen = forward.flatMap((b) => idsOf(b)).map(label);
      assert.equal(new Set(seen).size, N, 'no duplicates');
      assert.deepEqual([...seen].sort(), [...labels].sort(), 'none skipped');
      assert.deepEqual(forward.map((b) => b.total), Array(forward.length).fill(N));
      assert.equal(forward[0].link!.find((l) => l.relation === 'previous'), undefined);
      assert.equal(forward[forward.length - 1].link!.find((l) => l.relation === 'next'), undefined);
      assert.ok(forward.every((b) => b.type === 'searchset' && b.link!.some((l) => l.relation === 'self')));
    });

    test('_summary=count: the total and no entries; _count=0 likewise returns no entries', async () => {
      const b = await getBundle(fx, 'Patient', [ds.tagQuery, ['_summary', 'count']]);
      assert.equal(b.total, N);
      assert.deepEqual(b.entry ?? [], []);
      const filtered = await getBundle(fx, 'Patient', [ds.tagQuery, ['family', 'adams'], ['_summary', 'count']]);
      assert.equal(filtered.total, 9);
      const zero = await getBundle(fx, 'Patient', [ds.tagQuery, ['_count', '0'], ['_total', 'accurate']]);
      assert.equal(zero.total, N);
      assert.deepEqual(idsOf(zero), []);
    });

    test('_summary=true keeps the summary elements and marks the resource SUBSETTED; _summary=data drops the narrative', async () => {
      const [full] = await fetchP0([]);
      const [summary] = await fetchP0([['_summary', 'true']]);
      assert.deepEqual(Object.keys(summary).sort(), ['birthDate', 'gender', 'id', 'identifier', 'meta', 'name', 'resourceType'].filter((k) => k in full).sort());
      assert.deepEqual(summary.meta!.tag, [ds.tag, SUBSETTED]);
      assert.deepEqual(summary.name, full.name);
      const [data] = await fetchP0([['_summary', 'data']]);
      assert.equal(data.text, undefined);
      assert.deepEqual(data.contact, full.contact);
      assert.deepEqual(data.meta!.tag, [ds.tag, SUBSETTED]);
      assert.deepEqual(full.meta!.tag, [ds.tag], 'the unshaped resource is not marked');
      // The read interaction takes _summary too.
      const read = await fx.client.request('GET', `Patient/${ds.id('p0')}`, { query: [['_summary', 'true']] });
      assert.deepEqual(read.body, summary);
    });

    test('_elements returns only the listed elements (plus id and meta), marked SUBSETTED', async () => {
      const [r] = await fetchP0([['_elements', 'gender,birthDate']]);
      assert.deepEqual(r, { resourceType: 'Patient', id: ds.id('p0'), meta: { ...ds.get('p0').meta, tag: [ds.tag, SUBSETTED] }, gender: 'female' });
      const [r2] = await fetchP0([['_elements', 'maritalStatus'], ['_elements', 'identifier']]);
      assert.deepEqual(Object.keys(r2).sort(), ['id', 'identifier', 'maritalStatus', 'meta', 'resourceType']);
    });

    /** p0 (the resource with every element) as a search returns it. */
    async function fetchP0(extra: Query): Promise<Resource[]> {
      const b: Bundle = await getBundle(fx, 'Patient', [['_id', ds.id('p0')], ds.tagQuery, ...extra]);
      assert.equal(b.entry!.length, 1);
      return [b.entry![0].resource!];
    }
  });
}
