#!/usr/bin/env node
// Generates the compact FHIR definitions Hestia carries at run time from HL7's official
// definition bundles (default source: ../shared/data/definitions/<version>).
// Usage: node scripts/generate-definitions.mjs [r4|stu3 ...] [--source DIR]
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const sourceIdx = args.indexOf('--source');
const sourceRoot = sourceIdx >= 0 ? args[sourceIdx + 1] : join(root, '..', 'shared', 'data', 'definitions');
const versions = args.filter((a, i) => !a.startsWith('--') && (sourceIdx < 0 || i !== sourceIdx + 1));
const fhirVersions = { r4: '4.0.1', stu3: '3.0.1' };

function bundle(dir, file) {
  return JSON.parse(readFileSync(join(dir, file), 'utf8')).entry.map((e) => e.resource);
}

function primitiveRegex(sd) {
  const el = sd.snapshot.element.find((e) => e.path === `${sd.type}.value`);
  const ext = el?.type?.[0]?.extension?.find((x) => x.url === 'http://hl7.org/fhir/StructureDefinition/regex');
  return ext?.valueString ?? null;
}

// Element table: type -> path (without the type prefix) -> [min, max, types, contentReference?]
function elementTable(sd) {
  const out = {};
  for (const el of sd.snapshot.element) {
    const dot = el.path.indexOf('.');
    if (dot < 0) continue;
    const path = el.path.slice(dot + 1);
    const types = (el.type ?? []).map((t) => t.code);
    const row = [el.min ?? 0, el.max ?? '*', types];
    if (el.contentReference) row.push(el.contentReference.replace(/^#([A-Za-z]+\.)?/, ''));
    out[path] = row;
  }
  return out;
}

/**
 * The codes of a value set by code system when its definition lists them, or takes whole code
 * systems of the same bundle (with their nested concepts); null when it needs more (filters, other
 * value sets, external code systems such as languages or MIME types): such bindings are not checked.
 */
function expand(url, valueSets, codeSystems) {
  const vs = valueSets.get(url);
  if (!vs?.compose?.include?.length) return null;
  const bySystem = new Map();
  const flatten = (concepts) => (concepts ?? []).flatMap((c) => [c.code, ...flatten(c.concept)]);
  for (const inc of vs.compose.include) {
    if (inc.filter?.length || inc.valueSet?.length || !inc.system) return null;
    const codes = bySystem.get(inc.system) ?? new Set();
    bySystem.set(inc.system, codes);
    if (inc.concept?.length) {
      for (const c of inc.concept) codes.add(c.code);
      continue;
    }
    const cs = codeSystems.get(inc.system);
    if (!cs || cs.content !== 'complete' || !cs.concept?.length) return null;
    for (const code of flatten(cs.concept)) codes.add(code);
  }
  for (const exc of vs.compose.exclude ?? []) {
    if (!exc.concept?.length) return null;
    for (const c of exc.concept) bySystem.get(exc.system)?.delete(c.code);
  }
  return Object.fromEntries([...bySystem].map(([system, codes]) => [system, [...codes].sort()]));
}

/** Element types whose required bindings are checked: a `code` by its code, a Coding or CodeableConcept by system and code. */
const BOUND_TYPES = ['code', 'Coding', 'CodeableConcept'];

/**
 * Required bindings: type -> path -> value set url; the codes of the value sets bound to `code`
 * elements (valueSets) and, by code system, of those bound to Coding and CodeableConcept (codings).
 */
function requiredBindings(structures, src) {
  const all = bundle(src, 'valuesets-core.json');
  const valueSets = new Map(all.filter((r) => r.resourceType === 'ValueSet').map((r) => [r.url, r]));
  const codeSystems = new Map(all.filter((r) => r.resourceType === 'CodeSystem').map((r) => [r.url, r]));
  // (STU3 value sets may define their code system inline)
  for (const vs of valueSets.values()) if (vs.codeSystem?.system) codeSystems.set(vs.codeSystem.system, { content: 'complete', concept: vs.codeSystem.concept });
  const elements = {};
  const expanded = new Map();
  const codes = {};
  const codings = {};
  for (const sd of structures) {
    for (const el of sd.snapshot.element) {
      const dot = el.path.indexOf('.');
      const types = (el.type ?? []).map((t) => t.code);
      const ref = el.binding?.valueSet ?? el.binding?.valueSetReference?.reference ?? el.binding?.valueSetUri;
      if (dot < 0 || types.length !== 1 || !BOUND_TYPES.includes(types[0]) || el.binding?.strength !== 'required' || !ref) continue;
      const url = ref.replace(/\|.*$/, '');
      if (!expanded.has(url)) expanded.set(url, expand(url, valueSets, codeSystems));
      const bySystem = expanded.get(url);
      if (!bySystem) continue;
      (elements[sd.id] ??= {})[el.path.slice(dot + 1)] = url;
      if (types[0] === 'code') codes[url] ??= [...new Set(Object.values(bySystem).flat())].sort();
      else codings[url] ??= bySystem;
    }
  }
  return { elements, valueSets: codes, codings };
}

function generate(version) {
  const src = join(sourceRoot, version);
  const out = join(root, 'packages', 'core', 'definitions', version);
  mkdirSync(out, { recursive: true });

  const resources = bundle(src, 'profiles-resources.json').filter((r) => r.resourceType === 'StructureDefinition');
  const types = bundle(src, 'profiles-types.json').filter((r) => r.resourceType === 'StructureDefinition');
  const resourceTypes = resources.filter((sd) => !sd.abstract && sd.kind === 'resource').map((sd) => sd.id).sort();
  const primitives = {};
  for (const sd of types.filter((t) => t.kind === 'primitive-type')) primitives[sd.id] = primitiveRegex(sd);
  const elements = {};
  for (const sd of [...types.filter((t) => t.kind === 'complex-type'), ...resources]) elements[sd.id] = elementTable(sd);
  // Top-level elements kept by _summary=true (isSummary) and those always kept (min > 0).
  const summary = {};
  for (const sd of resources) {
    const top = sd.snapshot.element.filter((e) => e.path.split('.').length === 2);
    summary[sd.id] = {
      summary: top.filter((e) => e.isSummary).map((e) => e.path.split('.')[1].replace('[x]', '')),
      mandatory: top.filter((e) => (e.min ?? 0) > 0).map((e) => e.path.split('.')[1].replace('[x]', '')),
    };
  }
  const parents = {};
  for (const sd of [...types, ...resources]) if (sd.baseDefinition) parents[sd.id] = sd.baseDefinition.split('/').pop();

  const searchParameters = bundle(src, 'search-parameters.json')
    .filter((sp) => sp.resourceType === 'SearchParameter' && (sp.expression || sp.type === 'composite' || sp.code.startsWith('_')))
    .map((sp) => {
      const c = { url: sp.url, code: sp.code, base: sp.base, type: sp.type };
      if (sp.expression) c.expression = sp.expression;
      if (sp.target?.length) c.target = sp.target;
      if (sp.component?.length) c.component = sp.component.map((x) => ({ definition: x.definition?.reference ?? x.definition, expression: x.expression }));
      if (sp.comparator?.length) c.comparator = sp.comparator;
      if (sp.modifier?.length) c.modifier = sp.modifier;
      return c;
    });

  const compartments = {};
  for (const cd of bundle(src, 'compartment-definitions.json')) {
    const map = {};
    for (const r of cd.resource ?? []) if (r.param?.length) map[r.code] = r.param;
    compartments[cd.code] = map;
  }

  const write = (name, data) => writeFileSync(join(out, name), JSON.stringify(data));
  write('meta.json', { fhirVersion: fhirVersions[version], source: 'HL7 FHIR core package (CC0-1.0), generated by scripts/generate-definitions.mjs' });
  write('resource-types.json', resourceTypes);
  write('primitives.json', primitives);
  write('elements.json', elements);
  write('parents.json', parents);
  write('summary.json', summary);
  write('search-parameters.json', searchParameters);
  write('compartments.json', compartments);
  const bindings = requiredBindings([...types.filter((t) => t.kind === 'complex-type'), ...resources], src);
  write('bindings.json', bindings);
  const bound = Object.values(bindings.elements).reduce((n, m) => n + Object.keys(m).length, 0);
  console.log(`${version}: ${resourceTypes.length} resource types, ${searchParameters.length} search parameters, ${Object.keys(elements).length} element tables, ${bound} required bindings over ${Object.keys(bindings.valueSets).length} value sets of codes and ${Object.keys(bindings.codings).length} of codings`);
}

for (const v of versions.length ? versions : ['r4', 'stu3']) generate(v);
