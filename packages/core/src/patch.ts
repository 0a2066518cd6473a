// PATCH bodies: JSON Patch (RFC 6902, via fast-json-patch) and FHIRPath Patch (a Parameters resource).
import jsonpatch from 'fast-json-patch';
import fhirpath from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4/index.js';
import stu3Model from 'fhirpath/fhir-context/stu3/index.js';
import { badRequest, unprocessable } from './errors.js';
import type { ElementRow, FhirDefinitions } from './definitions.js';
import type { Resource } from './types.js';

export function applyJsonPatch(resource: Resource, ops: unknown): Resource {
  if (!Array.isArray(ops)) throw badRequest('A JSON Patch body must be an array of operations.');
  if (!ops.every(isObject)) throw badRequest('Invalid JSON Patch: every operation must be an object.');
  // Structure only (400); whether the operations fit this resource is checked while applying (422).
  const invalid = jsonpatch.validate(ops as unknown as jsonpatch.Operation[]);
  if (invalid) throw badRequest(`Invalid JSON Patch: ${invalid.message.split('\n')[0]}`);
  try {
    return jsonpatch.applyPatch(structuredClone(resource), ops as unknown as jsonpatch.Operation[], true, false).newDocument;
  } catch (e) {
    const name = (e as { name?: string }).name;
    if (name === 'TEST_OPERATION_FAILED') throw unprocessable('JSON Patch test operation failed.');
    throw unprocessable(`JSON Patch could not be applied: ${(e as Error).message.split('\n')[0]}`);
  }
}

// ---------------------------------------------------------------------------------------------
// FHIRPath Patch (https://hl7.org/fhir/R4/fhirpatch.html)

type Json = Record<string, unknown>;
type OpType = 'add' | 'insert' | 'delete' | 'replace' | 'move';
type Evaluator = (resource: unknown) => unknown[];

interface Part { name?: unknown; part?: unknown; resource?: unknown; [k: string]: unknown }

interface PatchOp {
  type: OpType;
  path: string;
  eval: Evaluator;
  name?: string;
  value?: Part;
  index?: number;
  source?: number;
  destination?: number;
}

/** What fhirpath.js returns for an element of the resource when resolveInternalTypes is false. */
interface FpNode {
  data: unknown;
  _data?: unknown;
  parentResNode: FpNode | null;
  propName: string | null;
  index: number | null;
  path: string | null;
  fhirNodeDataType?: string | null;
}

/** Where an element lives: owner[key], or owner[key][index] for repeating elements. */
interface Slot { owner: Json; key: string; index: number | null }

/** A place in the definitions: a type and the element path below it ('' for the type itself). */
interface Ctx { type: string; path: string }

/** An element resolved against the definitions: its JSON key and cardinality. */
interface Target {
  key: string;
  repeats?: boolean; // undefined when the definitions do not know the element's container
  types?: string[];
  child?: Ctx;
  choiceBase?: string;
}

const OP_PARTS: Record<OpType, string[]> = {
  add: ['path', 'name', 'value'],
  insert: ['path', 'index', 'value'],
  delete: ['path'],
  replace: ['path', 'value'],
  move: ['path', 'source', 'destination'],
};
const PART_NAMES = new Set(['type', 'path', 'name', 'value', 'index', 'source', 'destination']);

export function applyFhirPathPatch(defs: FhirDefinitions, resource: Resource, parameters: Resource): Resource {
  const ops = parseParameters(defs, parameters);
  const doc = structuredClone(resource);
  const patcher = new FhirPathPatcher(defs, doc);
  for (const op of ops) patcher.apply(op);
  removeEmpty(doc);
  if (doc.resourceType !== resource.resourceType) throw unprocessable('FHIRPath Patch cannot change the resource type.');
  return doc;
}

// --- Reading the Parameters body (every failure here is a 400) --------------------------------

function parseParameters(defs: FhirDefinitions, parameters: Resource): PatchOp[] {
  if (!isObject(parameters) || parameters.resourceType !== 'Parameters') {
    throw badRequest('A FHIRPath Patch body must be a Parameters resource.');
  }
  const params = parameters.parameter ?? [];
  if (!Array.isArray(params)) throw badRequest('Parameters.parameter must be an array.');
  const model = defs.version === 'stu3' ? stu3Model : r4Model;
  return params.map((p: unknown, i) => parseOperation(p, i, model));
}

function parseOperation(param: unknown, i: number, model: unknown): PatchOp {
  const where = `FHIRPath Patch operation ${i + 1}`;
  if (!isObject(param) || param.name !== 'operation') throw badRequest(`${where}: parameters must be named 'operation'.`);
  if (!Array.isArray(param.part)) throw badRequest(`${where}: the operation has no parts.`);
  const parts = new Map<string, Part>();
  for (const part of param.part as unknown[]) {
    if (!isObject(part) || typeof part.name !== 'string') throw badRequest(`${where}: every part needs a name.`);
    if (!PART_NAMES.has(part.name)) throw badRequest(`${where}: unknown part '${part.name}'.`);
    if (parts.has(part.name)) throw badRequest(`${where}: part '${part.name}' is repeated.`);
    parts.set(part.name, part);
  }
  const type = primitivePart(parts.get('type'), ['valueCode', 'valueString']);
  if (typeof type !== 'string' || !(type in OP_PARTS)) throw badRequest(`${where}: unknown operation type '${String(type)}'.`);
  for (const name of OP_PARTS[type as OpType]) if (!parts.has(name)) throw badRequest(`${where}: '${type}' needs a '${name}' part.`);

  const path = primitivePart(parts.get('path'), ['valueString']);
  if (typeof path !== 'string' || !path.trim()) throw badRequest(`${where}: 'path' must be a non-empty valueString.`);
  const op: PatchOp = { type: type as OpType, path, eval: compilePath(path, model, where) };
  if (op.type === 'add') {
    const name = primitivePart(parts.get('name'), ['valueString', 'valueCode']);
    if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw badRequest(`${where}: 'name' must be an element name.`);
    op.name = name;
  }
  if (parts.has('value') && OP_PARTS[op.type].includes('value')) op.value = checkValuePart(parts.get('value')!, where);
  for (const key of ['index', 'source', 'destination'] as const) {
    if (!OP_PARTS[op.type].includes(key)) continue;
    const n = primitivePart(parts.get(key), ['valueInteger', 'valueUnsignedInt', 'valuePositiveInt']);
    if (!Number.isInteger(n) || (n as number) < 0) throw badRequest(`${where}: '${key}' must be a non-negative valueInteger.`);
    op[key] = n as number;
  }
  return op;
}

/** The value of the first of `keys` present on a part. */
function primitivePart(part: Part | undefined, keys: string[]): unknown {
  if (!part) return undefined;
  for (const k of keys) if (part[k] !== undefined) return part[k];
  return undefined;
}

function compilePath(path: string, model: unknown, where: string): Evaluator {
  try {
    return fhirpath.compile(path, model as never, { resolveInternalTypes: false }) as unknown as Evaluator;
  } catch (e) {
    throw badRequest(`${where}: invalid FHIRPath '${path}': ${(e as Error).message.split('\n')[0]}`);
  }
}

/** A value is exactly one of value[x], resource, or nested parts (each itself a named value). */
function checkValuePart(part: Part, where: string): Part {
  const forms = valueKeys(part).length + (part.resource !== undefined ? 1 : 0) + (part.part !== undefined ? 1 : 0);
  if (forms !== 1) throw badRequest(`${where}: part '${String(part.name)}' must have exactly one value[x], resource or part list.`);
  if (part.resource !== undefined && (!isObject(part.resource) || typeof part.resource.resourceType !== 'string')) {
    throw badRequest(`${where}: part '${String(part.name)}' has an invalid resource.`);
  }
  if (part.part !== undefined) {
    if (!Array.isArray(part.part) || !part.part.length) throw badRequest(`${where}: part '${String(part.name)}' has an empty part list.`);
    for (const sub of part.part as unknown[]) {
      if (!isObject(sub) || typeof sub.name !== 'string' || !sub.name) throw badRequest(`${where}: every value part needs a name.`);
      checkValuePart(sub, where);
    }
  }
  return part;
}

function valueKeys(part: Part): string[] {
  return Object.keys(part).filter((k) => /^value[A-Z]/.test(k));
}

// --- Applying operations (failures caused by the resource's content are 422) ------------------

class FhirPathPatcher {
  constructor(private readonly defs: FhirDefinitions, private readonly doc: Resource) {}

  apply(op: PatchOp): void {
    switch (op.type) {
      case 'add': return this.add(op);
      case 'insert': return this.insert(op);
      case 'delete': return this.delete(op);
      case 'replace': return this.replace(op);
      case 'move': return this.move(op);
    }
  }

  private add(op: PatchOp): void {
    const node = this.single(op, op.path);
    const owner = this.childrenOf(node);
    const target = this.target(this.ctxOf(node), op.name!, op.value!);
    const value = this.materialize(op.value!, target);
    if (target.repeats ?? Array.isArray(owner[target.key])) {
      const list = owner[target.key] ?? (owner[target.key] = []);
      if (!Array.isArray(list)) throw unprocessable(`${describe(op)}: '${target.key}' is not a list.`);
      list.push(value);
      const companion = owner[`_${target.key}`];
      if (Array.isArray(companion)) companion.push(null);
      return;
    }
    if (this.occupied(owner, target)) throw unprocessable(`${describe(op)}: '${op.name}' already has a value.`);
    owner[target.key] = value;
  }

  private insert(op: PatchOp): void {
    const { slot, ctx } = this.list(op);
    const target = this.target(ctx, slot.key, op.value!);
    if (target.repeats === false) throw unprocessable(`${describe(op)}: '${slot.key}' is not a repeating element.`);
    const list = (slot.owner[slot.key] ??= []) as unknown[];
    if (op.index! > list.length) throw unprocessable(`${describe(op)}: index ${op.index} is out of range (list size ${list.length}).`);
    list.splice(op.index!, 0, this.materialize(op.value!, target));
    const companion = slot.owner[`_${slot.key}`];
    if (Array.isArray(companion)) companion.splice(op.index!, 0, null);
  }

  private delete(op: PatchOp): void {
    const nodes = this.evaluate(op, op.path);
    if (!nodes.length) return; // deleting something absent is not an error
    if (nodes.length > 1) throw unprocessable(`${describe(op)}: the path matches ${nodes.length} elements; only one can be deleted.`);
    const slot = this.slotOf(nodes[0], describe(op));
    if (slot.index === null) {
      delete slot.owner[slot.key];
      delete slot.owner[`_${slot.key}`];
      return;
    }
    for (const key of [slot.key, `_${slot.key}`]) {
      const list = slot.owner[key];
      if (Array.isArray(list)) list.splice(slot.index, 1);
    }
  }

  private replace(op: PatchOp): void {
    const node = this.single(op, op.path);
    const slot = this.slotOf(node, describe(op));
    const target = this.target(this.ctxOf(node.parentResNode!), node.propName!, op.value!);
    const value = this.materialize(op.value!, target);
    if (slot.index !== null) {
      (slot.owner[slot.key] as unknown[])[slot.index] = value;
      return;
    }
    // A primitive keeps its id/extensions (in '_key') unless the element changes type or becomes complex.
    if (target.key !== slot.key || isObject(value)) delete slot.owner[`_${slot.key}`];
    delete slot.owner[slot.key];
    slot.owner[target.key] = value;
  }

  private move(op: PatchOp): void {
    const { slot } = this.list(op);
    const size = Array.isArray(slot.owner[slot.key]) ? (slot.owner[slot.key] as unknown[]).length : 0;
    for (const i of [op.source!, op.destination!]) {
      if (i >= size) throw unprocessable(`${describe(op)}: index ${i} is out of range (list size ${size}).`);
    }
    for (const key of [slot.key, `_${slot.key}`]) {
      const list = slot.owner[key];
      if (Array.isArray(list)) list.splice(op.destination!, 0, list.splice(op.source!, 1)[0]);
    }
  }

  // --- Locating elements ---

  private evaluate(op: PatchOp, path: string, fn: Evaluator = op.eval): unknown[] {
    try {
      return fn(this.doc);
    } catch (e) {
      const msg = (e as Error).message.split('\n')[0];
      // fhirpath.js only reports unknown functions at evaluation time: that is a malformed body.
      if (msg.startsWith('Not implemented')) throw badRequest(`${describe(op)}: unsupported FHIRPath '${path}': ${msg}`);
      throw unprocessable(`${describe(op)}: FHIRPath '${path}' could not be evaluated: ${msg}`);
    }
  }

  /** The one element of the resource a path must select. */
  private single(op: PatchOp, path: string, fn?: Evaluator): FpNode {
    const nodes = this.evaluate(op, path, fn);
    if (nodes.length !== 1) throw unprocessable(`${describe(op)}: the path '${path}' matches ${nodes.length} elements; exactly one is required.`);
    if (!isNode(nodes[0])) throw unprocessable(`${describe(op)}: the path '${path}' does not select an element of the resource.`);
    return nodes[0];
  }

  /**
   * The list an insert or move works on. When the path selects items, they must all be in one list;
   * when it selects nothing, a path ending in `.name` names a (possibly absent) list in the element before it.
   */
  private list(op: PatchOp): { slot: Slot; ctx: Ctx | undefined } {
    const nodes = this.evaluate(op, op.path);
    if (nodes.length) {
      const slots = nodes.map((n) => this.slotOf(n, describe(op)));
      const [first] = slots;
      if (slots.some((s) => s.owner !== first.owner || s.key !== first.key || s.index === null)) {
        throw unprocessable(`${describe(op)}: the path '${op.path}' does not identify exactly one list.`);
      }
      return { slot: first, ctx: this.ctxOf((nodes[0] as FpNode).parentResNode!) };
    }
    const split = splitLastName(op.path);
    if (!split) throw unprocessable(`${describe(op)}: the path '${op.path}' matches no list.`);
    const container = split.head === undefined ? this.rootNode() : this.single(op, split.head, this.compileHead(op, split.head));
    const owner = this.childrenOf(container);
    const slot = { owner, key: split.name, index: null };
    if (owner[split.name] !== undefined && !Array.isArray(owner[split.name])) {
      throw unprocessable(`${describe(op)}: '${split.name}' is not a list.`);
    }
    return { slot, ctx: this.ctxOf(container) };
  }

  private compileHead(op: PatchOp, head: string): Evaluator {
    const model = this.defs.version === 'stu3' ? stu3Model : r4Model;
    try {
      return compilePath(head, model, describe(op));
    } catch {
      throw unprocessable(`${describe(op)}: the path '${op.path}' matches no list.`);
    }
  }

  /** The resource itself, as the container of a bare element name. */
  private rootNode(): FpNode {
    return { data: this.doc, parentResNode: null, propName: null, index: null, path: this.doc.resourceType };
  }

  /** Where a selected element is stored. */
  private slotOf(node: unknown, where: string): Slot {
    if (!isNode(node) || !node.parentResNode || !node.propName) {
      throw unprocessable(`${where}: the path does not select an element inside the resource.`);
    }
    const owner = this.childrenOf(node.parentResNode);
    const key = jsonKey(owner, node);
    if (key === 'resourceType') throw unprocessable(`${where}: resourceType cannot be patched.`);
    return { owner, key, index: node.index ?? null };
  }

  /** The object holding a node's children: the node's own object, or for a primitive its '_name' companion. */
  private childrenOf(node: FpNode): Json {
    if (isObject(node.data)) return node.data;
    const slot = this.slotOf(node, 'FHIRPath Patch');
    const key = `_${slot.key}`;
    if (slot.index === null) return (isObject(slot.owner[key]) ? slot.owner[key] : (slot.owner[key] = {})) as Json;
    const values = slot.owner[slot.key];
    const size = Array.isArray(values) ? values.length : slot.index + 1;
    const list = (Array.isArray(slot.owner[key]) ? slot.owner[key] : (slot.owner[key] = new Array(size).fill(null))) as unknown[];
    return (isObject(list[slot.index]) ? list[slot.index] : (list[slot.index] = {})) as Json;
  }

  /** A node's place in the definitions, from the type path fhirpath.js gives it (e.g. 'HumanName', 'Patient.contact'). */
  private ctxOf(node: FpNode): Ctx | undefined {
    if (!isObject(node.data)) return { type: 'Element', path: '' }; // children of a primitive: id, extension
    const [type, ...rest] = (node.path ?? '').split('.');
    return this.defs.elements[type] ? { type, path: rest.join('.') } : undefined;
  }

  // --- Values and the definitions ---

  /** Resolves an element name below `ctx` (choice elements take their type suffix from the value). */
  private target(ctx: Ctx | undefined, name: string, value: Part): Target {
    if (name === 'resourceType') throw unprocessable('resourceType cannot be patched.');
    const valueType = valueTypeOf(this.defs, value);
    if (!ctx) return { key: name };
    const path = ctx.path ? `${ctx.path}.${name}` : name;
    const row = this.defs.element(ctx.type, path);
    if (row) return this.checked({ key: name, repeats: repeats(row), types: row[2], child: { type: ctx.type, path } }, valueType);
    const choice = this.defs.element(ctx.type, `${path}[x]`);
    if (choice) {
      if (!valueType) throw unprocessable(`'${name}' is a choice element and needs a typed value (value[x]).`);
      if (!choice[2].includes(valueType)) throw unprocessable(`'${name}' cannot hold a value of type ${valueType}.`);
      return { key: name + upperFirst(valueType), repeats: repeats(choice), types: [valueType], child: { type: valueType, path: '' }, choiceBase: name };
    }
    // A choice element named with its type, e.g. 'deceasedBoolean'.
    for (let i = 1; i < name.length; i++) {
      if (!/[A-Z]/.test(name[i])) continue;
      const base = this.defs.element(ctx.type, `${ctx.path ? `${ctx.path}.` : ''}${name.slice(0, i)}[x]`);
      const type = base?.[2].find((t) => upperFirst(t) === name.slice(i));
      if (base && type) return this.checked({ key: name, repeats: repeats(base), types: [type], child: { type, path: '' }, choiceBase: name.slice(0, i) }, valueType);
    }
    throw unprocessable(`'${name}' is not an element of ${ctx.path ? `${ctx.type}.${ctx.path}` : ctx.type}.`);
  }

  /** Rejects values whose kind cannot fit the element (a primitive for a complex element, or the reverse). */
  private checked(target: Target, valueType: string | undefined): Target {
    const types = target.types ?? [];
    if (!types.length || (valueType && types.includes(valueType))) return target;
    const elementPrimitive = types.every((t) => this.isPrimitive(t));
    const backbone = types.every((t) => t === 'BackboneElement' || t === 'Element');
    const ok = valueType === undefined
      ? !elementPrimitive // nested parts build a complex value
      : this.isPrimitive(valueType) ? elementPrimitive : !elementPrimitive && !backbone;
    if (!ok) throw unprocessable(`'${target.key}' cannot hold a value of type ${valueType ?? '(complex parts)'}.`);
    return target;
  }

  private isPrimitive(type: string): boolean {
    return type in this.defs.primitives || type.startsWith('http://hl7.org/fhirpath/System.');
  }

  /** True when a single-valued element (or another type of the same choice) is already present. */
  private occupied(owner: Json, target: Target): boolean {
    if (owner[target.key] !== undefined || owner[`_${target.key}`] !== undefined) return true;
    const base = target.choiceBase;
    return !!base && Object.keys(owner).some((k) => k.replace(/^_/, '').startsWith(base) && /^[A-Z]/.test(k.replace(/^_/, '').slice(base.length)));
  }

  /** The JSON for a value part: a copy of value[x] or resource, or an object built from nested parts. */
  private materialize(part: Part, target: Target): unknown {
    const [key] = valueKeys(part);
    if (key) return structuredClone(part[key]);
    if (part.resource !== undefined) return structuredClone(part.resource);
    const obj: Json = {};
    for (const sub of part.part as Part[]) {
      const child = this.target(target.child, sub.name as string, sub);
      const value = this.materialize(sub, child);
      if (child.repeats ?? obj[child.key] !== undefined) {
        const list = obj[child.key];
        obj[child.key] = Array.isArray(list) ? [...list, value] : list === undefined ? [value] : [list, value];
      } else if (this.occupied(obj, child)) {
        throw unprocessable(`'${child.key}' is given more than once but is not repeating.`);
      } else {
        obj[child.key] = value;
      }
    }
    return obj;
  }
}

// --- Small helpers ---

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isNode(v: unknown): v is FpNode {
  return isObject(v) && 'data' in v && 'parentResNode' in v && 'propName' in v;
}

function repeats(row: ElementRow): boolean {
  return row[1] !== '1' && row[1] !== '0';
}

function upperFirst(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function describe(op: PatchOp): string {
  return `FHIRPath Patch ${op.type} '${op.path}'`;
}

/** The FHIR type of a value part: from its value[x] suffix ('valueDate' -> 'date'), 'Resource', or none for parts. */
function valueTypeOf(defs: FhirDefinitions, part: Part): string | undefined {
  const [key] = valueKeys(part);
  if (key) {
    const suffix = key.slice('value'.length);
    const lower = suffix.charAt(0).toLowerCase() + suffix.slice(1);
    return lower in defs.primitives ? lower : suffix;
  }
  return part.resource !== undefined ? 'Resource' : undefined;
}

/** The JSON key a node came from: its property name, or for a choice element the name with the type suffix. */
function jsonKey(owner: Json, node: FpNode): string {
  const name = node.propName!;
  if (name in owner || `_${name}` in owner) return name;
  const typed = name + upperFirst(node.fhirNodeDataType ?? node.path?.split('.').pop() ?? '');
  if (typed in owner || `_${typed}` in owner) return typed;
  const found = Object.keys(owner).find((k) => k.startsWith(name) && /^[A-Z]/.test(k.slice(name.length)));
  return found ?? name;
}

/**
 * Splits 'Patient.name[0].given' into the container path and the final element name, only for plain
 * navigation paths (no top-level operators, where the split would change the meaning).
 */
function splitLastName(path: string): { head?: string; name: string } | undefined {
  const match = /^(?:(.+)\.)?([A-Za-z_][A-Za-z0-9_]*)$/.exec(path.trim());
  if (!match) return undefined;
  const flat = path.replace(/'(?:[^'\\]|\\.)*'/g, "''");
  let depth = 0;
  for (const c of flat) {
    if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (depth === 0 && !/[\w.%$`']/.test(c)) return undefined;
  }
  return { head: match[1], name: match[2] };
}

/** Drops the empty objects and arrays an operation leaves behind (and companion arrays holding only nulls). */
function removeEmpty(obj: Json): void {
  for (const [key, value] of Object.entries(obj)) {
    if (isEmptyAfterCleaning(value, key.startsWith('_'))) delete obj[key];
  }
}

function isEmptyAfterCleaning(value: unknown, companion: boolean): boolean {
  if (Array.isArray(value)) {
    for (let i = value.length - 1; i >= 0; i--) {
      if (!isEmptyAfterCleaning(value[i], false)) continue;
      // Companion arrays keep their positions; other lists lose the empty entry.
      if (companion) value[i] = null;
      else if (value[i] !== null) value.splice(i, 1);
    }
    return value.length === 0 || (companion && value.every((v) => v === null));
  }
  if (isObject(value)) {
    removeEmpty(value);
    return Object.keys(value).length === 0;
  }
  return value === undefined || (companion && value === null);
}

