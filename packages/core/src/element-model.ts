// The compiled element model: per FHIR type, its elements in definition order with cardinality,
// JSON representation and primitive checks. Built lazily from the definitions, once per definitions
// object; validation and the XML format both run on it.
import type { ElementRow, FhirDefinitions } from './definitions.js';

/** How an element's value is represented. */
export type ValueKind = 'primitive' | 'complex' | 'resource' | 'xhtml';

export interface PrimitiveType {
  /** FHIR type code, e.g. 'positiveInt' ('string' for the FHIRPath System.String of Element.id). */
  code: string;
  /** The JSON type that carries the value. */
  json: 'boolean' | 'number' | 'string';
  /** Lexical check of a string value (from the definitions' regex). */
  test: (value: string) => boolean;
  /** Numbers: whether only integers are allowed, and the allowed range. */
  integer: boolean;
  min: number;
  max: number;
  /** System.String (Element.id, Extension.url): no `_name` companion, not a FHIR primitive. */
  system: boolean;
}

export interface ElementDef {
  /** The JSON property (and XML element) name; choice alternatives are expanded: 'valueQuantity'. */
  name: string;
  /** FHIRPath step for issue expressions: 'name', or 'value.ofType(Quantity)' for choices. */
  step: string;
  min: number;
  max: number;
  /** Repeating element: a JSON array, repeated XML elements. */
  array: boolean;
  kind: ValueKind;
  /** FHIR type code of the value ('BackboneElement' and 'Element' for inline structures). */
  type: string;
  /** For a choice alternative, the choice's base name ('value'). */
  choice?: string;
  /** Element.id and Extension.url are XML attributes rather than child elements. */
  xmlAttr: boolean;
  primitive?: PrimitiveType;
  /** A `code` with a required binding: its value set and the codes it allows. */
  binding?: { valueSet: string; codes: ReadonlySet<string> };
  /** A Coding or CodeableConcept with a required binding: its value set and the codes it allows by code system. */
  codingBinding?: { valueSet: string; systems: ReadonlyMap<string, ReadonlySet<string>> };
  /** Children of a complex value (null for other kinds). */
  node: TypeNode | null;
}

export interface TypeNode {
  /** Element definitions in definition (= XML) order. */
  elements: ElementDef[];
  byName: Map<string, ElementDef>;
  /** Elements with min > 0; a choice counts as present when any alternative is. */
  required: { name: string; alternatives: ElementDef[] }[];
  /** True for the root of a resource type (which carries resourceType). */
  resource: boolean;
}

const SYSTEM_STRING = 'http://hl7.org/fhirpath/System.String';
const INT32 = 2147483647;

export class ElementModel {
  private readonly nodes = new Map<string, TypeNode>();
  private readonly primitives = new Map<string, PrimitiveType>();
  private readonly childRows = new Map<string, Map<string, [string, ElementRow][]>>();
  private readonly valueSets = new Map<string, ReadonlySet<string>>();
  private readonly codings = new Map<string, ReadonlyMap<string, ReadonlySet<string>>>();

  constructor(readonly defs: FhirDefinitions) {}

  /** The root node of a resource type, or undefined when the type is unknown. */
  resource(type: string): TypeNode | undefined {
    return this.defs.isResourceType(type) ? this.node(type, '') : undefined;
  }

  /** The node holding `id` and `extension`: what a primitive's `_name` companion may contain. */
  primitiveCompanion(): TypeNode {
    return this.node('Element', '');
  }

  /** Children of `path` ('' for the type itself) within `type`; registered before it is filled so recursive types end. */
  private node(type: string, path: string): TypeNode {
    const key = path ? `${type}.${path}` : type;
    let node = this.nodes.get(key);
    if (node) return node;
    node = { elements: [], byName: new Map(), required: [], resource: !path && this.defs.isResourceType(type) };
    this.nodes.set(key, node);
    for (const [childPath, row] of this.children(type, path)) this.addElement(node, type, childPath, row);
    return node;
  }

  /** Rows directly below `parent` in `type`'s element table, in table order. */
  private children(type: string, parent: string): [string, ElementRow][] {
    let byParent = this.childRows.get(type);
    if (!byParent) {
      byParent = new Map();
      for (const [path, row] of Object.entries(this.defs.elements[type] ?? {})) {
        const dot = path.lastIndexOf('.');
        const p = dot < 0 ? '' : path.slice(0, dot);
        let list = byParent.get(p);
        if (!list) byParent.set(p, (list = []));
        list.push([path, row]);
      }
      this.childRows.set(type, byParent);
    }
    return byParent.get(parent) ?? [];
  }

  private addElement(node: TypeNode, type: string, path: string, row: ElementRow): void {
    const [min, maxText, codes, ref] = row;
    const last = path.slice(path.lastIndexOf('.') + 1);
    const max = maxText === '*' ? Infinity : Number(maxText);
    const base = { min, max, array: max > 1 };
    const alternatives: ElementDef[] = [];
    if (last.endsWith('[x]')) {
      const choice = last.slice(0, -3);
      for (const code of codes) {
        const name = choice + code[0].toUpperCase() + code.slice(1);
        alternatives.push({ ...base, name, step: `${choice}.ofType(${code})`, choice, ...this.valueOf(node, type, path, last, code) });
      }
    } else {
      alternatives.push({ ...base, name: last, step: last, ...this.valueOf(node, type, path, last, codes[0], ref) });
    }
    for (const def of alternatives) {
      node.elements.push(def);
      node.byName.set(def.name, def);
    }
    if (min > 0) node.required.push({ name: last.replace('[x]', ''), alternatives });
  }

  /** Kind, type and children of one element (or choice alternative). */
  private valueOf(node: TypeNode, type: string, path: string, last: string, code: string, ref?: string):
    Pick<ElementDef, 'kind' | 'type' | 'xmlAttr' | 'primitive' | 'node' | 'binding' | 'codingBinding'> {
    const plain = { xmlAttr: false, primitive: undefined, node: null };
    if (ref) return { ...plain, kind: 'complex', type: 'BackboneElement', node: this.node(type, ref) };
    if (code === 'Resource' || this.defs.isResourceType(code)) return { ...plain, kind: 'resource', type: code };
    if (code === 'xhtml') return { ...plain, kind: 'xhtml', type: code };
    if (code === SYSTEM_STRING) {
      // Resource.id is a real element (of type id); Element.id and Extension.url are XML attributes.
      const resourceId = node.resource && last === 'id';
      const fhirType = resourceId ? 'id' : last === 'url' ? 'uri' : 'string';
      return { ...plain, kind: 'primitive', type: fhirType, xmlAttr: !resourceId, primitive: this.primitive(fhirType, !resourceId) };
    }
    if (code in this.defs.primitives) return { ...plain, kind: 'primitive', type: code, primitive: this.primitive(code, false), ...this.bindingOf(type, path, code) };
    // An inline structure (BackboneElement, or Element as in Timing.repeat) has rows below its path.
    if (this.children(type, path).length) return { ...plain, kind: 'complex', type: code, node: this.node(type, path) };
    if (this.defs.elements[code]) return { ...plain, kind: 'complex', type: code, node: this.node(code, ''), ...this.codingBindingOf(type, path, code) };
    throw new Error(`No definition for type '${code}' of ${type}.${path}`);
  }

  /** The required binding of a `code` element whose value set lists its codes. */
  private bindingOf(type: string, path: string, code: string): Pick<ElementDef, 'binding'> {
    const valueSet = code === 'code' ? this.defs.bindings.elements[type]?.[path] : undefined;
    const listed = valueSet ? this.defs.bindings.valueSets[valueSet] : undefined;
    if (!valueSet || !listed) return {};
    let codes = this.valueSets.get(valueSet);
    if (!codes) this.valueSets.set(valueSet, (codes = new Set(listed)));
    return { binding: { valueSet, codes } };
  }

  /** The required binding of a Coding or CodeableConcept element whose value set lists its codes. */
  private codingBindingOf(type: string, path: string, code: string): Pick<ElementDef, 'codingBinding'> {
    const valueSet = code === 'Coding' || code === 'CodeableConcept' ? this.defs.bindings.elements[type]?.[path] : undefined;
    const listed = valueSet ? this.defs.bindings.codings[valueSet] : undefined;
    if (!valueSet || !listed) return {};
    let systems = this.codings.get(valueSet);
    if (!systems) this.codings.set(valueSet, (systems = new Map(Object.entries(listed).map(([system, codes]) => [system, new Set(codes)]))));
    return { codingBinding: { valueSet, systems } };
  }

  private primitive(code: string, system: boolean): PrimitiveType {
    const key = system ? `system:${code}` : code;
    let p = this.primitives.get(key);
    if (p) return p;
    const base = this.primitiveBase(code);
    const json = base === 'boolean' ? 'boolean' : base === 'integer' || base === 'decimal' ? 'number' : 'string';
    const min = code === 'positiveInt' ? 1 : code === 'unsignedInt' ? 0 : base === 'integer' ? -INT32 - 1 : -Infinity;
    p = { code, json, test: lexicalTest(code, this.defs.primitives[code] ?? null), integer: base === 'integer', min,
      max: base === 'integer' ? INT32 : Infinity, system };
    this.primitives.set(key, p);
    return p;
  }

  /** The primitive a type specialises directly below Element: positiveInt -> integer, code -> string. */
  private primitiveBase(code: string): string {
    let t = code;
    for (let parent = this.defs.parents[t]; parent && parent !== 'Element'; parent = this.defs.parents[t]) t = parent;
    return t;
  }
}

/** The lexical check of a primitive type. */
function lexicalTest(code: string, regex: string | null): (value: string) => boolean {
  // The official base64 regex backtracks exponentially on long invalid input with line breaks; this check
  // accepts the same alphabet and grouping in linear time (whitespace may also fall inside a group).
  if (code === 'base64Binary') return (v) => BASE64_RE.test(v) && v.replace(WS_RE, '').length % 4 === 0;
  if (!regex) return (v) => v.length > 0;
  const re = new RegExp(`^(?:${xsdRegexToJs(regex)})$`);
  // (the date regexes allow any day up to 31 in any month)
  if (code === 'date' || code === 'dateTime' || code === 'instant') return (v) => re.test(v) && dayExists(v);
  return (v) => re.test(v);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Whether a date's day (when it has one: YYYY-MM-DD…) exists in its month: no 1980-02-30, 2021-02-29 or 2020-04-31. */
function dayExists(v: string): boolean {
  if (v.length < 10) return true;
  const year = Number(v.slice(0, 4)), month = Number(v.slice(5, 7)), day = Number(v.slice(8, 10));
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]);
}
const BASE64_RE = /^[A-Za-z0-9+/=\s]*[A-Za-z0-9+/=][A-Za-z0-9+/=\s]*$/;
const WS_RE = /\s+/g;

/**
 * FHIR's regexes use XML Schema semantics, where \s is only space, tab, CR and LF. In JavaScript \s also
 * matches NBSP and other Unicode spaces, so "[ \r\n\t\S]+" (string) would reject "a\u00a0b". Rewrites \s and
 * \S accordingly; a \S inside a positive class becomes an alternation.
 */
export function xsdRegexToJs(src: string): string {
  const WS = ' \\t\\n\\r';
  let out = '';
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') {
      const n = src[++i];
      out += n === 's' ? `[${WS}]` : n === 'S' ? `[^${WS}]` : `\\${n}`;
    } else if (c === '[') {
      const negated = src[i + 1] === '^';
      let body = '';
      let nonSpace = false; // the class contains \S
      for (i += negated ? 2 : 1; i < src.length && src[i] !== ']'; i++) {
        if (src[i] !== '\\') { body += src[i]; continue; }
        const n = src[++i];
        if (n === 's') body += WS;
        else if (n === 'S' && !negated) nonSpace = true;
        else body += `\\${n}`; // (\S in a negated class is left to JavaScript's meaning: not in R4's regexes)
      }
      const cls = `[${negated ? '^' : ''}${body}]`;
      out += !nonSpace ? cls : body ? `(?:${cls}|[^${WS}])` : `[^${WS}]`;
    } else {
      out += c;
    }
  }
  return out;
}

const models = new WeakMap<FhirDefinitions, ElementModel>();

/** The compiled element model of a definitions object (built on first use, then shared). */
export function elementModel(defs: FhirDefinitions): ElementModel {
  let m = models.get(defs);
  if (!m) models.set(defs, (m = new ElementModel(defs)));
  return m;
}

