// Resources held as their stored JSON text: parsed only when read, written out as the text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defineStored, jsonPieces, peekStored, shareStored, storedJson, stringifyWithStored, withContent, type FhirResponse, type StoredVersion } from '../src/index.js';

const TEXT = '{"resourceType":"Patient","id":"p1","name":[{"family":"Stored \\u0000 \\"quoted\\""}]}';
const version = (): StoredVersion => withContent({ resourceType: 'Patient', id: 'p1', versionId: 1, lastUpdated: '2026-01-01T00:00:00.000Z', deleted: false }, TEXT);

test('a stored resource is parsed on first read, and from then on has no text', () => {
  const v = version();
  assert.equal(storedJson(v, 'resource'), TEXT);
  assert.deepEqual(Object.keys(v), ['resourceType', 'id', 'versionId', 'lastUpdated', 'deleted', 'resource']);
  assert.equal(v.resource!.id, 'p1');
  assert.equal(v.resource, v.resource, 'parsed once');
  assert.equal(storedJson(v, 'resource'), undefined);
});

test('assigning a new value forgets the text', () => {
  const holder = {} as { resource?: unknown };
  defineStored(holder, 'resource', TEXT);
  holder.resource = { resourceType: 'Patient', id: 'changed' };
  assert.equal(storedJson(holder, 'resource'), undefined);
  assert.equal(stringifyWithStored(holder, 'resource'), '{"resourceType":"Patient","id":"changed"}');
});

test('an object content (an adapter without the text) is kept as it is', () => {
  const v = withContent({ resourceType: 'Patient', id: 'p2', versionId: 1, lastUpdated: '2026-01-01T00:00:00.000Z', deleted: false }, { resourceType: 'Patient', id: 'p2' });
  assert.equal(storedJson(v, 'resource'), undefined);
  assert.deepEqual(v.resource, { resourceType: 'Patient', id: 'p2' });
});

test('a response body that nothing read is written as the stored text, byte for byte', () => {
  const res: FhirResponse = { status: 200, headers: {} };
  shareStored(res, 'body', version());
  assert.equal(stringifyWithStored(res, 'body'), TEXT);
});

test('a Bundle: unread entries are spliced in as text, read or plain ones serialized, all valid JSON', () => {
  const read = version();
  const entries = [{ fullUrl: 'a' }, { fullUrl: 'b' }, { fullUrl: 'c', resource: { resourceType: 'Patient', id: 'plain' } }] as Record<string, unknown>[];
  shareStored(entries[0], 'resource', version());
  shareStored(entries[1], 'resource', read);
  for (const e of entries) e.search = { mode: 'match' };
  entries[0].skipped = undefined; // (JSON leaves out undefined values)
  assert.equal(read.resource!.id, 'p1'); // read before serialization: no longer text, through the shared source
  const res: FhirResponse = { status: 200, headers: {}, body: { resourceType: 'Bundle', type: 'searchset', entry: entries } };
  const out = stringifyWithStored(res, 'body');
  assert.ok(out.includes(`"resource":${TEXT},"search"`), out);
  const parsed = JSON.parse(out);
  assert.deepEqual(parsed.entry.map((e: { fullUrl: string; resource: { id: string } }) => [e.fullUrl, e.resource.id]), [['a', 'p1'], ['b', 'p1'], ['c', 'plain']]);
  assert.equal(parsed.entry[0].resource.name[0].family, 'Stored \u0000 "quoted"');
  assert.deepEqual(parsed.entry.map((e: object) => Object.keys(e)), [['fullUrl', 'resource', 'search'], ['fullUrl', 'resource', 'search'], ['fullUrl', 'resource', 'search']]);
  // The same as plain JSON.stringify, which reads (and parses) everything.
  assert.equal(out, JSON.stringify(res.body));
});

test('jsonPieces: each unread stored text is a piece of its own, and the pieces make the whole text', () => {
  const entries = [{ fullUrl: 'a' }, { fullUrl: 'b', resource: { resourceType: 'Patient', id: 'plain' } }, { fullUrl: 'c' }] as Record<string, unknown>[];
  shareStored(entries[0], 'resource', version());
  shareStored(entries[2], 'resource', version());
  for (const e of entries) e.search = { mode: 'match' };
  const res: FhirResponse = { status: 200, headers: {}, body: { resourceType: 'Bundle', type: 'searchset', total: 3, entry: entries } };
  const pieces = jsonPieces(res, 'body');
  assert.deepEqual(pieces.map((p, i) => (p === TEXT ? i : -1)).filter((i) => i >= 0), [1, 3]);
  assert.equal(pieces.length, 5);
  assert.equal(pieces.join(''), JSON.stringify(res.body));
  // No stored text anywhere: one piece, plain JSON.
  assert.deepEqual(jsonPieces({ body: { resourceType: 'Bundle', entry: [] } }, 'body'), ['{"resourceType":"Bundle","entry":[]}']);
});

test('peekStored: the value, parsed afresh each time, while the text stays to go out as it is', () => {
  const v = version();
  const a = peekStored<{ id: string }>(v, 'resource')!, b = peekStored<{ id: string }>(v, 'resource')!;
  assert.equal(a.id, 'p1');
  assert.notEqual(a, b);
  assert.equal(storedJson(v, 'resource'), TEXT);
  // Once read (and so perhaps changed), the value itself.
  v.resource!.id = 'changed';
  assert.equal(peekStored<{ id: string }>(v, 'resource')!.id, 'changed');
});
