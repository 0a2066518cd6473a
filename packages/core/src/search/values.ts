// Normalized search index values: what core extracts from a resource on every write and what adapters store.

export interface StringValue { type: 'string'; value: string; exact: string }
export interface TokenValue { type: 'token'; system: string | null; code: string | null; text: string | null }
/** Date ranges as epoch milliseconds, both ends inclusive; open ends are ±Infinity. */
export interface DateValue { type: 'date'; low: number; high: number }
export interface NumberValue { type: 'number'; value: number }
export interface QuantityValue { type: 'quantity'; value: number; system: string | null; code: string | null; unit: string | null }
/** A reference: local (targetType + targetId) or absolute / canonical (url, with version stripped into `version`). */
export interface ReferenceValue { type: 'reference'; targetType: string | null; targetId: string | null; url: string | null }
export interface UriValue { type: 'uri'; value: string }
export interface CompositeValue { type: 'composite'; components: IndexValue[][] }
/** Free text for _text (narrative) and _content (every string in the resource). */
export interface TextValue { type: 'text'; value: string }
export type IndexValue = StringValue | TokenValue | DateValue | NumberValue | QuantityValue | ReferenceValue | UriValue | CompositeValue | TextValue;

/** One index entry: the value of search parameter `code` on a resource. */
export interface IndexEntry { code: string; value: IndexValue }

/** Case- and accent-insensitive form used for string search. */
export function normalizeString(s: string): string {
  return s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/\s+/g, ' ').trim();
}

const DATE_RE = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

/**
 * The range a FHIR date/dateTime/instant covers, by its precision: "2020" is all of 2020,
 * "2020-03-04T10:00" is that minute. Times without a zone are taken as UTC. `high` is exclusive.
 */
export function dateRange(s: string): { low: number; high: number } | null {
  const m = DATE_RE.exec(s.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, sec, frac, tz] = m;
  const year = Number(y);
  const offsetMs = tz && tz !== 'Z' ? (tz[0] === '-' ? -1 : 1) * (Number(tz.slice(1, 3)) * 60 + Number(tz.slice(4, 6))) * 60000 : 0;
  const utc = (yy: number, mm: number, dd: number, hh = 0, mn = 0, ss = 0, ms = 0) => Date.UTC(yy, mm, dd, hh, mn, ss, ms) - offsetMs;
  if (mo === undefined) return { low: utc(year, 0, 1), high: utc(year + 1, 0, 1) };
  const month = Number(mo) - 1;
  if (month < 0 || month > 11) return null;
  if (d === undefined) return { low: utc(year, month, 1), high: utc(year, month + 1, 1) };
  const day = Number(d);
  if (day < 1 || day > 31) return null;
  if (h === undefined) return { low: utc(year, month, day), high: utc(year, month, day + 1) };
  const hour = Number(h), min = Number(mi);
  if (sec === undefined) return { low: utc(year, month, day, hour, min), high: utc(year, month, day, hour, min + 1) };
  const second = Number(sec);
  if (frac === undefined) return { low: utc(year, month, day, hour, min, second), high: utc(year, month, day, hour, min, second + 1) };
  const digits = Math.min(frac.length, 3);
  const ms = Number(frac.slice(0, 3).padEnd(3, '0'));
  const low = utc(year, month, day, hour, min, second, ms);
  return { low, high: low + 10 ** (3 - digits) };
}

/** The implicit precision range of a decimal as written: "100" is [99.5, 100.5), "1.50" is [1.495, 1.505). */
export function numberRange(s: string): { low: number; high: number; value: number } | null {
  const t = s.trim();
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(t)) return null;
  const value = Number(t);
  const mantissa = t.replace(/^[+-]/, '').split(/[eE]/)[0];
  const exp = /[eE]/.test(t) ? Number(t.split(/[eE]/)[1]) : 0;
  const decimals = mantissa.includes('.') ? mantissa.split('.')[1].length : 0;
  const half = 0.5 * 10 ** (exp - decimals);
  return { low: value - half, high: value + half, value };
}
