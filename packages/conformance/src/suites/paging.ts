import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Bundle } from '@hestia/core';
import type { Fixture } from '../index.js';
import { getBundle as get, walk } from './support.js';

/** The matched ids of a search page (or the ids of a history page), in order. */
const ids = (b: Bundle) => (b.entry ?? []).filter((e) => e.search?.mode !== 'include').map((e) => e.resource!.id!);

export function pagingSuite(fx: Fixture): void {
  test('paging: next links visit every match once in sort order (nulls last), previous links walk back', async () => {
    const marker = `pg${Date.now().toString(36)}`;
    const dates = ['1990-05-01', undefined, '1970-01-01', '2001-12-31', '1985-07-15'];
    const made: { id: string; birthDate?: string }[] = [];
    for (const birthDate of dates) {
      const p = await fx.client.create({ resourceType: 'Patient', name: [{ family: marker }], ...(birthDate ? { birthDate } : {}) });
      made.push({ id: p.id!, birthDate });
    }
    const dated = made.filter((p) => p.birthDate).sort((a, b) => a.birthDate!.localeCompare(b.birthDate!)).map((p) => p.id);
    const undated = made.filter((p) => !p.birthDate).map((p) => p.id);
    const expectations: [string, string[]][] = [
      ['birthdate', [...dated, ...undated]],
      ['-birthdate', [...[...dated].reverse(), ...undated]],
    ];
    for (const [sort, expected] of expectations) {
      const first = await get(fx, 'Patient', [['family', marker], ['_sort', sort], ['_count', '2']]);
      const forward = await walk(fx, first, 'next');
      assert.deepEqual(forward.flatMap(ids), expected, `_sort=${sort}`);
      assert.deepEqual(forward.map((b) => ids(b).length), [2, 2, 1]);
      const back = await walk(fx, forward[forward.length - 1], 'previous');
      assert.deepEqual(back.reverse().flatMap(ids), expected, `_sort=${sort}, walking back`);
    }
    const unsorted = await walk(fx, await get(fx, 'Patient', [['family', marker], ['_count', '2']]), 'next');
    assert.deepEqual(unsorted.flatMap(ids).sort(), made.map((p) => p.id).sort());
  });

  test('paging: _history pages follow each other without gaps or repeats', async () => {
    const p = await fx.client.create({ resourceType: 'Basic', code: { text: 'v1' } });
    for (let v = 2; v <= 5; v++) {
      const r = await fx.client.request('PUT', `Basic/${p.id}`, { body: { ...p, code: { text: `v${v}` } } });
      assert.equal(r.status, 200);
    }
    const pages = await walk(fx, await get(fx, `Basic/${p.id}/_history`, [['_count', '2']]), 'next');
    assert.deepEqual(pages.map((b) => (b.entry ?? []).length), [2, 2, 1]);
    const versions = pages.flatMap((b) => (b.entry ?? []).map((e) => e.resource?.meta?.versionId));
    assert.deepEqual(versions, ['5', '4', '3', '2', '1']);
  });
}
