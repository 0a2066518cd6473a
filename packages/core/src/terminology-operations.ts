// Terminology operations on the ValueSets and CodeSystems stored in this server (no external
// terminology service): ValueSet/$expand, ValueSet/$validate-code, CodeSystem/$lookup and
// CodeSystem/$validate-code (https://hl7.org/fhir/R4/terminology-service.html), at type level
// (`url`, or the resource in a Parameters body for $expand) or on one stored resource.
import { randomUUID } from 'node:crypto';
import type { Ctx, FhirEngine } from './engine.js';
import { badRequest, methodNotAllowed, notFound } from './errors.js';
import { operationInput, textInput } from './operation-input.js';
import type { FhirRequest, FhirResponse, Route } from './router.js';
import { allConcepts, byUrl, conceptPath, valueSetContents, type CodeSystemResource, type Concept, type ValueSetResource } from './terminology.js';
import type { Resource } from './types.js';

type Input = Map<string, unknown>;
type Coding = { system?: string; code?: string; display?: string };

const ok = (body: Resource): FhirResponse => ({ status: 200, headers: {}, body });
const parameters = (parameter: Record<string, unknown>[]): Resource => ({ resourceType: 'Parameters', parameter });

function checkMethod(req: FhirRequest, name: string): Input {
  const method = req.method.toUpperCase();
  if (method !== 'GET' && method !== 'POST') throw methodNotAllowed(`$${name} takes GET or POST.`);
  return operationInput(req, name);
}

/** The ValueSet or CodeSystem the operation is about: the instance, the resource given, or the one stored with `url`. */
async function target<T extends Resource>(engine: FhirEngine, route: Route, ctx: Ctx, input: Input, type: 'ValueSet' | 'CodeSystem', urlParam: string): Promise<T> {
  const s = engine.session(ctx);
  if (route.id) {
    const v = await s.read(type, route.id);
    if (!v || v.deleted) throw notFound(`${type}/${route.id} is not known.`);
    return v.resource as T;
  }
  const given = input.get(type === 'ValueSet' ? 'valueSet' : 'codeSystem');
  if (given !== undefined) {
    if ((given as Resource).resourceType !== type) throw badRequest(`The parameter '${type === 'ValueSet' ? 'valueSet' : 'codeSystem'}' must be a ${type}.`);
    return given as T;
  }
  const url = textInput(input, urlParam);
  if (url === undefined) throw badRequest(`Name the ${type} with '${urlParam}', or call the operation on one: ${type}/[id]/$….`);
  const version = textInput(input, type === 'ValueSet' ? 'valueSetVersion' : 'version');
  const found = await byUrl(s, type, version ? `${url}|${version}` : url);
  if (!found) throw notFound(`${type} '${url}' is not stored in this server.`);
  return found as T;
}

/** The coding to check or look up: system, code (and display) as parameters, or a Coding, or a CodeableConcept's codings. */
function codingsOf(input: Input, system?: string): Coding[] {
  const concept = input.get('codeableConcept') as { coding?: Coding[] } | undefined;
  if (concept) return concept.coding ?? [];
  const coding = input.get('coding') as Coding | undefined;
  if (coding) return [coding];
  const code = textInput(input, 'code');
  if (code === undefined) throw badRequest("Give 'code' (with 'system'), 'coding' or 'codeableConcept'.");
  return [{ system: textInput(input, 'system') ?? system, code, display: textInput(input, 'display') }];
}

function count(input: Input, name: string, fallback: number): number {
  const text = textInput(input, name);
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text)) throw badRequest(`'${name}' must be a whole number, got '${text}'.`);
  return Number(text);
}

export async function expandOperation(engine: FhirEngine, route: Route, req: FhirRequest, ctx: Ctx): Promise<FhirResponse> {
  if (route.resourceType !== 'ValueSet') throw badRequest('$expand runs on ValueSets.');
  const input = checkMethod(req, 'expand');
  const vs = await target<ValueSetResource>(engine, route, ctx, input, 'ValueSet', 'url');
  const filter = textInput(input, 'filter')?.toLowerCase();
  const offset = count(input, 'offset', 0);
  const max = count(input, 'count', Number.MAX_SAFE_INTEGER);
  const all = (await valueSetContents(engine.session(ctx), vs, new Set(), true)).filter((c) => !filter || c.code!.toLowerCase().includes(filter) || !!c.display?.toLowerCase().includes(filter));
  const contains = all.slice(offset, offset + max).map((c) => ({ system: c.system, code: c.code, ...(c.display ? { display: c.display } : {}) }));
  const used = [...(filter ? [{ name: 'filter', valueString: filter }] : []), ...(offset ? [{ name: 'offset', valueInteger: offset }] : []), ...(max < Number.MAX_SAFE_INTEGER ? [{ name: 'count', valueInteger: max }] : [])];
  const { expansion: _old, text: _text, ...rest } = vs as ValueSetResource & { text?: unknown };
  return ok({
    ...rest,
    expansion: { identifier: `urn:uuid:${randomUUID()}`, timestamp: new Date().toISOString(), total: all.length, ...(offset ? { offset } : {}), ...(used.length ? { parameter: used } : {}), ...(contains.length ? { contains } : {}) },
  });
}

export async function validateCodeOperation(engine: FhirEngine, route: Route, req: FhirRequest, ctx: Ctx): Promise<FhirResponse> {
  const input = checkMethod(req, 'validate-code');
  if (route.resourceType === 'CodeSystem') {
    const cs = await target<CodeSystemResource>(engine, route, ctx, input, 'CodeSystem', 'url');
    const [coding] = codingsOf(input, cs.url);
    if (coding?.system !== undefined && coding.system !== cs.url) return ok(result(false, `The code's system '${coding.system}' is not CodeSystem '${cs.url}'.`));
    const concept = allConcepts(cs).find((c) => c.code === coding?.code);
    return ok(concept ? displayResult(concept.display, coding!.display) : result(false, `Code '${coding?.code}' is not in CodeSystem '${cs.url}'.`));
  }
  if (route.resourceType !== 'ValueSet') throw badRequest('$validate-code runs on ValueSets and CodeSystems.');
  const vs = await target<ValueSetResource>(engine, route, ctx, input, 'ValueSet', 'url');
  const codes = await valueSetContents(engine.session(ctx), vs);
  const codings = codingsOf(input);
  for (const c of codings) {
    const hit = codes.find((x) => x.system === c.system && (x.code === c.code || x.code === undefined));
    if (!hit) continue;
    if (hit.code !== undefined) return ok(displayResult(hit.display, c.display));
    // (a whole code system: the code is checked against it when it is stored)
    const cs = await byUrl(engine.session(ctx), 'CodeSystem', c.system!) as CodeSystemResource | undefined;
    if (!cs) return ok(result(true, `CodeSystem '${c.system}' is not stored in this server: the code itself was not checked.`));
    const concept = allConcepts(cs).find((x) => x.code === c.code);
    if (concept) return ok(displayResult(concept.display, c.display));
  }
  const shown = codings.map((c) => `${c.system ?? ''}|${c.code ?? ''}`).join(', ');
  return ok(result(false, `${shown || 'No coding'} is not in ValueSet '${vs.url ?? vs.id}'.`));
}

export async function lookupOperation(engine: FhirEngine, route: Route, req: FhirRequest, ctx: Ctx): Promise<FhirResponse> {
  if (route.resourceType !== 'CodeSystem') throw badRequest('$lookup runs on CodeSystems.');
  const input = checkMethod(req, 'lookup');
  const [coding] = codingsOf(input);
  let cs: CodeSystemResource;
  if (route.id) cs = await target<CodeSystemResource>(engine, route, ctx, input, 'CodeSystem', 'system');
  else {
    if (!coding?.system) throw badRequest("$lookup needs the code's 'system'.");
    const found = await byUrl(engine.session(ctx), 'CodeSystem', coding.system);
    if (!found) throw notFound(`CodeSystem '${coding.system}' is not stored in this server.`);
    cs = found as CodeSystemResource;
  }
  const path = conceptPath(cs, coding?.code);
  if (!path) throw notFound(`Code '${coding?.code}' is not in CodeSystem '${cs.url}'.`);
  const concept = path[path.length - 1];
  const parent = path.length > 1 ? path[path.length - 2] : undefined;
  const property = (code: string, c: Concept) => ({ name: 'property', part: [{ name: 'code', valueCode: code }, { name: 'value', valueCode: c.code }] });
  return ok(parameters([
    { name: 'name', valueString: cs.name ?? cs.title ?? cs.url },
    ...(cs.version ? [{ name: 'version', valueString: cs.version }] : []),
    ...(concept.display ? [{ name: 'display', valueString: concept.display }] : []),
    ...(parent ? [property('parent', parent)] : []),
    ...(concept.concept ?? []).map((child) => property('child', child)),
  ]));
}

function result(value: boolean, message?: string): Resource {
  return parameters([{ name: 'result', valueBoolean: value }, ...(message ? [{ name: 'message', valueString: message }] : [])]);
}

/** A code found: true with its display, or false when the display given is not its display. */
function displayResult(display: string | undefined, given: string | undefined): Resource {
  if (given !== undefined && display !== undefined && given !== display) {
    return parameters([{ name: 'result', valueBoolean: false }, { name: 'message', valueString: `The display '${given}' is not the code's display '${display}'.` }, { name: 'display', valueString: display }]);
  }
  return parameters([{ name: 'result', valueBoolean: true }, ...(display ? [{ name: 'display', valueString: display }] : [])]);
}

