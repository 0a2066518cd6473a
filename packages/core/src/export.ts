// Bulk data export (https://hl7.org/fhir/uv/bulkdata/export.html), the transport-free part: the
// kick-off parameters checked and turned into a plain request, and the resources of one type read
// page by page in a stable keyset order. Jobs, files and HTTP belong to the host.
import { badRequest, notFound } from './errors.js';
import type { FhirEngine } from './engine.js';
import type { StoredVersion } from './persistence.js';
import type { SearchExpr, SearchQuery } from './search/expression.js';
import { dateTest } from './search/parse.js';
import { dateRange } from './search/values.js';
import { parseQuery } from './query.js';
import { shapeResource } from './shape.js';
import { storedJson } from './stored-json.js';
import { resolveTerminology } from './terminology.js';

export type ExportLevel = 'system' | 'patient' | 'group';

/** A checked export request: plain JSON, kept with the job. */
export interface ExportRequest {
  level: ExportLevel;
  groupId?: string;
  /** The types to export, in order. */
  types: string[];
  /** Only resources changed after this instant (ISO). */
  since?: string;
  /** Only resources changed up to this instant (ISO): the job's transactionTime. */
  until: string;
  /** Search queries per type (`code=…&date=ge…`); a resource is exported if it matches any. */
  typeFilters: Record<string, string[]>;
  /** `_elements`: bare element names, or `Type.element`. */
  elements?: string[];
}

/** The output formats the spec names for NDJSON; the manifest always says application/fhir+ndjson. */
const NDJSON_FORMATS = new Set(['application/fhir+ndjson', 'application/ndjson', 'ndjson']);
/** Kick-off parameters this server knows (others are refused: better than silently exporting too much). */
const KNOWN = new Set(['_outputFormat', '_type', '_since', '_typeFilter', '_elements']);
const INSTANT_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** Splits `_typeFilter` values: several queries may share one value, separated by commas before `Type?`. */
function typeFilterQueries(value: string): string[] {
  return value.split(/,(?=[A-Z][A-Za-z]+\?)/).map((s) => s.trim()).filter(Boolean);
}

/**
 * Checks kick-off parameters (name/value pairs from the query string or a Parameters body) for an
 * export at `level`; 400 for anything wrong, 404 for a Group that does not exist.
 */
export async function parseExportRequest(engine: FhirEngine, level: ExportLevel, params: [string, string][], groupId?: string, now = new Date()): Promise<ExportRequest> {
  const defs = engine.defs;
  for (const [name] of params) if (!KNOWN.has(name)) throw badRequest(`Unknown $export parameter '${name}'.`);
  for (const [, v] of params.filter(([n]) => n === '_outputFormat')) {
    if (!NDJSON_FORMATS.has(v.trim())) throw badRequest(`_outputFormat '${v}' is not supported; use application/fhir+ndjson.`);
  }

  const scopeTypes = level === 'system' ? [...defs.resourceTypes].sort() : patientCompartmentTypes(engine);
  const asked = params.filter(([n]) => n === '_type').flatMap(([, v]) => v.split(',')).map((t) => t.trim()).filter(Boolean);
  for (const t of asked) {
    if (!defs.isResourceType(t)) throw badRequest(`Unknown resource type '${t}' in _type.`);
    if (!scopeTypes.includes(t)) throw badRequest(`${t} is not in the Patient compartment, so a ${level}-level export cannot include it.`);
  }
  const types = asked.length ? [...new Set(asked)] : scopeTypes;

  let since: string | undefined;
  const sinceValues = params.filter(([n]) => n === '_since').map(([, v]) => v.trim());
  if (sinceValues.length > 1) throw badRequest('_since may be given once.');
  if (sinceValues.length) {
    if (!INSTANT_RE.test(sinceValues[0]) || !dateRange(sinceValues[0])) throw badRequest(`_since must be an instant with a time zone (e.g. 2024-01-01T00:00:00Z), got '${sinceValues[0]}'.`);
    since = new Date(dateRange(sinceValues[0])!.low).toISOString();
  }

  const typeFilters: Record<string, string[]> = {};
  for (const [, value] of params.filter(([n]) => n === '_typeFilter')) {
    for (const q of typeFilterQueries(value)) {
      const m = /^([A-Za-z]+)\?(.+)$/.exec(q);
      if (!m) throw badRequest(`_typeFilter '${q}' must be a search such as Observation?code=1234-5.`);
      const [, type, query] = m;
      if (!types.includes(type)) throw badRequest(`_typeFilter '${q}' names ${type}, which this export does not include.`);
      // Parsed now so that a bad filter fails the kick-off, not the job.
      engine.parser.parse([type], parseQuery(`?${query}`), { strict: true });
      (typeFilters[type] ??= []).push(query);
    }
  }

  const elements = params.filter(([n]) => n === '_elements').flatMap(([, v]) => v.split(',')).map((e) => e.trim()).filter(Boolean);
  for (const e of elements) {
    const [head] = e.split('.');
    if (e.includes('.') && !defs.isResourceType(head)) throw badRequest(`_elements '${e}' must be an element name or Type.element.`);
  }

  if (level === 'group') {
    const group = await engine.adapter.read('Group', groupId!);
    if (!group || group.deleted) throw notFound(`Group/${groupId} does not exist.`);
  }
  return { level, ...(groupId ? { groupId } : {}), types, ...(since ? { since } : {}), until: now.toISOString(), typeFilters, ...(elements.length ? { elements } : {}) };
}

/** Patient and the types in the Patient compartment (R4 CompartmentDefinition), sorted. */
export function patientCompartmentTypes(engine: FhirEngine): string[] {
  return [...new Set(['Patient', ...Object.keys(engine.defs.compartments.Patient ?? {}).filter((t) => engine.defs.compartmentParams('Patient', t).length)])].sort();
}

/** The Patient ids a Group export covers: its members that are Patients (inactive ones too). */
export async function groupPatientIds(engine: FhirEngine, groupId: string): Promise<string[]> {
  const group = await engine.adapter.read('Group', groupId);
  if (!group?.resource || group.deleted) throw notFound(`Group/${groupId} does not exist.`);
  const members = (group.resource as { member?: { entity?: { reference?: string } }[] }).member ?? [];
  const ids = members.map((m) => /^(?:.*\/)?Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(m.entity?.reference ?? '')?.[1]).filter((id): id is string => !!id);
  return [...new Set(ids)];
}

export interface ExportPage {
  /** One JSON text per resource (an NDJSON line without its newline). */
  lines: string[];
  /** Where the next page starts; undefined after the last page. */
  next?: unknown[];
}

/**
 * Reads one page of `type` for `request`, after keyset position `after`. `patients` limits a
 * patient-level export to the compartments of those Patients (a Group's members); without it a
 * patient-level export covers every Patient's compartment.
 */
export async function exportPage(engine: FhirEngine, request: ExportRequest, type: string, count: number, after?: unknown[], patients?: string[]): Promise<ExportPage> {
  const where: SearchExpr[] = [{ kind: 'lastUpdated', range: instantTest('le', request.until) }];
  if (request.since) where.push({ kind: 'lastUpdated', range: instantTest('gt', request.since) });
  if (request.level !== 'system') where.push(compartmentExpr(engine, type, patients));
  const filters = request.typeFilters[type];
  if (filters?.length) {
    const exprs = await Promise.all(filters.map(async (f) => (await resolveTerminology(engine.parser.parse([type], parseQuery(`?${f}`)).query.where, engine.adapter)) ?? { kind: 'and', exprs: [] } as SearchExpr));
    where.push(exprs.length === 1 ? exprs[0] : { kind: 'or', exprs });
  }
  const query: SearchQuery = { types: [type], where: { kind: 'and', exprs: where }, sort: [], count, total: 'none', include: [], revinclude: [], ...(after ? { after } : {}) };
  const page = await engine.adapter.search(query);
  const elements = elementsFor(request.elements, type);
  const lines = page.rows.map((r) => (elements ? JSON.stringify(shapeResource(engine.defs, r.version.resource!, undefined, elements)) : ndjsonLine(r.version)));
  return { lines, ...(page.hasMore && page.rows.length ? { next: page.rows[page.rows.length - 1].key } : {}) };
}

/** A resource as one line: the text it was stored as when the adapter has it (and it is on one line). */
function ndjsonLine(v: StoredVersion): string {
  const text = storedJson(v, 'resource');
  return text !== undefined && !text.includes('\n') ? text : JSON.stringify(v.resource);
}

/** Resources of `type` in the Patient compartment of `patients` (of any Patient when undefined). */
function compartmentExpr(engine: FhirEngine, type: string, patients?: string[]): SearchExpr {
  if (type === 'Patient') return patients ? { kind: 'id', ids: patients } : { kind: 'and', exprs: [] };
  const exprs: SearchExpr[] = [];
  for (const code of engine.defs.compartmentParams('Patient', type)) {
    const param = { code, type: 'reference' as const };
    if (!patients) exprs.push({ kind: 'value', param, predicate: { type: 'reference', targetType: 'Patient' } });
    else for (const id of patients) exprs.push({ kind: 'value', param, predicate: { type: 'reference', targetType: 'Patient', targetId: id } });
  }
  return { kind: 'or', exprs };
}

function instantTest(prefix: 'le' | 'gt', iso: string) {
  const ms = Date.parse(iso);
  return dateTest(prefix, ms, ms + 1);
}

/** The `_elements` that apply to `type`: bare names and `type.name`; undefined when none do. */
function elementsFor(elements: string[] | undefined, type: string): string[] | undefined {
  const own = elements?.filter((e) => !e.includes('.') || e.startsWith(`${type}.`)).map((e) => (e.includes('.') ? e.slice(type.length + 1) : e));
  return own?.length ? own : undefined;
}
