import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { definitions } from '../src/definitions.js';
import { Indexer } from '../src/search/indexer.js';
import type { Resource } from '../src/types.js';

const data = new URL('../../../../shared/data/', import.meta.url).pathname;
const examples = readdirSync(join(data, 'hl7-r4-examples')).map((f) => JSON.parse(readFileSync(join(data, 'hl7-r4-examples', f), 'utf8')) as Resource);
const synthea = (JSON.parse(readFileSync(join(data, 'synthea-r4/smart-synthea-2019', readdirSync(join(data, 'synthea-r4/smart-synthea-2019')).find((f) => !f.startsWith('hosp') && !f.startsWith('pract'))!), 'utf8')) as { entry: { resource: Resource }[] }).entry.map((e) => e.resource);

test('the direct path walker gives exactly the index entries fhirpath.js gives, on every HL7 example and a Synthea patient', () => {
  const defs = definitions('r4');
  const fast = new Indexer(defs, true);
  const slow = new Indexer(defs, true);
  slow.fastPaths = false;
  let entries = 0;
  for (const r of [...examples, ...synthea]) {
    const a = fast.extract(r);
    assert.deepEqual(a, slow.extract(r), `${r.resourceType}/${r.id}`);
    entries += a.length;
  }
  assert.ok(entries > 15000, String(entries));
});

test('index values: dates by precision, strings normalized, references split, tokens from CodeableConcepts', () => {
  const ix = new Indexer(definitions('r4'));
  const e = ix.extract({ resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '1-8', display: 'Ácido' }] },
    subject: { reference: 'Patient/p1' }, effectiveDateTime: '2020-02', valueQuantity: { value: 4.2, system: 'http://unitsofmeasure.org', code: 'mg' } } as Resource);
  const by = (code: string) => e.filter((x) => x.code === code).map((x) => x.value);
  assert.deepEqual(by('code'), [{ type: 'token', system: 'http://loinc.org', code: '1-8', text: 'acido' }]);
  assert.deepEqual(by('subject'), [{ type: 'reference', targetType: 'Patient', targetId: 'p1', url: null }]);
  assert.deepEqual(by('date'), [{ type: 'date', low: Date.UTC(2020, 1, 1), high: Date.UTC(2020, 2, 1) - 1 }]);
  assert.deepEqual(by('value-quantity'), [{ type: 'quantity', value: 4.2, system: 'http://unitsofmeasure.org', code: 'mg', unit: null }]);
});
