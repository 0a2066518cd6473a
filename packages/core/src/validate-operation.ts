// $validate (http://hl7.org/fhir/OperationDefinition/Resource-validate): would this content be
// accepted, in general or as a create, an update or a delete? The checks are the ones the write
// interactions make. The answer is 200 with an OperationOutcome whether or not the content is valid;
// a 4xx means the request itself could not be validated (no resource, a mode the level does not
// allow, a profile this server does not know).
import type { Ctx, FhirEngine } from './engine.js';
import { badRequest, FhirError, methodNotAllowed } from './errors.js';
import type { FhirRequest, FhirResponse, Route } from './router.js';
import type { OperationOutcomeIssue, Resource } from './types.js';

export const VALIDATE_DEFINITION = 'http://hl7.org/fhir/OperationDefinition/Resource-validate';

type Mode = 'create' | 'update' | 'delete';
const MODES: readonly string[] = ['create', 'update', 'delete'];

interface Input { resource?: Resource; mode?: string; profile?: string }

/** The operation's parameters: from a Parameters body, or a bare resource body, and the query string. */
function inputOf(req: FhirRequest): Input {
  const query = (name: string) => req.query.find(([k]) => k === name)?.[1];
  const out: Input = { mode: query('mode'), profile: query('profile') };
  const body = req.body;
  if (body === undefined || body === null || body === '') return out;
  if (typeof body !== 'object' || Array.isArray(body)) throw badRequest('The body of $validate must be the resource, or Parameters with a resource parameter.', 'structure');
  const r = body as Resource;
  if (r.resourceType !== 'Parameters') return { ...out, resource: r };
  for (const p of (r.parameter ?? []) as { name?: string; resource?: Resource; valueCode?: string; valueUri?: string; valueCanonical?: string }[]) {
    if (p.name === 'resource') out.resource = p.resource;
    else if (p.name === 'mode') out.mode = p.valueCode;
    else if (p.name === 'profile') out.profile = p.valueUri ?? p.valueCanonical;
  }
  return out;
}

export async function validateOperation(engine: FhirEngine, route: Route, req: FhirRequest, ctx: Ctx): Promise<FhirResponse> {
  const method = req.method.toUpperCase();
  if (method !== 'POST' && method !== 'GET') throw methodNotAllowed('$validate takes POST (or GET on a stored resource).');
  const type = route.resourceType;
  if (!type) throw badRequest('$validate runs on a type or a resource: [base]/[type]/$validate or [base]/[type]/[id]/$validate.');
  const input = inputOf(req);
  if (input.mode !== undefined && !MODES.includes(input.mode)) throw badRequest(`mode must be create, update or delete, not '${input.mode}'.`);
  const mode = input.mode as Mode | undefined;
  if ((mode === 'update' || mode === 'delete') && !route.id) throw badRequest(`mode ${mode} needs a resource: [base]/${type}/[id]/$validate.`);
  if (mode === 'create' && route.id) throw badRequest(`mode create runs on the type: [base]/${type}/$validate.`);
  const base = `http://hl7.org/fhir/StructureDefinition/${type}`;
  if (input.profile !== undefined && input.profile.replace(/\|.*$/, '') !== base) {
    throw new FhirError(400, 'not-supported', `Profile '${input.profile}' is not known here: resources are validated against the base definition (${base}).`);
  }

  const current = route.id ? await engine.session(ctx).read(type, route.id) : undefined;
  const exists = !!current && !current.deleted;
  let issues: OperationOutcomeIssue[];
  if (mode === 'delete') {
    issues = exists ? [] : [{ severity: 'error', code: 'not-found', diagnostics: `${type}/${route.id} does not exist, so there is nothing to delete.` }];
  } else {
    let resource = input.resource;
    // GET on a resource, or POST without one: the stored version is what is validated.
    if (!resource && route.id && !mode) resource = current?.resource;
    if (!resource) throw badRequest(route.id && !exists && !mode ? `${type}/${route.id} is not known; send the resource to validate.` : '$validate needs the resource to validate (the body, or a resource parameter).');
    issues = engine.bodyIssues(type, resource, route.id);
    if (mode === 'update' && !exists && !engine.options.allowCreateOnUpdate) {
      issues.push({ severity: 'error', code: 'not-found', diagnostics: `${type}/${route.id} does not exist and this server does not create resources on update.` });
    }
  }
  const issue = issues.length ? issues : [{ severity: 'information' as const, code: 'informational' as const, diagnostics: `Valid${mode ? ` for ${mode}` : ''}: no issues found.` }];
  return { status: 200, headers: {}, body: { resourceType: 'OperationOutcome', issue } };
}
