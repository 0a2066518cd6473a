// References inside batch and transaction bundles (https://hl7.org/fhir/R4/bundle.html#references):
// finding every `reference` string in a resource (nested elements and contained resources
// included), mapping entries' fullUrls to the ids the server gives them, and rewriting.

/** Temporary ids of entries that have no RESTful identity yet. */
export const TEMPORARY_REF = /^urn:(uuid|oid):/;
/** `Patient?identifier=sys|val`: a reference by search criteria, resolved by the server. */
export const CONDITIONAL_REF = /^([A-Z][A-Za-z]+)\?(.*)$/s;
const RELATIVE_REF = /^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/;
const RESTFUL_URL = /^(https?:\/\/.+)\/[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/;

type Json = unknown;

/** Calls `visit` for every `reference` string anywhere inside `value`. */
export function eachReference(value: Json, visit: (ref: string) => void): void {
  if (Array.isArray(value)) {
    for (const v of value) eachReference(v, visit);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'reference' && typeof v === 'string') visit(v);
      else if (v && typeof v === 'object') eachReference(v, visit);
    }
  }
}

/** `value` with every `reference` string replaced by `map(ref)`; objects are copied only where something changed. */
export function rewriteReferences<T>(value: T, map: (ref: string) => string): T {
  if (Array.isArray(value)) {
    let changed = false;
    const out = value.map((v) => {
      const r = rewriteReferences(v, map);
      if (r !== v) changed = true;
      return r;
    });
    return (changed ? out : value) as T;
  }
  if (!value || typeof value !== 'object') return value;
  let copy: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(value)) {
    const r = k === 'reference' && typeof v === 'string' ? map(v) : v && typeof v === 'object' ? rewriteReferences(v, map) : v;
    if (r !== v) (copy ??= { ...(value as Record<string, unknown>) })[k] = r;
  }
  return (copy ?? value) as T;
}

/** The base of a RESTful fullUrl ("http://x/fhir/Patient/1" → "http://x/fhir"), else undefined. */
export function restBase(fullUrl: string | undefined): string | undefined {
  return fullUrl ? RESTFUL_URL.exec(fullUrl)?.[1] : undefined;
}

/** The entries of a transaction by fullUrl, and the local reference ("Type/id") each resolves to. */
export class EntryTargets {
  private readonly byUrl = new Map<string, string>();

  /** @param serverBase the base relative references resolve against in entries without a RESTful fullUrl. */
  constructor(private readonly serverBase: string) {}

  add(fullUrl: string, resourceType: string, id: string): void {
    this.byUrl.set(fullUrl, `${resourceType}/${id}`);
  }

  /**
   * What `ref`, written in the entry whose fullUrl is `entryFullUrl`, points to among the entries:
   * an exact fullUrl (urn:uuid:, urn:oid:, absolute URL), or a relative reference resolved
   * against the entry's own base (bundle.html#references).
   */
  lookup(ref: string, entryFullUrl: string | undefined): string | undefined {
    const exact = this.byUrl.get(ref);
    if (exact !== undefined || !RELATIVE_REF.test(ref)) return exact;
    return this.byUrl.get(`${restBase(entryFullUrl) ?? this.serverBase}/${ref}`);
  }
}
