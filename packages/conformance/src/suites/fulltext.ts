import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Fixture } from '../index.js';

export function fullTextSuite(fx: Fixture): void {
  test('_text searches the narrative and _content every string (where the adapter supports full text)', async (t) => {
    if (!fx.adapter.capabilities.fullText) {
      const r = await fx.client.request('GET', 'Condition', { query: [['_content', 'x']] });
      assert.equal(r.status, 400);
      t.diagnostic(`${fx.adapter.name} declares no full-text search: _content answers 400`);
      return;
    }
    const marker = `zq${Date.now().toString(36)}`;
    const narrative = (s: string) => ({ status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml"><p>${s}</p></div>` });
    const a = await fx.client.create({ resourceType: 'Condition', subject: { reference: 'Patient/ft' }, code: { text: `Chronic ${marker} bronchitis` }, text: narrative('Severe cough &amp; fever') });
    const b = await fx.client.create({ resourceType: 'Condition', subject: { reference: 'Patient/ft' }, code: { text: `Acute ${marker} sinusitis` }, text: narrative('Mild headache') });
    assert.deepEqual((await fx.client.ids('Condition', [['_content', marker]])).sort(), [a.id, b.id].sort());
    assert.deepEqual(await fx.client.ids('Condition', [['_content', `${marker} bronchitis`]]), [a.id]);
    assert.deepEqual(await fx.client.ids('Condition', [['_content', `${marker} bronchitis,${marker} sinusitis`]]).then((x) => x.sort()), [a.id, b.id].sort());
    assert.deepEqual(await fx.client.ids('Condition', [['_content', marker], ['_text', 'cough']]), [a.id]);
    assert.deepEqual(await fx.client.ids('Condition', [['_content', marker], ['_text', 'headache']]), [b.id]);
    assert.deepEqual(await fx.client.ids('Condition', [['_content', marker], ['_text', 'bronchitis']]), []);
  });
}
