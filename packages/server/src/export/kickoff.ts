// The $export kick-off (system, Patient and Group level), registered as an engine operation so that
// routing, authorization, audit and the CapabilityStatement treat it like any other operation.
import { randomUUID } from 'node:crypto';
import { badRequest, methodNotAllowed, notFound, outcome, parseExportRequest, type ExportLevel, type FhirEngine, type FhirRequest, type FhirResponse, type JobStore, type OperationHandler, type Route } from '@hestia/core';
import { EXPORT_JOB, type ExportJobData } from './runner.js';

export const STATUS_PATH = '_operations/export';

interface ParametersBody { resourceType?: string; parameter?: { name?: string; valueString?: string; valueInstant?: string; valueDateTime?: string; valueCode?: string; valueUri?: string }[] }

/** Kick-off parameters from the query string (GET) or a Parameters body (POST). */
function kickoffParams(req: FhirRequest): [string, string][] {
  const fromQuery = req.query.filter(([k]) => k !== '_format' && k !== '_pretty');
  if (req.method.toUpperCase() !== 'POST') return fromQuery;
  const body = req.body as ParametersBody | undefined;
  if (!body || body.resourceType !== 'Parameters') throw badRequest('A POST $export needs a Parameters body.');
  const fromBody = (body.parameter ?? []).map((p): [string, string] => {
    const value = p.valueString ?? p.valueInstant ?? p.valueDateTime ?? p.valueCode ?? p.valueUri;
    if (!p.name || value === undefined) throw badRequest(`Parameter '${p.name ?? ''}' of $export needs a name and a string, instant, code or uri value.`);
    return [p.name, value];
  });
  return [...fromQuery, ...fromBody];
}

function levelOf(route: Route): { level: ExportLevel; groupId?: string } {
  if (!route.resourceType) return { level: 'system' };
  if (route.resourceType === 'Patient' && !route.id) return { level: 'patient' };
  if (route.resourceType === 'Group' && route.id) return { level: 'group', groupId: route.id };
  throw notFound(`$export is defined at the system level, on Patient and on Group/[id], not on ${route.resourceType}${route.id ? '/[id]' : ''}.`);
}

export function exportKickoff(jobs: JobStore, opts: { requiresAccessToken: boolean; started: () => void }): OperationHandler {
  return async (engine: FhirEngine, route: Route, req: FhirRequest): Promise<FhirResponse> => {
    const method = req.method.toUpperCase();
    if (method !== 'GET' && method !== 'POST') throw methodNotAllowed(`${method} is not allowed on $export.`);
    if (!/respond-async/i.test(req.headers.prefer ?? '')) throw badRequest('$export runs asynchronously: send Prefer: respond-async.');
    const accept = req.headers.accept;
    if (accept && !/application\/fhir\+json|\*\/\*/i.test(accept)) throw badRequest(`$export answers in application/fhir+json, not '${accept}'.`);
    const { level, groupId } = levelOf(route);
    const request = await parseExportRequest(engine, level, kickoffParams(req), groupId);
    const id = randomUUID();
    const path = route.resourceType ? `${route.resourceType}${route.id ? `/${route.id}` : ''}/$export` : '$export';
    const query = req.query.length ? `?${req.query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}` : '';
    const data: ExportJobData = {
      request,
      requestUrl: `${req.baseUrl}/${path}${query}`,
      requiresAccessToken: opts.requiresAccessToken,
      attempts: 0,
      progress: { typeIndex: 0, part: 1 },
      output: [],
      exported: 0,
    };
    await jobs.createJob({ id, kind: EXPORT_JOB, owner: req.caller ?? '', data: data as unknown as Record<string, unknown> });
    opts.started();
    return {
      status: 202,
      headers: { 'Content-Location': `${req.baseUrl}/${STATUS_PATH}/${id}` },
      body: outcome('information', 'informational', `Export job ${id} started; poll its Content-Location for the result.`),
    };
  };
}
