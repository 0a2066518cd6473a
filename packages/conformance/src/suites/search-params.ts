// Search by parameter type (https://hl7.org/fhir/R4/search.html#ptypes), table-driven: each row is
// a query and the exact resources it must match. string, token, date, number, quantity, reference,
// uri and composite, with their modifiers and prefixes.
import { describe, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Resource } from '@hestia/core';
import type { Fixture } from '../index.js';
import { Dataset, getBundle, idsOf, marker, searchTable, walk } from './support.js';

const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';
const V2_0203 = 'http://terminology.hl7.org/CodeSystem/v2-0203';
const SYS_A = 'http://hestia.test/id/a';
const SYS_B = 'http://hestia.test/id/b';

/** A day `n` days before today, as YYYY-MM-DD (UTC). */
const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);

export function searchParamsSuite(fx: Fixture): void {
  describe('search by parameter type', () => {
    const ds = new Dataset(fx, 'params');
    const uriBase = `http://hestia.test/${marker('u')}/fhir`;
    const recent = daysAgo(10), lessRecent = daysAgo(13);

    before(async () => {
      const patient = (family: string, extra: Record<string, unknown> = {}): Resource => ({ resourceType: 'Patient', name: [{ family }], ...extra });
      const glucose = (code: string, display: string) => ({ system: LOINC, code, display });
      const qty = (value: number, code: string, system: string | null = UCUM, unit = code) => ({ value, unit, ...(system ? { system } : {}), code });
      const obs = (extra: Record<string, unknown>): Resource => ({ resourceType: 'Observation', status: 'final', ...extra });
      const risk = (probability?: number): Resource => ({
        resourceType: 'RiskAssessment', status: 'final', subject: { reference: ds.ref('muller') },
        prediction: [probability === undefined ? { outcome: { text: 'unknown' } } : { probabilityDecimal: probability }],
      });
      await ds.create({
        muller: patient('Muller', { name: [{ family: 'Muller', given: ['Hans'] }], gender: 'male', birthDate: '1980-05-12', identifier: [{ system: SYS_A, value: '111' }] }),
        MULLER: patient('MÜLLER', { name: [{ family: 'MÜLLER', given: ['Greta', 'Anna'] }], gender: 'female', birthDate: '1980-05-30', identifier: [{ system: SYS_B, value: '111' }] }),
        mueller: patient('Mueller', { gender: 'female', birthDate: '1980-11', identifier: [{ value: '111' }] }),
        mullerova: patient('Müllerová', {
          gender: 'other', birthDate: '1975',
          identifier: [{ type: { coding: [{ system: V2_0203, code: 'MR' }] }, system: SYS_A, value: '222' }],
        }),
        umlaut: patient('Müller', { gender: 'male', birthDate: '1981-01-01' }),
        smith: patient('Smith', { name: [{ family: 'Smith', given: ['Johann'] }] }),

        o1: obs({
          code: { coding: [glucose('2345-7', 'Glucose [Mass/volume] in Serum or Plasma')] }, valueQuantity: qty(5.4, 'mmol/L'),
          effectiveDateTime: '2020-01-15T10:30:00Z', subject: { reference: ds.ref('muller') },
        }),
        o2: obs({
          code: { coding: [glucose('2345-7', 'Glucose [Mass/volume] in Serum or Plasma')] }, valueQuantity: qty(6.0, 'mmol/L'),
          effectiveDateTime: '2020-03-01', subject: { reference: ds.ref('MULLER') },
        }),
        o3: obs({
          code: { coding: [glucose('2339-0', 'Glucose [Mass/volume] in Blood')], text: 'Blood sugar' }, valueQuantity: qty(5.4, 'mg/dL'),
          effectivePeriod: { start: '2020-01-10', end: '2020-02-20' }, subject: { reference: ds.ref('muller') },
        }),
        o4: obs({
          code: { coding: [{ system: LOINC, code: '8480-6', display: 'Systolic blood pressure' }] }, valueQuantity: qty(120, 'mm[Hg]'),
          effectiveDateTime: '2021', subject: { reference: 'http://other.example/fhir/Patient/ext-1' },
        }),
        o5: obs({ code: { text: 'Heart rate by palpation' }, valueQuantity: qty(72, '/min', null, 'beats/min'), subject: { reference: ds.ref('smith'), identifier: { system: SYS_A, value: 'ext-77' } } }),
        o6: obs({
          code: { coding: [{ system: 'http://hestia.test/codes', code: 'bp' }] }, effectivePeriod: { start: '2021-06-01' },
          component: [
            { code: { coding: [{ system: LOINC, code: '8480-6' }] }, valueQuantity: qty(120, 'mm[Hg]') },
            { code: { coding: [{ system: LOINC, code: '8462-4' }] }, valueQuantity: qty(80, 'mm[Hg]') },
          ],
        }),
        o7: obs({ code: { coding: [{ system: 'http://hestia.test/codes', code: 'recent' }] }, effectiveDateTime: recent }),
        o8: obs({ code: { coding: [{ system: 'http://hestia.test/codes', code: 'recent' }] }, effectiveDateTime: lessRecent }),

        r1: risk(0.02), r2: risk(0.1), r3: risk(0.25), r4: risk(0.5), r5: risk(),

        vs1: { resourceType: 'ValueSet', status: 'active', url: `${uriBase}/ValueSet/a` },
        vs2: { resourceType: 'ValueSet', status: 'active', url: `${uriBase}/ValueSet/a/v2` },
        vs3: { resourceType: 'ValueSet', status: 'active', url: `${uriBase}/ValueSet/b` },
        vs4: { resourceType: 'ValueSet', status: 'active', url: `${uriBase}/CodeSystem/c` },
      });
    });

    const everyPatient = ['muller', 'MULLER', 'mueller', 'mullerova', 'umlaut', 'smith'];
    const mullers = ['muller', 'MULLER', 'mullerova', 'umlaut'];
    describe('string: starts-with, case and accent insensitive; :exact; :contains', () => searchTable(ds, 'Patient', [
      ['family=müller', mullers],
      ['family=MULLER', mullers],
      ['family=Müll', mullers],
      ['family=muller', mullers],
      ['family=ller', []],
      ['family:contains=ller', [...mullers, 'mueller']],
      ['family:contains=LLERO', ['mullerova']],
      ['family:exact=Müller', ['umlaut']],
      ['family:exact=müller', []],
      ['family:exact=Muller', ['muller']],
      ['family:exact=Mull', []],
      ['name=hans', ['muller']],
      ['name=anna', ['MULLER']],
      ['name=smi', ['smith']],
      ['given=greta', ['MULLER']],
      ['family=smith,mueller', ['smith', 'mueller']],
      ['name=müller&given=hans', ['muller']],
      ['given=greta&given=anna', ['MULLER']],
      ['given=greta&given=hans', []],
    ]));

    describe('token: code, system|code, |code, system|, :not, :text, :of-type', () => {
      searchTable(ds, 'Patient', [
        ['gender=female', ['MULLER', 'mueller']],
        ['gender=male,other', ['muller', 'umlaut', 'mullerova']],
        ['gender:not=male', ['MULLER', 'mueller', 'mullerova', 'smith']],
        ['identifier=111', ['muller', 'MULLER', 'mueller']],
        [`identifier=${SYS_A}|111`, ['muller']],
        ['identifier=|111', ['mueller']],
        [`identifier=${SYS_A}|`, ['muller', 'mullerova']],
        [`identifier=${SYS_A}|111,${SYS_B}|111`, ['muller', 'MULLER']],
        [`identifier=${SYS_B}|222`, []],
        ['identifier:not=111', ['mullerova', 'umlaut', 'smith']],
        [`identifier:of-type=${V2_0203}|MR|222`, ['mullerova']],
        [`identifier:of-type=${V2_0203}|MR|111`, []],
      ]);
      searchTable(ds, 'Observation', [
        ['code=2345-7', ['o1', 'o2']],
        [`code=${LOINC}|2345-7`, ['o1', 'o2']],
        [`code=${LOINC}|`, ['o1', 'o2', 'o3', 'o4']],
        ['code=http://snomed.info/sct|2345-7', []],
        ['code=|2345-7', []],
        ['code=2345-7,2339-0', ['o1', 'o2', 'o3']],
        ['code:not=2345-7', ['o3', 'o4', 'o5', 'o6', 'o7', 'o8']],
        ['code:text=glucose', ['o1', 'o2', 'o3']],
        ['code:text=GLUCOSE [mass', ['o1', 'o2', 'o3']],
        ['code:text=blood', ['o3', 'o4']],
        ['code:text=sugar', ['o3']],
        ['code:text=palpation', ['o5']],
        ['code:text=lucose', []],
      ]);
    });

    describe('date: prefixes at year, month, day and second precision; Periods; birthdate', () => {
      searchTable(ds, 'Patient', [
        ['birthdate=1980', ['muller', 'MULLER', 'mueller']],
        ['birthdate=1980-05', ['muller', 'MULLER']],
        ['birthdate=1980-05-12', ['muller']],
        ['birthdate=eq1980-05-12', ['muller']],
        ['birthdate=1980-11-15', []],
        ['birthdate=ne1980-05-12', ['MULLER', 'mueller', 'mullerova', 'umlaut']],
        ['birthdate=gt1980-05-30', ['mueller', 'umlaut']],
        ['birthdate=ge1980-05-30', ['MULLER', 'mueller', 'umlaut']],
        ['birthdate=lt1980-05-12', ['mullerova']],
        ['birthdate=le1980-05-12', ['muller', 'mullerova']],
        ['birthdate=gt1980-11-15', ['mueller', 'umlaut']],
        ['birthdate=lt1980-11-15', ['muller', 'MULLER', 'mueller', 'mullerova']],
        ['birthdate=sa1980-05', ['mueller', 'umlaut']],
        ['birthdate=eb1980-05', ['mullerova']],
        ['birthdate=1975,1981', ['mullerova', 'umlaut']],
        ['birthdate=ge1980&birthdate=lt1981', ['muller', 'MULLER', 'mueller']],
      ]);
      searchTable(ds, 'Observation', [
        ['date=2020', ['o1', 'o2', 'o3']],
        ['date=2020-01', ['o1']],
        ['date=2020-01-15', ['o1']],
        ['date=2020-01-15T10:30:00Z', ['o1']],
        ['date=2020-01-15T11:30:00+01:00', ['o1']],
        ['date=2020-01-15T10:30:01Z', []],
        ['date=ne2020', ['o4', 'o6', 'o7', 'o8']],
        ['date=gt2020-01-15', ['o2', 'o3', 'o4', 'o6', 'o7', 'o8']],
        ['date=gt2020-01-15T10:29:59Z', ['o1', 'o2', 'o3', 'o4', 'o6', 'o7', 'o8']],
        ['date=lt2020-01-15', ['o3']],
        ['date=lt2020-01-15T10:30:00Z', ['o3']],
        ['date=le2020-01-15T10:30:00Z', ['o1', 'o3']],
        ['date=ge2020-03-01', ['o2', 'o4', 'o6', 'o7', 'o8']],
        ['date=le2020-01-15', ['o1', 'o3']],
        ['date=sa2020-02-25', ['o2', 'o4', 'o6', 'o7', 'o8']],
        ['date=eb2020-02-25', ['o1', 'o3']],
        ['date=gt2022', ['o6', 'o7', 'o8']],
        ['date=ge2020-02-20&date=le2020-02-20', ['o3']],
        [`date=ap${recent}`, ['o6', 'o7']],
        [`date=${recent}`, ['o7']],
      ]);
    });

    describe('repeated range parameters: ANDed over all of a resource\'s values; one range where a parameter has one value (Timing by its outer limits)', () => {
      const rs = new Dataset(fx, 'ranges');
      before(async () => {
        const obs = (extra: Record<string, unknown>): Resource => ({ resourceType: 'Observation', status: 'final', code: { text: 'range test' }, ...extra });
        const risk = (...probabilities: number[]): Resource => ({ resourceType: 'RiskAssessment', status: 'final', subject: { reference: rs.ref('patient') }, prediction: probabilities.map((p) => ({ probabilityDecimal: p })) });
        await rs.create({
          patient: { resourceType: 'Patient', name: [{ family: 'Range' }] },
          // Observation.date has one value per resource; a Timing's runs from its first to its last event.
          timing: obs({ effectiveTiming: { event: ['2020-01-05', '2020-03-05'] } }),
          instant: obs({ effectiveDateTime: '2020-02-10' }),
          period: obs({ effectivePeriod: { start: '2019-12-01', end: '2020-04-30' } }),
          long: obs({ effectivePeriod: { start: '2019-11-01', end: '2020-02-20' } }),
          undated: obs({}),
          // Immunization.reaction-date and RiskAssessment.probability have several values per resource.
          reactions: {
            resourceType: 'Immunization', status: 'completed', vaccineCode: { text: 'flu' }, patient: { reference: rs.ref('patient') }, occurrenceDateTime: '2019-12-20',
            reaction: [{ date: '2020-01-05' }, { date: '2020-03-05' }],
          },
          spread: risk(0.05, 0.9),
          middle: risk(0.5),
        });
      });
      describe('one value per resource', () => searchTable(rs, 'Observation', [
        ['date=ge2020-03-01&date=lt2020-01-10', ['timing', 'period']],
        ['date=ge2020-02-01&date=lt2020-03-01', ['timing', 'instant', 'period', 'long']],
        ['date=lt2020-03-01&date=ge2020-02-11', ['timing', 'period', 'long']],
        ['date=ge2020-01-01&date=le2020-12-31&date=ne2020-02-10', ['timing', 'period', 'long']],
        ['date=2020-02', ['instant']],
        ['date=sa2020-02-01', ['instant']],
        ['date=eb2020-02-01', []],
      ]));
      describe('several values per resource: each test may hold on a different one', () => {
        searchTable(rs, 'Immunization', [
          ['reaction-date=ge2020-03-01&reaction-date=lt2020-01-10', ['reactions']],
          ['reaction-date=ge2020-02-01&reaction-date=lt2020-03-01', ['reactions']],
          ['reaction-date=2020-02', []],
          ['reaction-date=2020-01-05', ['reactions']],
          ['reaction-date=sa2020-02-01', ['reactions']],
          ['reaction-date=ge2020-03-06&reaction-date=lt2020-01-10', []],
        ]);
        searchTable(rs, 'RiskAssessment', [
          ['probability=gt0.8&probability=lt0.1', ['spread']],
          ['probability=gt0.4&probability=lt0.6', ['middle', 'spread']],
          ['probability=gt0.95&probability=lt0.1', []],
        ]);
      });
      const orders: [string, string[]][] = [
        ['date', ['long', 'period', 'timing', 'instant', 'undated']],
        ['-date', ['period', 'timing', 'long', 'instant', 'undated']],
      ];
      for (const [sort, expected] of orders) {
        test(`_sort=${sort}: by the lowest (highest) end of each range, undated last, page by page both ways`, async () => {
          assert.deepEqual(await rs.labels('Observation', [['_sort', sort]]), expected);
          const pages = await walk(fx, await getBundle(fx, 'Observation', [['_sort', sort], ['_count', '2'], rs.tagQuery]), 'next');
          assert.deepEqual(pages.flatMap((b) => idsOf(b)).map((id) => rs.label(id)), expected);
          const back = await walk(fx, pages[pages.length - 1], 'previous');
          assert.deepEqual(back.reverse().flatMap((b) => idsOf(b)).map((id) => rs.label(id)), expected);
        });
      }
    });

    describe('number: implicit precision and prefixes (RiskAssessment probability)', () => searchTable(ds, 'RiskAssessment', [
      ['probability=0.1', ['r2']],
      ['probability=0.10', ['r2']],
      ['probability=1e-1', ['r2']],
      ['probability=0.3', ['r3']],
      ['probability=0.25', ['r3']],
      ['probability=0.250', ['r3']],
      ['probability=0.26', []],
      ['probability=gt0.1', ['r3', 'r4']],
      ['probability=sa0.1', ['r3', 'r4']],
      ['probability=ge0.25', ['r3', 'r4']],
      ['probability=lt0.1', ['r1']],
      ['probability=eb0.25', ['r1', 'r2']],
      ['probability=le0.1', ['r1', 'r2']],
      ['probability=ne0.1', ['r1', 'r3', 'r4']],
      ['probability=ap0.5', ['r4']],
      ['probability=ap0.24', ['r3']],
      ['probability=0.02,0.5', ['r1', 'r4']],
      ['probability:missing=true', ['r5']],
    ]));

    describe('quantity: value alone, with system|code, with code only, prefixes (Observation value-quantity)', () => searchTable(ds, 'Observation', [
      ['value-quantity=5.4', ['o1', 'o3']],
      [`value-quantity=5.4|${UCUM}|mmol/L`, ['o1']],
      ['value-quantity=5.4||mmol/L', ['o1']],
      ['value-quantity=5.4||mg/dL', ['o3']],
      ['value-quantity=6', ['o2']],
      [`value-quantity=gt5.4|${UCUM}|mmol/L`, ['o2']],
      [`value-quantity=le6|${UCUM}|mmol/L`, ['o1', 'o2']],
      ['value-quantity=lt100', ['o1', 'o2', 'o3', 'o5']],
      ['value-quantity=ge72', ['o4', 'o5']],
      ['value-quantity=72||/min', ['o5']],
      [`value-quantity=72|${UCUM}|/min`, []],
      ['value-quantity=ap120', ['o4']],
      ['value-quantity=ne5.4', ['o2', 'o4', 'o5']],
    ]));

    describe('reference: Type/id, id, :Type, absolute URL, :identifier, :missing', () => searchTable(ds, 'Observation', [
      ['subject=Patient/{muller}', ['o1', 'o3']],
      ['subject={muller}', ['o1', 'o3']],
      ['subject:Patient={muller}', ['o1', 'o3']],
      ['subject:Group={muller}', []],
      ['patient=Patient/{MULLER}', ['o2']],
      ['subject=Patient/{muller},Patient/{MULLER}', ['o1', 'o2', 'o3']],
      ['subject=http://other.example/fhir/Patient/ext-1', ['o4']],
      [`subject:identifier=${SYS_A}|ext-77`, ['o5']],
      ['subject:identifier=ext-77', ['o5']],
      ['subject=Patient/{smith}', ['o5']],
      ['subject:missing=true', ['o6', 'o7', 'o8']],
      ['subject:missing=false', ['o1', 'o2', 'o3', 'o4', 'o5']],
    ]));

    describe('uri: exact, :below, :above (ValueSet url)', () => searchTable(ds, 'ValueSet', [
      [`url=${uriBase}/ValueSet/a`, ['vs1']],
      [`url=${uriBase}/ValueSet`, []],
      [`url=${uriBase}/valueset/a`, []],
      [`url:below=${uriBase}/ValueSet`, ['vs1', 'vs2', 'vs3']],
      [`url:below=${uriBase}/ValueSet/a`, ['vs1', 'vs2']],
      [`url:below=${uriBase}`, ['vs1', 'vs2', 'vs3', 'vs4']],
      [`url:above=${uriBase}/ValueSet/a/v2/extra`, ['vs1', 'vs2']],
      [`url:above=${uriBase}/ValueSet/b`, ['vs3']],
    ]));

    describe('composite: both components on the same entry (code-value-quantity, component-code-value-quantity)', () => searchTable(ds, 'Observation', [
      [`code-value-quantity=${LOINC}|2345-7$5.4|${UCUM}|mmol/L`, ['o1']],
      ['code-value-quantity=2345-7$5.4', ['o1']],
      ['code-value-quantity=2345-7$gt5.4', ['o2']],
      ['code-value-quantity=2339-0$5.4,2345-7$6', ['o2', 'o3']],
      ['component-code-value-quantity=8480-6$120', ['o6']],
      ['component-code-value-quantity=8480-6$80', []],
      ['component-code-value-quantity=8462-4$lt90', ['o6']],
    ]));

    describe('every type without a filter', () => searchTable(ds, 'Patient', [['', everyPatient]]));
  });
}
