// Resources read as the JSON text they were stored as. Most reads and searches send a resource out
// exactly as it was stored: parsing that text into objects only to serialize them again costs more
// than the database query. An adapter that has the text (PostgreSQL's json column) hands it over;
// the resource is parsed only when something reads it, and a serializer that finds it untouched
// writes the text as it is (stringifyWithStored).
import type { StoredVersion } from './persistence.js';
import type { Resource } from './types.js';

/**
 * What a holder's lazy properties hold, by name: the unread text (or the other holder to take the
 * value from), then the value. A non-enumerable property of the holder itself (not a WeakMap: its
 * entries would keep each text until a full collection, and an export reads a great many of them).
 */
const SLOTS = Symbol('hestia.storedJson');
interface Slot { text?: string; from?: { resource?: Resource }; value?: unknown }
type Holder = { [SLOTS]?: Record<string, Slot> };

/**
 * The accessor of a lazy property, one per property name and shared by every holder: V8 keeps
 * objects given the same accessor in fast mode (a closure per holder made each one a new shape,
 * several times slower to build and to read).
 */
const accessors = new Map<string, PropertyDescriptor>();
function accessorOf(key: string): PropertyDescriptor {
  let d = accessors.get(key);
  if (!d) {
    d = {
      enumerable: true,
      configurable: true,
      get(this: Holder) {
        const slot = this[SLOTS]![key];
        if (slot.text !== undefined || slot.from) {
          slot.value = slot.from ? slot.from.resource : JSON.parse(slot.text!);
          slot.text = slot.from = undefined;
        }
        return slot.value;
      },
      set(this: Holder, v: unknown) {
        this[SLOTS]![key] = { value: v };
      },
    };
    accessors.set(key, d);
  }
  return d;
}

/**
 * Defines `holder[key]` as the resource stored as `text`, parsed on first access (or taken from
 * `from`, another lazy holder of the same text, instead of parsing). Until then storedJson() gives the text.
 */
export function defineStored(holder: object, key: string, text: string, from?: { resource?: Resource }): void {
  const h = holder as Holder;
  let slots = h[SLOTS];
  // (assigned, not defined non-enumerable: half the cost per holder; JSON, Object.keys and for…in skip symbols anyway)
  if (!slots) h[SLOTS] = slots = {};
  slots[key] = { text, from };
  Object.defineProperty(holder, key, accessorOf(key));
}

/** The stored text of `holder[key]` while nothing has read (and so possibly changed) it. */
export function storedJson(holder: object, key: string): string | undefined {
  return (holder as Holder)[SLOTS]?.[key]?.text;
}

/**
 * `holder[key]` for a look that changes nothing: parsed afresh from the stored text while that is
 * unread, which then still goes out as it is (reading `holder[key]` would put the parsed value in
 * its place, to be serialized again).
 */
export function peekStored<T>(holder: object, key: string): T | undefined {
  const text = storedJson(holder, key);
  return text === undefined ? (holder as Record<string, T | undefined>)[key] : (JSON.parse(text) as T);
}

/** `holder[key]` is `from`'s resource: the same stored text while unread, else the value. */
export function shareStored(holder: object, key: string, from: { resource?: Resource }): void {
  const text = storedJson(from, 'resource');
  if (text === undefined) (holder as Record<string, unknown>)[key] = from.resource;
  else defineStored(holder, key, text, from);
}

/**
 * JSON.stringify of `holder[key]` (a response's body: a resource or a Bundle) in which stored
 * resources still unread, the body itself or entries' resources, are written as their stored text.
 * The text comes in pieces, each stored text one of them: a host writes them to its socket as they
 * are, and a large Bundle is never copied into one string (a string of hundreds of KB is a costly
 * allocation of its own, then copied again to be sent).
 */
export function jsonPieces(holder: object, key: string): string[] {
  const own = storedJson(holder, key);
  if (own !== undefined) return [own];
  const body = (holder as Record<string, Resource>)[key];
  const { entry, ...rest } = body as { entry?: Record<string, unknown>[] };
  if (!Array.isArray(entry) || !entry.some((e) => storedJson(e, 'resource') !== undefined)) return [JSON.stringify(body)];
  // The entries are written by hand after the rest of the body (entry is a Bundle's last element).
  const head = JSON.stringify(rest);
  const out: string[] = [];
  let open = `${head.slice(0, -1)}${head.length > 2 ? ',' : ''}"entry":[`;
  entry.forEach((e, i) => {
    if (i) open += ',';
    const text = storedJson(e, 'resource');
    if (text === undefined) {
      open += JSON.stringify(e);
      return;
    }
    let members = 0;
    for (const k of Object.keys(e)) {
      if (k !== 'resource' && e[k] === undefined) continue;
      open += members++ ? ',' : '{';
      open += memberName(k);
      if (k === 'resource') {
        out.push(open, text);
        open = '';
      } else open += JSON.stringify(e[k]);
    }
    open += '}';
  });
  out.push(`${open}]}`);
  return out;
}

/** `"name":`, kept for the few names entries have (a Bundle writes the same ones for every entry). */
const memberNames = new Map<string, string>();
function memberName(k: string): string {
  let t = memberNames.get(k);
  if (t === undefined) {
    t = `${JSON.stringify(k)}:`;
    if (memberNames.size < 64) memberNames.set(k, t);
  }
  return t;
}

/** The whole text of jsonPieces(holder, key). */
export function stringifyWithStored(holder: object, key: string): string {
  return jsonPieces(holder, key).join('');
}

/** Completes a version read by an adapter with its content: JSON text (parsed when first read) or an object. */
export function withContent(v: StoredVersion, content: unknown): StoredVersion {
  if (typeof content === 'string') defineStored(v, 'resource', content);
  else if (content != null) v.resource = content as Resource;
  return v;
}
