import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { definitions } from '../src/definitions.js';
import { FhirError } from '../src/errors.js';
import { fromXml, toXml } from '../src/format/xml.js';
import type { Resource } from '../src/types.js';

const defs = definitions('r4');
const EXAMPLES = '/work/shared/data/hl7-r4-examples/';
const NS = 'xmlns="http://hl7.org/fhir"';
const XHTML = 'http://www.w3.org/1999/xhtml';

function rejects(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof FhirError, `expected a FhirError, got ${String(e)}`);
    assert.equal(e.status, 400);
    assert.match(e.message, message);
    return true;
  });
}

test('every official HL7 R4 example survives JSON -> XML -> JSON, compact and pretty', (t) => {
  const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.json')).sort();
  // No exceptions are needed: JSON.parse already reduces decimals to numbers (1.0 -> 1), which XML keeps.
  const failures: string[] = [];
  let passed = 0;
  for (const f of files) {
    const r = JSON.parse(readFileSync(EXAMPLES + f, 'utf8')) as Resource;
    try {
      const compact = fromXml(defs, toXml(defs, r));
      const pretty = fromXml(defs, toXml(defs, r, true));
      if (isDeepStrictEqual(compact, r) && isDeepStrictEqual(pretty, r)) passed++;
      else failures.push(f);
    } catch (e) {
      failures.push(`${f}: ${(e as Error).message}`);
    }
  }
  t.diagnostic(`round trip: ${passed} of ${files.length} official examples`);
  assert.deepEqual(failures, []);
  assert.equal(passed, 846);
});

test('writes the root, definition order, attributes, primitives and choice names', () => {
  const obs = {
    valueQuantity: { unit: 'mg', value: 1.5 },
    code: { text: 'x' },
    status: 'final',
    resourceType: 'Observation',
    id: 'o1',
    extension: [{ url: 'http://example.org/e', valueBoolean: true, id: 'e1' }],
  };
  assert.equal(toXml(defs, obs),
    `<Observation ${NS}><id value="o1"/><extension id="e1" url="http://example.org/e"><valueBoolean value="true"/></extension>`
    + '<status value="final"/><code><text value="x"/></code><valueQuantity><value value="1.5"/><unit value="mg"/></valueQuantity></Observation>');
  assert.equal(toXml(defs, { resourceType: 'Patient', active: true }, true),
    `<Patient ${NS}>\n  <active value="true"/>\n</Patient>`);
});

test('escapes attribute values, including line breaks and tabs', () => {
  const p = { resourceType: 'Patient', name: [{ text: 'a "quoted" <b> & \'c\'\n\tnext' }] };
  const xml = toXml(defs, p);
  assert.ok(xml.includes('value="a &quot;quoted&quot; &lt;b&gt; &amp; \'c\'&#10;&#9;next"'), xml);
  assert.deepEqual(fromXml(defs, xml), p);
  rejects(() => toXml(defs, { resourceType: 'Patient', name: [{ text: 'bell\u0007' }] }), /character XML 1.0 does not allow/);
});

test('primitive extensions and ids, including gaps in repeating primitives', () => {
  const xml = `<Patient ${NS}>
    <name>
      <given value="Ann"/>
      <given id="g2"><extension url="http://example.org/nick"><valueString value="Annie"/></extension></given>
      <given value="Lee"/>
    </name>
    <birthDate value="1970-03-30">
      <extension url="http://hl7.org/fhir/StructureDefinition/patient-birthTime"><valueDateTime value="1970-03-30T14:35:45-05:00"/></extension>
    </birthDate>
    <deceasedBoolean id="d"><extension url="http://example.org/x"><valueCode value="unknown"/></extension></deceasedBoolean>
  </Patient>`;
  const expected = {
    resourceType: 'Patient',
    name: [{
      given: ['Ann', null, 'Lee'],
      _given: [null, { id: 'g2', extension: [{ url: 'http://example.org/nick', valueString: 'Annie' }] }, null],
    }],
    birthDate: '1970-03-30',
    _birthDate: { extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/patient-birthTime', valueDateTime: '1970-03-30T14:35:45-05:00' }] },
    _deceasedBoolean: { id: 'd', extension: [{ url: 'http://example.org/x', valueCode: 'unknown' }] },
  };
  const r = fromXml(defs, xml);
  assert.deepEqual(r, expected);
  assert.deepEqual(fromXml(defs, toXml(defs, r)), expected);
  assert.ok(toXml(defs, r).includes('<given id="g2"><extension url="http://example.org/nick"><valueString value="Annie"/></extension></given>'));
});

test('primitive values become JSON booleans, numbers and strings', () => {
  const r = fromXml(defs, `<Observation ${NS}><status value="final"/><code><text value="007"/></code>
    <valueQuantity><value value="1.50"/></valueQuantity>
    <component><code><text value="c"/></code><valueInteger value="-3"/></component>
    <component><code><text value="d"/></code><valueBoolean value="false"/></component>
  </Observation>`);
  assert.deepEqual(r, {
    resourceType: 'Observation', status: 'final', code: { text: '007' }, valueQuantity: { value: 1.5 },
    component: [{ code: { text: 'c' }, valueInteger: -3 }, { code: { text: 'd' }, valueBoolean: false }],
  });
  rejects(() => fromXml(defs, `<Patient ${NS}><active value="yes"/></Patient>`), /Invalid boolean value 'yes' at Patient.active/);
  rejects(() => fromXml(defs, `<Patient ${NS}><multipleBirthInteger value="1.5"/></Patient>`), /Invalid integer/);
  rejects(() => fromXml(defs, `<Patient ${NS}><active/></Patient>`), /neither a value nor extensions/);
});

test('attribute values: references decoded, literal whitespace normalised, bad references rejected', () => {
  const r = fromXml(defs, `<Patient ${NS}><name><text value="a&amp;b &#x41;&#66;&lt;&quot;&apos;&#10;x\ny"/></name></Patient>`);
  assert.deepEqual(r, { resourceType: 'Patient', name: [{ text: 'a&b AB<"\'\nx y' }] });
  rejects(() => fromXml(defs, `<Patient ${NS}><name><text value="&nbsp;"/></name></Patient>`), /invalid '&nbsp;'/);
  rejects(() => fromXml(defs, `<Patient ${NS}><name><text value="&#0;"/></name></Patient>`), /invalid '&#0;'/);
  rejects(() => fromXml(defs, `<Patient ${NS}><name><text value="a < b"/></name></Patient>`), /invalid '<'/);
});

test('the narrative div is kept verbatim as XHTML', () => {
  const div = `<div xmlns='${XHTML}' lang="en">\r\n  <p>Tom &amp; Jerry &lt;3 &#160;</p><div><div>nested</div></div><br/>\n</div>`;
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Patient ${NS}><text><status value="generated"/>${div}</text><active value="true"/></Patient>`;
  const r = fromXml(defs, xml);
  assert.deepEqual(r, { resourceType: 'Patient', text: { status: 'generated', div }, active: true });
  assert.ok(toXml(defs, r).includes(div));
  assert.deepEqual(fromXml(defs, toXml(defs, r, true)), r);
  // A div without the XHTML namespace gets it on output (in XML it would otherwise be in the FHIR namespace).
  const bare = toXml(defs, { resourceType: 'Patient', text: { status: 'generated', div: '<div>hi</div>' } });
  assert.ok(bare.includes(`<div xmlns="${XHTML}">hi</div>`), bare);
  // The div cannot break out of its place in the document.
  rejects(() => toXml(defs, { resourceType: 'Patient', text: { status: 'generated', div: `<div xmlns="${XHTML}">x</div><active value="false"/>` } }),
    /single XHTML <div>/);
  rejects(() => toXml(defs, { resourceType: 'Patient', text: { status: 'generated', div: `<div xmlns="${XHTML}">x</text>` } }), /Malformed XML/);
  rejects(() => toXml(defs, { resourceType: 'Patient', text: { status: 'generated', div: 'just text' } }), /must be an XHTML <div>/);
  rejects(() => fromXml(defs, `<Patient ${NS}><text><status value="generated"/><div>no namespace</div></text></Patient>`), /wrong namespace/);
});

test('contained resources, Bundle entries and Parameters resources are wrapped in their type', () => {
  const bundle = {
    resourceType: 'Bundle', type: 'collection',
    entry: [
      { fullUrl: 'urn:uuid:1', resource: { resourceType: 'Patient', id: 'p', contained: [{ resourceType: 'Organization', id: 'org', name: 'Acme' }],
        managingOrganization: { reference: '#org' } } },
      { resource: { resourceType: 'Parameters', parameter: [{ name: 'r', resource: { resourceType: 'Basic', code: { text: 'b' } } }] } },
    ],
  };
  const xml = toXml(defs, bundle);
  assert.ok(xml.includes('<contained><Organization><id value="org"/><name value="Acme"/></Organization></contained>'), xml);
  assert.ok(xml.includes('<resource><Patient><id value="p"/>'), xml);
  assert.ok(xml.includes('<parameter><name value="r"/><resource><Basic><code><text value="b"/></code></Basic></resource></parameter>'), xml);
  assert.deepEqual(fromXml(defs, xml), bundle);
  rejects(() => fromXml(defs, `<Patient ${NS}><contained><Organization/><Organization/></contained></Patient>`), /exactly one resource/);
  rejects(() => fromXml(defs, `<Patient ${NS}><contained><Nope/></contained></Patient>`), /Unknown resource type 'Nope'/);
});

test('namespace prefixes and foreign attributes are understood', () => {
  const xml = `<f:Patient xmlns:f="http://hl7.org/fhir" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:schemaLocation="http://hl7.org/fhir ../../schema/patient.xsd"><!-- a comment --><f:active value="true"/></f:Patient>`;
  assert.deepEqual(fromXml(defs, xml), { resourceType: 'Patient', active: true });
  assert.deepEqual(fromXml(defs, `\ufeff<Patient ${NS}/>`), { resourceType: 'Patient' });
});

test('malformed XML, DOCTYPEs, wrong namespaces and unknown content are 400 errors', () => {
  rejects(() => fromXml(defs, ''), /Malformed XML/);
  rejects(() => fromXml(defs, '<?xml version="1.0"?>'), /Malformed XML/);
  rejects(() => fromXml(defs, `<Patient ${NS}><name></Patient>`), /Malformed XML/);
  rejects(() => fromXml(defs, `<Patient ${NS}><active value="true"></Patient>`), /Malformed XML/);
  rejects(() => fromXml(defs, 'not xml at all'), /Malformed XML/);
  rejects(() => fromXml(defs, `<Patient ${NS}/><Patient ${NS}/>`), /one root element, found 2/);
  rejects(() => fromXml(defs, '<Patient xmlns="http://example.org/fhir"/>'), /FHIR namespace/);
  rejects(() => fromXml(defs, '<Patient/>'), /FHIR namespace/);
  rejects(() => fromXml(defs, `<Patientt ${NS}/>`), /Unknown resource type 'Patientt'/);
  rejects(() => fromXml(defs, `<HumanName ${NS}/>`), /Unknown resource type 'HumanName'/);
  rejects(() => fromXml(defs, `<?xml version="1.0"?><!DOCTYPE Patient [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><Patient ${NS}><name><text value="&xxe;"/></name></Patient>`),
    /DOCTYPE/);
  rejects(() => fromXml(defs, `<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><Patient ${NS}/>`), /DOCTYPE/);
  rejects(() => fromXml(defs, `<Patient ${NS}><colour value="red"/></Patient>`), /Unknown element 'colour' at Patient/);
  rejects(() => fromXml(defs, `<Patient ${NS}><name><id value="x"/></name></Patient>`), /Unknown element 'id' at Patient.name/);
  rejects(() => fromXml(defs, `<Patient ${NS}><active value="true" colour="red"/></Patient>`), /Unknown attribute 'colour'/);
  rejects(() => fromXml(defs, `<Patient ${NS}><gender value="male"/><gender value="female"/></Patient>`), /may appear only once/);
  rejects(() => fromXml(defs, `<Patient ${NS}>text<active value="true"/></Patient>`), /Unexpected text/);
  rejects(() => fromXml(defs, `<Patient ${NS}><x:active xmlns:x="http://example.org" value="true"/></Patient>`), /wrong namespace/);
  rejects(() => fromXml(defs, `<Patient ${NS}><y:active value="true"/></Patient>`), /Undeclared namespace prefix/);
});

test('toXml rejects content XML cannot carry', () => {
  rejects(() => toXml(defs, { resourceType: 'Patient', colour: 'red' }), /Patient.colour as XML: unknown element/);
  rejects(() => toXml(defs, { resourceType: 'Nope' }), /unknown or missing resourceType/);
  rejects(() => toXml(defs, { resourceType: 'Patient', gender: ['male'] }), /must not be an array/);
  rejects(() => toXml(defs, { resourceType: 'Patient', contained: [{ id: 'x' }] } as Resource), /unknown or missing resourceType/);
});
