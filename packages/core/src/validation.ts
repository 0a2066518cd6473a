// Structural validation of resources against the FHIR definitions (via the compiled element model).
import type { FhirDefinitions } from './definitions.js';
import type { OperationOutcomeIssue, Resource } from './types.js';
import { elementModel, type ElementDef, type ElementModel, type PrimitiveType, type TypeNode } from './element-model.js';

export const ID_RE = /^[A-Za-z0-9\-.]{1,64}$/;

// ---- validation ----------------------------------------------------------------------------------

const MAX_DEPTH = 100;

interface Ctx {
  model: ElementModel;
  issues: OperationOutcomeIssue[];
}

function report(ctx: Ctx, code: OperationOutcomeIssue['code'], expression: string, message: string): void {
  ctx.issues.push({ severity: 'error', code, diagnostics: `${message} (at ${expression})`, expression: [expression] });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const describe = (v: unknown): string => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
};

/** Returns the problems found; an empty list means the resource is acceptable. */
export function validateResource(defs: FhirDefinitions, resource: unknown): OperationOutcomeIssue[] {
  if (!isObject(resource)) {
    return [{ severity: 'error', code: 'structure', diagnostics: 'The body must be a FHIR resource (a JSON object).' }];
  }
  const r = resource as Resource;
  if (typeof r.resourceType !== 'string' || !defs.isResourceType(r.resourceType)) {
    return [{ severity: 'error', code: 'invalid', diagnostics: `Unknown or missing resourceType '${String(r.resourceType)}'.` }];
  }
  const ctx: Ctx = { model: elementModel(defs), issues: [] };
  checkResource(ctx, resource, r.resourceType, 0);
  return ctx.issues;
}

/** A resource at the top level or nested (contained, Bundle.entry.resource, Parameters.parameter.resource). */
function checkResource(ctx: Ctx, value: unknown, path: string, depth: number): void {
  if (!isObject(value)) return report(ctx, 'structure', path, 'A resource must be a JSON object');
  const type = value.resourceType;
  const node = typeof type === 'string' ? ctx.model.resource(type) : undefined;
  if (!node) return report(ctx, 'invalid', path, `Unknown or missing resourceType ${describe(type)}`);
  if (value.id !== undefined && (typeof value.id !== 'string' || !ID_RE.test(value.id))) {
    // Reported here with a clearer message than the generic primitive check below.
    report(ctx, 'value', `${path}.id`, `Invalid id ${describe(value.id)}: 1-64 letters, digits, '-' and '.'`);
    const { id: _skip, ...rest } = value;
    return checkObject(ctx, node, rest, path, depth);
  }
  checkObject(ctx, node, value, path, depth);
}

/** The properties of a resource or complex value against its node. */
function checkObject(ctx: Ctx, node: TypeNode, obj: Record<string, unknown>, path: string, depth: number): void {
  if (depth > MAX_DEPTH) return report(ctx, 'structure', path, 'Content is nested too deeply');
  let choices: string[] | undefined; // choice groups seen, to reject valueString + valueQuantity
  for (const key in obj) {
    const companion = key.charCodeAt(0) === 95; // '_name': id/extension of primitive 'name'
    const def = node.byName.get(companion ? key.slice(1) : key);
    if (!def || (companion && (def.kind !== 'primitive' || def.primitive!.system))) {
      if (!(key === 'resourceType' && node.resource)) report(ctx, 'structure', `${path}.${key}`, `Unknown element '${key}'`);
      continue;
    }
    if (def.choice && !(companion && key.slice(1) in obj)) {
      if (choices?.includes(def.choice)) report(ctx, 'structure', `${path}.${def.choice}`, `Only one ${def.choice}[x] alternative is allowed`);
      (choices ??= []).push(def.choice);
    }
    if (companion) checkCompanion(ctx, def, obj[key], obj[def.name], `${path}.${def.step}`, depth);
    else checkProperty(ctx, def, obj[key], obj[`_${key}`], `${path}.${def.step}`, depth);
  }
  for (const req of node.required) {
    if (!req.alternatives.some((d) => obj[d.name] !== undefined || (d.kind === 'primitive' && obj[`_${d.name}`] !== undefined))) {
      report(ctx, 'required', `${path}.${req.name}`, `Missing required element '${req.name}'`);
    }
  }
}

/** One property: cardinality, then each value by kind. `companion` is the `_name` of a primitive. */
function checkProperty(ctx: Ctx, def: ElementDef, value: unknown, companion: unknown, path: string, depth: number): void {
  if (!def.array) {
    if (Array.isArray(value)) return report(ctx, 'structure', path, `Element '${def.name}' has max cardinality ${def.max}; it must not be an array`);
    return checkValue(ctx, def, value, path, depth);
  }
  if (!Array.isArray(value)) return report(ctx, 'structure', path, `Element '${def.name}' repeats; it must be an array`);
  if (value.length === 0) return report(ctx, 'structure', path, 'Arrays must not be empty');
  if (value.length > def.max) report(ctx, 'structure', path, `At most ${def.max} '${def.name}' allowed, found ${value.length}`);
  for (let i = 0; i < value.length; i++) {
    const item = value[i];
    // A null stands for a value missing in a primitive array whose companion carries extensions.
    if (item === null && def.kind === 'primitive' && Array.isArray(companion) && isObject(companion[i])) continue;
    checkValue(ctx, def, item, `${path}[${i}]`, depth);
  }
}

function checkValue(ctx: Ctx, def: ElementDef, value: unknown, path: string, depth: number): void {
  switch (def.kind) {
    case 'primitive':
      if (!primitiveOk(def.primitive!, value)) {
        report(ctx, 'value', path, `Invalid ${def.type} value ${describe(value)}${jsonTypeHint(def.primitive!, value)}`);
      } else if (def.binding && !def.binding.codes.has(value as string)) {
        report(ctx, 'code-invalid', path, `Code ${describe(value)} is not in the required value set ${def.binding.valueSet} (${[...def.binding.codes].slice(0, 8).join(', ')}${def.binding.codes.size > 8 ? ', …' : ''})`);
      }
      return;
    case 'xhtml':
      if (typeof value !== 'string' || !/^\s*<div[\s>/]/.test(value)) report(ctx, 'value', path, 'The narrative must be an XHTML <div> string');
      return;
    case 'resource':
      return checkResource(ctx, value, path, depth + 1);
    case 'complex':
      if (!isObject(value)) return report(ctx, 'structure', path, `Element '${def.name}' must be a JSON object (${def.type})`);
      checkObject(ctx, def.node!, value, path, depth + 1);
      if (def.codingBinding) checkCodings(ctx, def, value, path);
      return;
  }
}

/**
 * A Coding, or a CodeableConcept's codings, against a required binding: the Coding, or at least one
 * of the concept's codings, must have a system and code of the value set (a concept with text only
 * does not say which of its codes it is).
 */
function checkCodings(ctx: Ctx, def: ElementDef, value: Record<string, unknown>, path: string): void {
  const { valueSet, systems } = def.codingBinding!;
  const codings = def.type === 'Coding' ? [value] : Array.isArray(value.coding) ? value.coding.filter(isObject) : [];
  if (codings.some((c) => typeof c.system === 'string' && typeof c.code === 'string' && systems.get(c.system)?.has(c.code))) return;
  const allowed = [...systems].flatMap(([system, codes]) => [...codes].map((code) => `${system}|${code}`));
  const given = codings.map((c) => `${String(c.system ?? '')}|${String(c.code ?? '')}`);
  const what = def.type === 'Coding' ? `Coding ${given[0]} is not` : given.length ? `None of the codings (${given.join(', ')}) is` : 'A concept without codings is not';
  report(ctx, 'code-invalid', path, `${what} in the required value set ${valueSet} (${allowed.slice(0, 8).join(', ')}${allowed.length > 8 ? ', …' : ''})`);
}

function primitiveOk(p: PrimitiveType, v: unknown): boolean {
  switch (p.json) {
    case 'boolean':
      return typeof v === 'boolean';
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) && v >= p.min && v <= p.max && (!p.integer || Number.isInteger(v));
    default:
      return typeof v === 'string' && p.test(v);
  }
}

function jsonTypeHint(p: PrimitiveType, v: unknown): string {
  return typeof v === p.json ? '' : ` (must be a JSON ${p.json})`;
}

/** `_name`: an object (or, for arrays, an aligned array of objects and nulls) holding only id and extension. */
function checkCompanion(ctx: Ctx, def: ElementDef, companion: unknown, value: unknown, path: string, depth: number): void {
  const node = ctx.model.primitiveCompanion();
  if (!def.array) {
    if (!isObject(companion)) return report(ctx, 'structure', path, `'_${def.name}' must be a JSON object`);
    return checkObject(ctx, node, companion, path, depth + 1);
  }
  if (!Array.isArray(companion)) return report(ctx, 'structure', path, `'_${def.name}' must be an array`);
  if (value === undefined) {
    // Extensions only: every entry stands for one repetition of the element.
    if (companion.length > def.max) report(ctx, 'structure', path, `At most ${def.max} '${def.name}' allowed, found ${companion.length}`);
  } else if (!Array.isArray(value) || value.length !== companion.length) {
    return report(ctx, 'structure', path, `'_${def.name}' must have as many entries as '${def.name}'`);
  }
  for (let i = 0; i < companion.length; i++) {
    const item = companion[i];
    if (item === null) {
      if (value === undefined) report(ctx, 'structure', `${path}[${i}]`, `'_${def.name}' entry ${i} is null and has no value`);
      continue;
    }
    if (!isObject(item)) report(ctx, 'structure', `${path}[${i}]`, `'_${def.name}' entries must be objects or null`);
    else checkObject(ctx, node, item, `${path}[${i}]`, depth + 1);
  }
}
