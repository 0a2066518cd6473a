// FHIR XML <-> JSON (https://hl7.org/fhir/R4/xml.html, https://hl7.org/fhir/R4/json.html), driven by the
// compiled element model: element order, arrays, primitive types and attributes all come from the definitions.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { FhirDefinitions } from '../definitions.js';
import { badRequest } from '../errors.js';
import type { Resource } from '../types.js';
import { elementModel, type ElementDef, type ElementModel, type PrimitiveType, type TypeNode } from '../element-model.js';

const FHIR_NS = 'http://hl7.org/fhir';
const XHTML_NS = 'http://www.w3.org/1999/xhtml';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

// ---- JSON -> XML ---------------------------------------------------------------------------------

/** Serialises a resource as FHIR XML. Throws a 400 FhirError for content XML cannot carry (unknown elements). */
export function toXml(defs: FhirDefinitions, resource: Resource, pretty = false): string {
  const w = new XmlWriter(pretty);
  writeResource(elementModel(defs), w, resource, ` xmlns="${FHIR_NS}"`, 0, 'resource');
  return w.toString();
}

/** Collects the output; each element start or end is one part, so an empty element can be closed in place. */
class XmlWriter {
  private readonly parts: string[] = [];
  constructor(private readonly pretty: boolean) {}

  private line(depth: number): string {
    return this.pretty ? `${this.parts.length ? '\n' : ''}${'  '.repeat(depth)}` : '';
  }
  /** Writes a start tag and returns a handle for close(). */
  open(name: string, attrs: string, depth: number): number {
    this.parts.push(`${this.line(depth)}<${name}${attrs}>`);
    return this.parts.length - 1;
  }
  /** Ends the element opened at `handle`, as `<name/>` when nothing was written inside it. */
  close(name: string, handle: number, depth: number): void {
    if (handle === this.parts.length - 1) this.parts[handle] = `${this.parts[handle].slice(0, -1)}/>`;
    else this.parts.push(`${this.line(depth)}</${name}>`);
  }
  raw(text: string, depth: number): void {
    this.parts.push(`${this.line(depth)}${text}`);
  }
  toString(): string {
    return this.parts.join('');
  }
}

function writeResource(m: ElementModel, w: XmlWriter, r: unknown, attrs: string, depth: number, path: string): void {
  const type = isObject(r) ? r.resourceType : undefined;
  const node = typeof type === 'string' ? m.resource(type) : undefined;
  if (!node) throw badRequest(`Cannot write ${path} as XML: unknown or missing resourceType ${JSON.stringify(type)}`);
  const h = w.open(type as string, attrs, depth);
  writeChildren(m, w, node, r as Json, depth + 1, type as string);
  w.close(type as string, h, depth);
}

/** Child elements of a resource or complex value, in definition order; attributes are written by the caller. */
function writeChildren(m: ElementModel, w: XmlWriter, node: TypeNode, obj: Json, depth: number, path: string): void {
  let used = node.resource && obj.resourceType !== undefined ? 1 : 0;
  for (const def of node.elements) {
    const value = obj[def.name];
    const companion = def.kind === 'primitive' && !def.primitive!.system ? obj[`_${def.name}`] : undefined;
    if (value !== undefined) used++;
    if (companion !== undefined) used++;
    if (def.xmlAttr || (value === undefined && companion === undefined)) continue;
    writeElement(m, w, def, value, companion, depth, `${path}.${def.name}`);
  }
  if (used !== Object.keys(obj).length) {
    for (const key of Object.keys(obj)) {
      const def = node.byName.get(key[0] === '_' ? key.slice(1) : key);
      const known = key[0] === '_' ? def?.kind === 'primitive' && !def.primitive!.system : def || (node.resource && key === 'resourceType');
      if (!known) throw badRequest(`Cannot write ${path}.${key} as XML: unknown element`);
    }
  }
}

function writeElement(m: ElementModel, w: XmlWriter, def: ElementDef, value: unknown, companion: unknown, depth: number, path: string): void {
  if (!def.array && (Array.isArray(value) || Array.isArray(companion))) throw badRequest(`Cannot write ${path} as XML: it must not be an array`);
  const values = def.array ? asArray(value) : [value];
  const companions = def.array ? asArray(companion) : [companion];
  const count = Math.max(values.length, companions.length);
  for (let i = 0; i < count; i++) {
    const v = values[i] ?? undefined;
    switch (def.kind) {
      case 'primitive':
        writePrimitive(m, w, def, v, companions[i] ?? undefined, depth, path);
        break;
      case 'xhtml':
        w.raw(xhtmlDiv(v, path), depth);
        break;
      case 'resource': {
        const h = w.open(def.name, '', depth);
        writeResource(m, w, v, '', depth + 1, path);
        w.close(def.name, h, depth);
        break;
      }
      case 'complex':
        if (!isObject(v)) throw badRequest(`Cannot write ${path} as XML: expected an object`);
        writeComplex(m, w, def.name, def.node!, v, '', depth, path);
    }
  }
}

const asArray = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** A complex value: its XML-attribute elements (Element.id, Extension.url) become attributes. */
function writeComplex(m: ElementModel, w: XmlWriter, name: string, node: TypeNode, obj: Json, extraAttrs: string, depth: number, path: string): void {
  let attrs = '';
  for (const def of node.elements) {
    const v = obj[def.name];
    if (def.xmlAttr && v !== undefined) attrs += ` ${def.name}="${escapeAttr(primitiveText(v, path), path)}"`;
  }
  const h = w.open(name, attrs + extraAttrs, depth);
  writeChildren(m, w, node, obj, depth + 1, path);
  w.close(name, h, depth);
}

/** `<name value="..."/>`, with the `_name` companion's id as an attribute and its extensions as children. */
function writePrimitive(m: ElementModel, w: XmlWriter, def: ElementDef, value: unknown, companion: unknown, depth: number, path: string): void {
  if (companion !== undefined && !isObject(companion)) throw badRequest(`Cannot write ${path} as XML: '_${def.name}' must be an object`);
  if (value === undefined && companion === undefined) throw badRequest(`Cannot write ${path} as XML: null without extensions`);
  const valueAttr = value === undefined ? '' : ` value="${escapeAttr(primitiveText(value, path), path)}"`;
  writeComplex(m, w, def.name, m.primitiveCompanion(), companion ?? {}, valueAttr, depth, path);
}

function primitiveText(v: unknown, path: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw badRequest(`Cannot write ${path} as XML: expected a primitive value, got ${JSON.stringify(v)}`);
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\t': '&#9;', '\n': '&#10;', '\r': '&#13;' };
// Characters XML 1.0 cannot carry at all, not even as character references.
// eslint-disable-next-line no-control-regex
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Tabs and line breaks are escaped too: a parser would otherwise normalise them to spaces. */
function escapeAttr(s: string, path: string): string {
  if (NOT_XML_CHAR.test(s)) throw badRequest(`Cannot write ${path} as XML: it contains a character XML 1.0 does not allow`);
  return s.replace(/[&<>"\t\n\r]/g, (c) => ESCAPES[c]);
}

/** The narrative is written verbatim, after checking it is one well-formed XHTML div (it must not break the document). */
function xhtmlDiv(div: unknown, path: string): string {
  if (typeof div !== 'string' || !/^\s*<div[\s>/]/.test(div)) throw badRequest(`Cannot write ${path} as XML: the narrative must be an XHTML <div>`);
  const start = div.indexOf('<div') + 4;
  const tagEnd = div.indexOf('>', start);
  // JSON written by hand sometimes omits the namespace, which in XML would put the div in the FHIR namespace.
  const out = /\sxmlns\s*=/.test(div.slice(start, tagEnd)) ? div : `${div.slice(0, start)} xmlns="${XHTML_NS}"${div.slice(start)}`;
  const roots = parseTree(out, path).filter((e) => elementName(e) !== undefined);
  if (roots.length !== 1 || elementName(roots[0]) !== 'div' || hasText(parseTree(out, path))) {
    throw badRequest(`Cannot write ${path} as XML: the narrative must be a single XHTML <div> element`);
  }
  return out;
}

// ---- XML -> JSON ---------------------------------------------------------------------------------

/** Parses FHIR XML. Malformed XML, DOCTYPEs, a wrong namespace, unknown elements and bad values give a 400 FhirError. */
export function fromXml(defs: FhirDefinitions, xml: string): Resource {
  if (typeof xml !== 'string') throw badRequest('The XML body must be text.');
  if (xml.charCodeAt(0) === 0xfeff) xml = xml.slice(1);
  // No DTD processing at all: rules out XXE and entity expansion ("billion laughs") attacks.
  if (/<!DOCTYPE/i.test(xml)) throw badRequest('XML with a DOCTYPE declaration is not accepted.', 'security');
  const tree = parseTree(xml, 'the body');
  if (hasText(tree)) throw badRequest('Malformed XML: text outside the root element.', 'structure');
  const roots = tree.filter((e) => { const n = elementName(e); return n !== undefined && n[0] !== '?'; });
  if (roots.length !== 1) throw badRequest(`Malformed XML: expected one root element, found ${roots.length}.`, 'structure');
  const root = element(roots[0]);
  const scope = enterScope(root, { dflt: '', prefixes: {} });
  const [local, ns] = resolveName(root.name, scope);
  if (ns !== FHIR_NS) throw badRequest(`The root element must be in the FHIR namespace '${FHIR_NS}' (found '${ns}').`);
  if (!defs.isResourceType(local)) throw badRequest(`Unknown resource type '${local}'.`);
  return readResource({ model: elementModel(defs), xml }, root, scope, local);
}

const parser = new XMLParser({
  preserveOrder: true, // keeps repeated elements in order, and attributes apart from children
  ignoreAttributes: false,
  attributeNamePrefix: '',
  processEntities: false, // attribute values are decoded below: only XML's five entities and character references
  trimValues: false,
  parseTagValue: false,
  parseAttributeValue: false,
  stopNodes: ['*.div'], // the narrative stays raw XHTML
  captureMetaData: true, // source offsets, to take the narrative verbatim from the input
  maxNestedTags: 256,
});
const META = XMLParser.getMetaDataSymbol() as unknown as symbol;

/** An entry of fast-xml-parser's ordered output: { tag: children, ':@': attributes } or { '#text': text }. */
type Entry = Record<string | symbol, unknown>;
interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: Entry[];
  entry: Entry;
}

function parseTree(xml: string, what: string): Entry[] {
  const check = XMLValidator.validate(xml);
  if (check !== true) {
    const where = check.err.col === undefined ? `line ${check.err.line}` : `line ${check.err.line}, column ${check.err.col}`;
    throw badRequest(`Malformed XML in ${what}: ${check.err.msg} (${where}).`, 'structure');
  }
  try {
    return parser.parse(xml) as Entry[];
  } catch (e) {
    throw badRequest(`Malformed XML in ${what}: ${(e as Error).message}`, 'structure');
  }
}

function elementName(e: Entry): string | undefined {
  for (const k in e) if (k !== ':@' && k !== '#text') return k;
  return undefined;
}

function element(e: Entry): XmlElement {
  const name = elementName(e)!;
  return { name, attrs: (e[':@'] ?? {}) as Record<string, string>, children: e[name] as Entry[], entry: e };
}

function hasText(entries: Entry[]): boolean {
  return entries.some((e) => typeof e['#text'] === 'string' && (e['#text'] as string).trim() !== '');
}

// Namespaces: FHIR elements may use the default namespace or a prefix bound to it.
interface Scope {
  dflt: string;
  prefixes: Record<string, string>;
}

function enterScope(el: XmlElement, scope: Scope): Scope {
  let next = scope;
  for (const a in el.attrs) {
    if (a !== 'xmlns' && !a.startsWith('xmlns:')) continue;
    if (next === scope) next = { dflt: scope.dflt, prefixes: { ...scope.prefixes } };
    if (a === 'xmlns') next.dflt = el.attrs[a];
    else next.prefixes[a.slice(6)] = el.attrs[a];
  }
  return next;
}

/** [local name, namespace URI] */
function resolveName(name: string, scope: Scope): [string, string] {
  const colon = name.indexOf(':');
  if (colon < 0) return [name, scope.dflt];
  const prefix = name.slice(0, colon);
  const ns = scope.prefixes[prefix];
  if (ns === undefined) throw badRequest(`Undeclared namespace prefix '${prefix}' on <${name}>.`, 'structure');
  return [name.slice(colon + 1), ns];
}

interface ReadCtx {
  model: ElementModel;
  xml: string;
}

function readResource(ctx: ReadCtx, el: XmlElement, scope: Scope, path: string): Resource {
  const type = resolveName(el.name, scope)[0];
  const node = ctx.model.resource(type);
  if (!node) throw badRequest(`Unknown resource type '${type}' at ${path}.`);
  const out: Json = { resourceType: type };
  readAttributes(el, node, out, path);
  readChildren(ctx, node, el, scope, out, path);
  return out as Resource;
}

/** Attributes: namespace declarations and foreign (prefixed) ones like xsi:schemaLocation are ignored. */
function readAttributes(el: XmlElement, node: TypeNode, out: Json, path: string, primitive = false): string | undefined {
  let value: string | undefined;
  for (const a in el.attrs) {
    if (a === 'xmlns' || a.includes(':')) continue;
    const text = decodeAttr(el.attrs[a], `${path}@${a}`);
    if (a === 'value' && primitive) value = text;
    else if (node.byName.get(a)?.xmlAttr) out[a] = text;
    else throw badRequest(`Unknown attribute '${a}' on ${path}.`, 'structure');
  }
  return value;
}

function readChildren(ctx: ReadCtx, node: TypeNode, el: XmlElement, scope: Scope, out: Json, path: string): void {
  // Repeating primitives build two aligned arrays: values and `_name` companions, with nulls for gaps.
  let lists: Map<ElementDef, { values: unknown[]; companions: unknown[] }> | undefined;
  for (const entry of el.children) {
    const name = elementName(entry);
    if (name === undefined) {
      if ((entry['#text'] as string).trim()) throw badRequest(`Unexpected text in ${path}.`, 'structure');
      continue;
    }
    const child = element(entry);
    const childScope = enterScope(child, scope);
    const [local, ns] = resolveName(child.name, childScope);
    const def = node.byName.get(local);
    const childPath = `${path}.${local}`;
    if (!def || def.xmlAttr) throw badRequest(`Unknown element '${local}' at ${path}.`, 'structure');
    if (ns !== (def.kind === 'xhtml' ? XHTML_NS : FHIR_NS)) throw badRequest(`Element ${childPath} is in the wrong namespace '${ns}'.`, 'structure');
    if (!def.array && (out[local] !== undefined || out[`_${local}`] !== undefined)) {
      throw badRequest(`Element ${childPath} may appear only once.`, 'structure');
    }
    if (def.kind === 'primitive') {
      const [value, companion] = readPrimitive(ctx, def, child, childScope, childPath);
      if (def.array) {
        lists ??= new Map();
        let l = lists.get(def);
        if (!l) lists.set(def, (l = { values: [], companions: [] }));
        l.values.push(value ?? null);
        l.companions.push(companion ?? null);
      } else {
        if (value !== undefined) out[local] = value;
        if (companion !== undefined) out[`_${local}`] = companion;
      }
      continue;
    }
    const value = def.kind === 'xhtml' ? readDiv(ctx, child, childPath)
      : def.kind === 'resource' ? readWrappedResource(ctx, child, childScope, childPath)
      : readComplex(ctx, def.node!, child, childScope, childPath);
    if (def.array) ((out[local] ??= []) as unknown[]).push(value);
    else out[local] = value;
  }
  for (const [def, l] of lists ?? []) {
    if (l.values.some((v) => v !== null)) out[def.name] = l.values;
    if (l.companions.some((c) => c !== null)) out[`_${def.name}`] = l.companions;
  }
}

function readComplex(ctx: ReadCtx, node: TypeNode, el: XmlElement, scope: Scope, path: string): Json {
  const out: Json = {};
  readAttributes(el, node, out, path);
  readChildren(ctx, node, el, scope, out, path);
  return out;
}

/** [JSON value, `_name` companion]; either may be undefined, not both. */
function readPrimitive(ctx: ReadCtx, def: ElementDef, el: XmlElement, scope: Scope, path: string): [unknown, Json | undefined] {
  const node = ctx.model.primitiveCompanion();
  const companion: Json = {};
  const raw = readAttributes(el, node, companion, path, true);
  readChildren(ctx, node, el, scope, companion, path);
  const hasCompanion = Object.keys(companion).length > 0;
  if (raw === undefined && !hasCompanion) throw badRequest(`Element ${path} has neither a value nor extensions.`, 'structure');
  return [raw === undefined ? undefined : jsonValue(def.primitive!, raw, path), hasCompanion ? companion : undefined];
}

/** Booleans and numbers become JSON booleans and numbers; everything else stays a string. */
function jsonValue(p: PrimitiveType, raw: string, path: string): unknown {
  if (p.json === 'boolean') {
    if (raw === 'true' || raw === 'false') return raw === 'true';
  } else if (p.json === 'number') {
    if (p.test(raw)) return Number(raw);
  } else {
    return raw;
  }
  throw badRequest(`Invalid ${p.code} value '${raw}' at ${path}.`, 'value');
}

/** contained, Bundle.entry.resource, ...: the element wraps one element named by the resource type. */
function readWrappedResource(ctx: ReadCtx, el: XmlElement, scope: Scope, path: string): Resource {
  if (hasText(el.children)) throw badRequest(`Unexpected text in ${path}.`, 'structure');
  const inner = el.children.filter((e) => elementName(e) !== undefined);
  if (inner.length !== 1 || Object.keys(el.attrs).some((a) => a !== 'xmlns' && !a.startsWith('xmlns:'))) {
    throw badRequest(`Element ${path} must contain exactly one resource.`, 'structure');
  }
  const child = element(inner[0]);
  const childScope = enterScope(child, scope);
  const [local, ns] = resolveName(child.name, childScope);
  if (ns !== FHIR_NS) throw badRequest(`The resource in ${path} must be in the FHIR namespace.`, 'structure');
  return readResource(ctx, child, childScope, `${path}.${local}`);
}

/** The narrative, verbatim from the source (the parser kept it as a raw stop node). */
function readDiv(ctx: ReadCtx, el: XmlElement, path: string): string {
  const meta = el.entry[META] as { startIndex?: number; endIndex?: number } | undefined;
  if (el.name !== 'div' || meta?.startIndex === undefined || meta.endIndex === undefined) {
    throw badRequest(`The narrative at ${path} must be written as <div xmlns="${XHTML_NS}">.`, 'structure');
  }
  return ctx.xml.slice(meta.startIndex, meta.endIndex);
}

const ENTITY_RE = /&(?:(lt|gt|amp|quot|apos)|#([0-9]+)|#x([0-9a-fA-F]+));|&[\w#.-]*;?|</g;
const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** XML attribute value normalisation: literal whitespace becomes spaces, then references are decoded. */
function decodeAttr(raw: string, path: string): string {
  const s = raw.replace(/[\t\n\r]/g, ' ');
  if (!s.includes('&') && !s.includes('<')) return s;
  return s.replace(ENTITY_RE, (m, named?: string, dec?: string, hex?: string) => {
    if (named) return NAMED[named];
    const cp = dec ? Number.parseInt(dec, 10) : hex ? Number.parseInt(hex, 16) : NaN;
    if (!(cp > 0 && cp <= 0x10ffff) || NOT_XML_CHAR.test(String.fromCodePoint(cp))) {
      throw badRequest(`Malformed XML: invalid '${m}' in the attribute ${path}.`, 'structure');
    }
    return String.fromCodePoint(cp);
  });
}
