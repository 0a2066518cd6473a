// Resources read as the JSON text they were stored as. Most reads and searches send a resource out
// exactly as it was stored: parsing that text into objects only to serialize them again costs more
// than the database query. An adapter that has the text (PostgreSQL's json column) hands it over;
// the resource is parsed only when something reads it, and a serializer that finds it untouched
// writes the text as it is (stringifyWithStored).
import type { StoredVersion } from './persistence.js';
import type { Resource } from './types.js';

/**
 * The unread texts of a holder's properties, by name: a non-enumerable property of the holder itself
 * (not a WeakMap: its entries would keep each text until a full collection, and an export reads
 * a great many of them).
 */
const TEXTS = Symbol('hestia.storedJson');
type Holder = { [TEXTS]?: Record<string, string | undefined> };

/**
 * Defines `holder[key]` as the resource stored as `text`, parsed on first access (`source` instead
 * of parsing, when the value comes from another lazy holder). Until then storedJson() gives the text.
 */
export function defineStored(holder: object, key: string, text: string, source: () => unknown = () => JSON.parse(text)): void {
  const h = holder as Holder;
  let texts = h[TEXTS];
  if (!texts) Object.defineProperty(h, TEXTS, { value: (texts = {}), enumerable: false });
  texts[key] = text;
  let value: unknown;
  let parsed = false;
  Object.defineProperty(holder, key, {
    enumerable: true,
    configurable: true,
    get() {
      if (!parsed) {
        value = source();
        parsed = true;
        texts[key] = undefined;
      }
      return value;
    },
    set(v: unknown) {
      value = v;
      parsed = true;
      texts[key] = undefined;
    },
  });
}

/** The stored text of `holder[key]` while nothing has read (and so possibly changed) it. */
export function storedJson(holder: object, key: string): string | undefined {
  return (holder as Holder)[TEXTS]?.[key];
}

/** `holder[key]` is `from`'s resource: the same stored text while unread, else the value. */
export function shareStored(holder: object, key: string, from: { resource?: Resource }): void {
  const text = storedJson(from, 'resource');
  if (text === undefined) (holder as Record<string, unknown>)[key] = from.resource;
  else defineStored(holder, key, text, () => from.resource);
}

/**
 * JSON.stringify of `holder[key]` (a response's body: a resource or a Bundle) in which stored
 * resources still unread, the body itself or entries' resources, are written as their stored text.
 */
export function stringifyWithStored(holder: object, key: string): string {
  const own = storedJson(holder, key);
  if (own !== undefined) return own;
  const body = (holder as Record<string, Resource>)[key];
  const { entry, ...rest } = body as { entry?: Record<string, unknown>[] };
  if (!Array.isArray(entry) || !entry.some((e) => storedJson(e, 'resource') !== undefined)) return JSON.stringify(body);
  // The entries are written by hand after the rest of the body (entry is a Bundle's last element).
  const entries = entry.map((e) => {
    const text = storedJson(e, 'resource');
    if (text === undefined) return JSON.stringify(e);
    return `{${Object.keys(e).filter((k) => k === 'resource' || e[k] !== undefined).map((k) => `${JSON.stringify(k)}:${k === 'resource' ? text : JSON.stringify(e[k])}`).join(',')}}`;
  });
  const head = JSON.stringify(rest);
  return `${head.slice(0, -1)}${head.length > 2 ? ',' : ''}"entry":[${entries.join(',')}]}`;
}

/** Completes a version read by an adapter with its content: JSON text (parsed when first read) or an object. */
export function withContent(v: StoredVersion, content: unknown): StoredVersion {
  if (typeof content === 'string') defineStored(v, 'resource', content);
  else if (content != null) v.resource = content as Resource;
  return v;
}
