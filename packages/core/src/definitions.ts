// FHIR definitions per version, loaded from the compact files generated from HL7's official bundles
// (scripts/generate-definitions.mjs). Adding a FHIR version is adding a folder of data.
import { readFileSync } from 'node:fs';

export type FhirVersionName = 'r4' | 'stu3';
export type SearchParamType = 'number' | 'date' | 'string' | 'token' | 'reference' | 'composite' | 'quantity' | 'uri' | 'special';

export interface SearchParamDef {
  url: string;
  code: string;
  base: string[];
  type: SearchParamType;
  expression?: string;
  target?: string[];
  component?: { definition: string; expression: string }[];
  comparator?: string[];
  modifier?: string[];
}

/** [min, max, type codes, contentReference path] */
export type ElementRow = [number, string, string[], string?];

const files = new Map<string, unknown>();
function load<T>(version: FhirVersionName, file: string): T {
  const key = `${version}/${file}`;
  if (!files.has(key)) files.set(key, JSON.parse(readFileSync(new URL(`../definitions/${key}`, import.meta.url), 'utf8')));
  return files.get(key) as T;
}

export class FhirDefinitions {
  readonly version: FhirVersionName;
  readonly fhirVersion: string;
  readonly resourceTypes: ReadonlySet<string>;
  readonly primitives: Readonly<Record<string, string | null>>;
  readonly elements: Readonly<Record<string, Record<string, ElementRow>>>;
  readonly parents: Readonly<Record<string, string>>;
  readonly compartments: Readonly<Record<string, Record<string, string[]>>>;
  /** Per resource type: top-level elements kept by _summary=true, and those always kept. */
  readonly summary: Readonly<Record<string, { summary: string[]; mandatory: string[] }>>;
  /**
   * Required bindings whose value sets list their codes (type -> path -> value set url): the codes of
   * those bound to `code` elements, and by code system those bound to Coding and CodeableConcept.
   */
  readonly bindings: Readonly<{ elements: Record<string, Record<string, string>>; valueSets: Record<string, string[]>; codings: Record<string, Record<string, string[]>> }>;
  private readonly byType = new Map<string, Map<string, SearchParamDef>>();
  private readonly byUrl = new Map<string, SearchParamDef>();
  /** The official parameters by `base/code`, and whether they are all loaded (later ones are custom). */
  private readonly official = new Map<string, SearchParamDef>();
  private builtIn = false;

  constructor(version: FhirVersionName) {
    this.version = version;
    this.fhirVersion = load<{ fhirVersion: string }>(version, 'meta.json').fhirVersion;
    this.resourceTypes = new Set(load<string[]>(version, 'resource-types.json'));
    this.primitives = load(version, 'primitives.json');
    this.elements = load(version, 'elements.json');
    this.parents = load(version, 'parents.json');
    this.compartments = load(version, 'compartments.json');
    this.summary = load(version, 'summary.json');
    this.bindings = load(version, 'bindings.json');
    for (const sp of load<SearchParamDef[]>(version, 'search-parameters.json')) this.addSearchParameter(sp);
    this.builtIn = true;
  }

  isResourceType(type: string): boolean {
    return this.resourceTypes.has(type);
  }

  /** Registers a search parameter (official or custom); a later one with the same base and code replaces it. */
  addSearchParameter(sp: SearchParamDef): void {
    if (!this.builtIn) for (const base of sp.base) this.official.set(`${base}/${sp.code}`, sp);
    this.byUrl.set(sp.url, sp);
    for (const base of sp.base) {
      let m = this.byType.get(base);
      if (!m) this.byType.set(base, (m = new Map()));
      m.set(sp.code, sp);
    }
  }

  /** Unregisters a custom search parameter: the official one it replaced on a base, if any, applies again. */
  removeSearchParameter(sp: SearchParamDef): void {
    if (this.byUrl.get(sp.url) === sp) {
      const official = [...this.official.values()].find((o) => o.url === sp.url);
      if (official) this.byUrl.set(sp.url, official);
      else this.byUrl.delete(sp.url);
    }
    for (const base of sp.base) {
      const m = this.byType.get(base);
      if (m?.get(sp.code) !== sp) continue;
      const official = this.official.get(`${base}/${sp.code}`);
      if (official) m.set(sp.code, official);
      else m.delete(sp.code);
    }
  }

  searchParamByUrl(url: string): SearchParamDef | undefined {
    return this.byUrl.get(url);
  }

  /** The parameter `code` as it applies to `type`, including those defined on Resource and DomainResource. */
  searchParam(type: string, code: string): SearchParamDef | undefined {
    return this.byType.get(type)?.get(code) ?? this.byType.get('DomainResource')?.get(code) ?? this.byType.get('Resource')?.get(code);
  }

  /** All parameters that apply to `type`. */
  searchParams(type: string): SearchParamDef[] {
    const out = new Map<string, SearchParamDef>();
    for (const base of ['Resource', 'DomainResource', type]) for (const [code, sp] of this.byType.get(base) ?? []) out.set(code, sp);
    return [...out.values()];
  }

  /** Search parameter codes by which `resourceType` belongs to the compartment `compartmentType`. */
  compartmentParams(compartmentType: string, resourceType: string): string[] {
    return this.compartments[compartmentType]?.[resourceType] ?? [];
  }

  /** Element definition for a path below a type, following backbone paths, complex types and content references. */
  element(type: string, path: string): ElementRow | undefined {
    const table = this.elements[type];
    if (!table) return undefined;
    const direct = table[path];
    if (direct) return direct;
    // Walk into a complex-typed child: e.g. Patient "name.family" -> HumanName "family".
    const parts = path.split('.');
    for (let i = parts.length - 1; i > 0; i--) {
      const head = parts.slice(0, i).join('.');
      const row = table[head];
      if (!row) continue;
      const rest = parts.slice(i).join('.');
      if (row[3]) return this.element(type, `${row[3]}.${rest}`);
      for (const t of row[2]) {
        const found = this.element(t, rest);
        if (found) return found;
      }
      return undefined;
    }
    return undefined;
  }
}

/** A fresh registry per server instance (custom search parameters are per instance); the files are read once. */
export function definitions(version: FhirVersionName = 'r4'): FhirDefinitions {
  return new FhirDefinitions(version);
}
