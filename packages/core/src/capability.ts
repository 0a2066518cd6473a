// The CapabilityStatement, generated from what this server instance really supports: the loaded
// definitions, the parameters the indexer can evaluate, and the adapter's declared capabilities.
import type { FhirEngine, RestSecurity } from './engine.js';
import type { Resource } from './types.js';
import { VALIDATE_DEFINITION } from './validate-operation.js';
import { EVERYTHING_DEFINITION } from './everything-operation.js';

const BASE_PARAMS: Record<string, string> = { _id: 'token', _lastUpdated: 'date' };

/** The HL7 Bulk Data Access implementation guide. */
const BULK = 'http://hl7.org/fhir/uv/bulkdata';
/** Canonical definitions of the system-level operations Hestia may offer (others get a urn of their own). */
const OPERATION_DEFINITIONS: Record<string, string> = { export: `${BULK}/OperationDefinition/export` };
/** Operations that run on a type or a resource only. */
const TYPE_OPERATIONS = new Set(['validate', 'everything', 'expand', 'lookup', 'validate-code']);
/** The terminology operations, on the types they run on (terminology-operations.ts). */
const TERMINOLOGY: Record<string, [string, string][]> = {
  ValueSet: [['expand', 'http://hl7.org/fhir/OperationDefinition/ValueSet-expand'], ['validate-code', 'http://hl7.org/fhir/OperationDefinition/ValueSet-validate-code']],
  CodeSystem: [['lookup', 'http://hl7.org/fhir/OperationDefinition/CodeSystem-lookup'], ['validate-code', 'http://hl7.org/fhir/OperationDefinition/CodeSystem-validate-code']],
};

export function buildCapabilityStatement(engine: FhirEngine): Resource {
  const { defs, adapter, indexer, options } = engine;
  const caps = adapter.capabilities;
  const typeInteractions = ['read', 'vread', 'update', 'patch', 'delete', 'history-instance', 'history-type', 'create', 'search-type'].map((code) => ({ code }));
  // Which Source:param pairs can point at each type (for searchRevInclude).
  const revIncludes = new Map<string, string[]>();
  for (const source of defs.resourceTypes) {
    const indexed = indexer.indexedParams(source);
    for (const p of defs.searchParams(source)) {
      if (p.type !== 'reference' || !indexed.has(p.code)) continue;
      for (const target of p.target ?? []) {
        if (!revIncludes.has(target)) revIncludes.set(target, []);
        revIncludes.get(target)!.push(`${source}:${p.code}`);
      }
    }
  }
  const resource = [...defs.resourceTypes].map((type) => {
    const indexed = indexer.indexedParams(type);
    const searchParam = defs.searchParams(type)
      .filter((p) => indexed.has(p.code))
      .map((p) => ({ name: p.code, definition: p.url, type: p.type }));
    const refs = defs.searchParams(type).filter((p) => p.type === 'reference' && indexed.has(p.code));
    return {
      type,
      profile: `http://hl7.org/fhir/StructureDefinition/${type}`,
      interaction: typeInteractions,
      // (If-Match is honoured for every type; where it is required, the documentation says so)
      versioning: 'versioned-update',
      ...(engine.versioningOf(type) === 'versioned-update' ? { documentation: 'Updates and patches of an existing resource need an If-Match header with its current version (ETag).' } : {}),
      readHistory: true,
      updateCreate: options.allowCreateOnUpdate,
      conditionalCreate: true,
      conditionalRead: 'full-support',
      conditionalUpdate: true,
      conditionalDelete: 'multiple',
      referencePolicy: ['literal', 'logical'],
      searchInclude: ['*', ...refs.map((p) => `${type}:${p.code}`)],
      searchRevInclude: revIncludes.get(type) ?? [],
      searchParam,
    };
  });
  // Operations on types and resources are listed on each type; the others are the system's.
  const names = engine.operationNames();
  const operations = names.filter((name) => !TYPE_OPERATIONS.has(name)).sort();
  const exports = operations.includes('export');
  const validates = names.includes('validate');
  const everything = names.includes('everything');
  for (const r of resource) {
    const own: { name: string; definition: string }[] = [];
    if (exports && r.type === 'Patient') own.push({ name: 'export', definition: `${BULK}/OperationDefinition/patient-export` });
    if (exports && r.type === 'Group') own.push({ name: 'export', definition: `${BULK}/OperationDefinition/group-export` });
    if (validates) own.push({ name: 'validate', definition: VALIDATE_DEFINITION });
    if (everything && r.type === 'Patient') own.push({ name: 'everything', definition: EVERYTHING_DEFINITION });
    for (const [name, definition] of TERMINOLOGY[r.type] ?? []) if (names.includes(name)) own.push({ name, definition });
    if (own.length) Object.assign(r, { operation: own });
  }
  const system = [{ code: 'history-system' }, { code: 'search-system' }, { code: 'batch' }];
  if (caps.transactions) system.push({ code: 'transaction' });
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date().toISOString(),
    publisher: 'Hestia',
    kind: 'instance',
    ...(exports ? { instantiates: [`${BULK}/CapabilityStatement/bulk-data`] } : {}),
    software: { name: options.software.name, version: options.software.version },
    implementation: { description: `Hestia FHIR server (${adapter.name} persistence)` },
    fhirVersion: defs.fhirVersion,
    format: ['json', 'xml'],
    patchFormat: ['application/json-patch+json', 'application/fhir+json'],
    rest: [{
      mode: 'server',
      ...(options.security ? { security: restSecurity(options.security, defs.fhirVersion.startsWith('3.')) } : {}),
      resource,
      interaction: system,
      searchParam: Object.entries(BASE_PARAMS).map(([name, type]) => ({ name, type })),
      operation: operations.map((name) => ({ name, definition: OPERATION_DEFINITIONS[name] ?? `urn:hestia:operation:${name}` })),
    }],
  };
}

function restSecurity(s: RestSecurity, stu3: boolean): Record<string, unknown> {
  const system = stu3 ? 'http://hl7.org/fhir/restful-security-service' : 'http://terminology.hl7.org/CodeSystem/restful-security-service';
  return {
    cors: s.cors,
    service: s.services.map((code) => ({ coding: [{ system, code }] })),
    ...(s.description ? { description: s.description } : {}),
  };
}
