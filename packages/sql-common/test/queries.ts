// A representative set of search expression trees, shared by the SQL adapters' snapshot tests: every
// expression kind and predicate type, chains, _has, sorting, keyset paging both ways and totals.
import type { ParamRef, Predicate, RangeTest, SearchExpr, SearchQuery, SortKey } from '@hestia/core';

const p = (code: string, type: ParamRef['type']): ParamRef => ({ code, type });
const value = (param: ParamRef, predicate: Predicate): SearchExpr => ({ kind: 'value', param, predicate });
const DAY = 86_400_000;
const T2020 = Date.UTC(2020, 0, 1);

/** `ge 2020-01-01` on a date range; `ne` negates an `eq`. */
const ge = (v: number): RangeTest => ({ prefix: 'ge', conds: [{ bound: 'high', op: '>=', value: v }], negate: false });
const eq = (lo: number, hi: number): RangeTest => ({ prefix: 'eq', conds: [{ bound: 'low', op: '>=', value: lo }, { bound: 'high', op: '<', value: hi }], negate: false });
const ne = (lo: number, hi: number): RangeTest => ({ ...eq(lo, hi), prefix: 'ne', negate: true });

const q = (types: string[], where?: SearchExpr, extra: Partial<SearchQuery> = {}): SearchQuery => ({
  types, where, sort: [], count: 20, total: 'none', include: [], revinclude: [], ...extra,
});
const sort = (param: SortKey['param'], descending = false): SortKey => ({ param, descending });
const single = (param: ParamRef, descending = false): SortKey => ({ param, descending, single: true });

const family = p('family', 'string');
const code = p('code', 'token');
const subject = p('subject', 'reference');
const birthdate = p('birthdate', 'date');

export const SEARCH_CASES: { name: string; query: SearchQuery }[] = [
  { name: 'type only', query: q(['Patient']) },
  { name: 'system search over all types', query: q([]) },
  { name: 'system search over two types with _type', query: q(['Patient', 'Practitioner'], { kind: 'type', types: ['Patient'] }) },
  { name: '_id list', query: q(['Patient'], { kind: 'id', ids: ['a', 'b', 'c'] }) },
  { name: '_id empty', query: q(['Patient'], { kind: 'id', ids: [] }) },
  { name: '_lastUpdated ge with an open end', query: q(['Patient'], { kind: 'lastUpdated', range: { prefix: 'ge', conds: [{ bound: 'high', op: '>=', value: T2020 }, { bound: 'low', op: '<', value: Infinity }], negate: false } }) },
  { name: '_lastUpdated before the first representable date', query: q(['Patient'], { kind: 'lastUpdated', range: { prefix: 'lt', conds: [{ bound: 'low', op: '<', value: -Infinity }], negate: false } }) },
  { name: 'missing true', query: q(['Patient'], { kind: 'missing', param: birthdate, missing: true }) },
  { name: 'missing false', query: q(['Patient'], { kind: 'missing', param: birthdate, missing: false }) },
  { name: 'string starts with (wildcards escaped)', query: q(['Patient'], value(family, { type: 'string', match: 'starts', value: 'o%_\\[x' })) },
  { name: 'string exact', query: q(['Patient'], value(family, { type: 'string', match: 'exact', value: 'Chalmers' })) },
  { name: 'string contains', query: q(['Patient'], value(family, { type: 'string', match: 'contains', value: 'alm' })) },
  { name: 'token system|code', query: q(['Observation'], value(code, { type: 'token', system: 'http://loinc.org', code: '1234-5' })) },
  { name: 'token code only', query: q(['Observation'], value(code, { type: 'token', code: '1234-5' })) },
  { name: 'token |code (no system)', query: q(['Observation'], value(code, { type: 'token', system: null, code: 'x' })) },
  { name: 'token system| (any code)', query: q(['Observation'], value(code, { type: 'token', system: 'http://loinc.org' })) },
  { name: 'token :text', query: q(['Observation'], value(code, { type: 'token-text', text: 'glucose' })) },
  { name: 'date eq', query: q(['Patient'], value(birthdate, { type: 'date', range: eq(T2020, T2020 + DAY) })) },
  { name: 'date ne', query: q(['Patient'], value(birthdate, { type: 'date', range: ne(T2020, T2020 + DAY) })) },
  { name: 'date ge', query: q(['Patient'], value(birthdate, { type: 'date', range: ge(T2020) })) },
  { name: 'number', query: q(['RiskAssessment'], value(p('probability', 'number'), { type: 'number', range: eq(0.795, 0.805) })) },
  { name: 'quantity with system and code', query: q(['Observation'], value(p('value-quantity', 'quantity'), { type: 'quantity', range: eq(5.35, 5.45), system: 'http://unitsofmeasure.org', code: 'mg' })) },
  { name: 'quantity without system', query: q(['Observation'], value(p('value-quantity', 'quantity'), { type: 'quantity', range: ge(5.4), system: null })) },
  { name: 'reference type/id', query: q(['Observation'], value(subject, { type: 'reference', targetType: 'Patient', targetId: 'p1' })) },
  { name: 'reference id only', query: q(['Observation'], value(subject, { type: 'reference', targetId: 'p1' })) },
  { name: 'reference url', query: q(['Observation'], value(subject, { type: 'reference', url: 'http://other.org/fhir/Patient/1' })) },
  { name: 'uri eq', query: q(['ValueSet'], value(p('url', 'uri'), { type: 'uri', match: 'eq', value: 'http://hl7.org/fhir/ValueSet/x' })) },
  { name: 'uri below', query: q(['ValueSet'], value(p('url', 'uri'), { type: 'uri', match: 'below', value: 'http://hl7.org/fhir/' })) },
  { name: 'uri above', query: q(['ValueSet'], value(p('url', 'uri'), { type: 'uri', match: 'above', value: 'http://hl7.org/fhir/ValueSet/x/y' })) },
  {
    name: 'composite token + quantity',
    query: q(['Observation'], value(p('code-value-quantity', 'composite'), {
      type: 'composite', components: [
        { type: 'token', system: 'http://loinc.org', code: '8480-6' },
        { type: 'quantity', range: { prefix: 'gt', conds: [{ bound: 'high', op: '>', value: 140 }], negate: false }, code: 'mm[Hg]' },
      ],
    })),
  },
  { name: 'composite with a date component', query: q(['Group'], value(p('characteristic-value', 'composite'), { type: 'composite', components: [{ type: 'token', code: 'gender' }, { type: 'date', range: ge(T2020) }] })) },
  {
    name: 'and / or / not',
    query: q(['Patient'], {
      kind: 'and', exprs: [
        { kind: 'or', exprs: [value(family, { type: 'string', match: 'starts', value: 'chal' }), value(family, { type: 'string', match: 'starts', value: 'wind' })] },
        { kind: 'not', expr: value(p('gender', 'token'), { type: 'token', code: 'male' }) },
      ],
    }),
  },
  {
    name: 'and of value tests: joined in one exists (code + date, with the low bound), the rest of the and apart',
    query: q(['Observation'], {
      kind: 'and', exprs: [
        value(code, { type: 'token', system: 'http://loinc.org', code: '8302-2' }),
        { kind: 'missing', param: p('value-quantity', 'quantity'), missing: false },
        value(p('date', 'date'), { type: 'date', range: { prefix: 'ge', conds: [{ bound: 'high', op: '>=', value: T2020 }, { bound: 'low', op: '<', value: T2020 + 31 * DAY }], negate: false } }),
      ],
    }),
  },
  {
    name: 'and of six value tests: four joined, then two',
    query: q(['Patient'], { kind: 'and', exprs: ['a', 'b', 'c', 'd', 'e', 'f'].map((v) => value(p(`t${v}`, 'token'), { type: 'token', code: v })) }),
  },
  { name: 'empty and / empty or', query: q(['Patient'], { kind: 'and', exprs: [{ kind: 'and', exprs: [] }, { kind: 'not', expr: { kind: 'or', exprs: [] } }] }) },
  { name: 'chain', query: q(['Observation'], { kind: 'chain', param: subject, targetTypes: ['Patient'], expr: value(family, { type: 'string', match: 'starts', value: 'chal' }) }) },
  {
    name: 'two-level chain over two target types',
    query: q(['Observation'], {
      kind: 'chain', param: subject, targetTypes: ['Patient', 'Group'],
      expr: { kind: 'chain', param: p('organization', 'reference'), targetTypes: ['Organization'], expr: value(p('name', 'string'), { type: 'string', match: 'starts', value: 'acme' }) },
    }),
  },
  { name: '_has', query: q(['Patient'], { kind: 'has', sourceType: 'Observation', param: p('patient', 'reference'), expr: value(code, { type: 'token', system: 'http://loinc.org', code: '1234-5' }) }) },
  {
    name: 'nested _has',
    query: q(['Patient'], {
      kind: 'has', sourceType: 'Observation', param: p('patient', 'reference'),
      expr: { kind: 'has', sourceType: 'AuditEvent', param: p('entity', 'reference'), expr: value(p('action', 'token'), { type: 'token', code: 'C' }) },
    }),
  },
  { name: 'date ge and lt merged into one range test', query: q(['Observation'], value(p('date', 'date'), { type: 'date', range: { prefix: 'ge', conds: [{ bound: 'high', op: '>=', value: T2020 }, { bound: 'low', op: '<', value: T2020 + 31 * DAY }], negate: false } })) },
  { name: 'sort by string', query: q(['Patient'], undefined, { sort: [sort(family)] }) },
  { name: 'sort by date descending', query: q(['Patient'], undefined, { sort: [sort(birthdate, true)] }) },
  { name: 'sort by _id and _lastUpdated', query: q(['Patient'], undefined, { sort: [sort({ code: '_id', type: 'special' }), sort({ code: '_lastUpdated', type: 'special' }, true)] }) },
  { name: 'sort by reference, token, number, quantity and uri', query: q(['Observation'], undefined, { sort: [sort(subject), sort(code, true), sort(p('n', 'number')), sort(p('value-quantity', 'quantity')), sort(p('url', 'uri'))] }) },
  { name: 'keyset after (no sort)', query: q(['Patient'], undefined, { after: ['41'] }) },
  { name: 'keyset after with a value', query: q(['Patient'], value(family, { type: 'string', match: 'starts', value: 'c' }), { sort: [sort(family)], after: ['chalmers', '17'] }) },
  { name: 'keyset after a null sort value', query: q(['Patient'], undefined, { sort: [sort(birthdate, true)], after: [null, '17'] }) },
  { name: 'keyset before (previous page)', query: q(['Patient'], undefined, { sort: [sort(family), sort({ code: '_lastUpdated', type: 'special' }, true)], before: ['chalmers', '2020-01-01T00:00:00.000Z', '17'] }) },
  { name: 'keyset before a null sort value', query: q(['Patient'], undefined, { sort: [sort(family)], before: [null, '17'] }) },
  // A single-valued date first (SortKey.single): ordered through a join where the dialect has the range indexes.
  { name: 'sort by a single-valued date', query: q(['Patient'], value(family, { type: 'string', match: 'starts', value: 'c' }), { sort: [single(birthdate)] }) },
  { name: 'sort by a single-valued date descending, then a string', query: q(['Patient'], undefined, { sort: [single(birthdate, true), sort(family)] }) },
  { name: 'single-valued date: keyset after a value', query: q(['Patient'], undefined, { sort: [single(birthdate, true)], after: ['1577836800000', '17'] }) },
  { name: 'single-valued date: keyset after a null', query: q(['Patient'], undefined, { sort: [single(birthdate)], after: [null, '17'] }) },
  { name: 'single-valued date: keyset before a value', query: q(['Patient'], undefined, { sort: [single(birthdate)], before: ['1577836800000', '17'] }) },
  { name: 'single-valued date: keyset before a null', query: q(['Patient'], undefined, { sort: [single(birthdate, true), sort(family)], before: [null, 'chalmers', '17'] }) },
  { name: 'total accurate', query: q(['Observation'], value(code, { type: 'token', code: '1234-5' }), { total: 'accurate', count: 50 }) },
  { name: 'total estimate with _count=0', query: q(['Observation'], undefined, { total: 'estimate', count: 0 }) },
];

/** Full text only where the adapter supports it. */
export const FULL_TEXT_CASE = { name: 'full text (_content)', query: q(['Condition'], value(p('_content', 'special'), { type: 'text', query: 'chronic bronchitis' })) };

/** Snapshot entries (select, and count when asked for) of each case, built by an adapter's search translation. */
type Statement = { text: string; bindings: unknown[] };
export function searchEntries(cases: { name: string; query: SearchQuery }[], build: (q: SearchQuery) => { select: Statement; probe?: Statement; count?: Statement }) {
  return cases.flatMap((c) => {
    const { select, probe, count } = build(c.query);
    return [
      ...(probe ? [{ name: `${c.name}: probe`, sql: probe.text, bindings: probe.bindings }] : []),
      { name: `${c.name}: select`, sql: select.text, bindings: select.bindings },
      ...(count ? [{ name: `${c.name}: count`, sql: count.text, bindings: count.bindings }] : []),
    ];
  });
}
