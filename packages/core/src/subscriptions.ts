// Subscriptions (https://hl7.org/fhir/R4/subscription.html, the same in STU3) with a rest-hook
// channel: what a stored Subscription asks to be told of, checked against what Hestia delivers, and
// whether a resource just written matches its criteria. Delivery itself is the host's (a server
// posts to the endpoint); core only reads Subscriptions and matches through the adapter's search.
import type { FhirEngine } from './engine.js';
import { badRequest } from './errors.js';
import type { StoredVersion } from './persistence.js';
import type { Resource } from './types.js';

/** What a rest-hook Subscription asks for. */
export interface RestHook {
  id: string;
  versionId: number;
  status: 'requested' | 'active';
  /** The criteria: a resource type and its search parameters. */
  type: string;
  params: [string, string][];
  endpoint: string;
  /** Whether the body carries the resource (payload application/fhir+json), or is empty (no payload: a ping). */
  withResource: boolean;
  /** channel.header, as name and value. */
  headers: [string, string][];
  /** Subscription.end, in epoch ms: no notification after it. */
  end?: number;
}

const JSON_PAYLOADS = ['application/fhir+json', 'application/json', 'application/json+fhir'];
const CRITERIA = /^([A-Z][A-Za-z]+)\?(.+)$/;
const HEADER = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*(.*)$/;

/**
 * The rest hook a Subscription (its current version) asks for: undefined when it asks for nothing
 * now (status off or error, or deleted); a 400 FhirError naming the problem when Hestia cannot
 * deliver what it asks (another channel, an unusable endpoint, criteria that do not parse, a payload
 * other than FHIR JSON).
 */
export function restHookOf(engine: FhirEngine, v: StoredVersion): RestHook | undefined {
  const s = v.resource as (Resource & { status?: string; criteria?: string; end?: string; channel?: { type?: string; endpoint?: string; payload?: string; header?: unknown[] } }) | undefined;
  if (v.deleted || !s || (s.status !== 'requested' && s.status !== 'active')) return undefined;
  const channel = s.channel ?? {};
  if (channel.type !== 'rest-hook') throw badRequest(`Only rest-hook channels are delivered, not '${String(channel.type)}'.`, 'not-supported');
  let endpoint: URL | undefined;
  try {
    endpoint = new URL(channel.endpoint ?? '');
  } catch {
    endpoint = undefined;
  }
  if (!endpoint || (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:')) throw badRequest(`The endpoint '${String(channel.endpoint)}' is not an absolute http(s) URL.`);
  const payload = channel.payload?.split(';')[0].trim().toLowerCase();
  if (payload && !JSON_PAYLOADS.includes(payload)) throw badRequest(`The payload '${channel.payload}' is not delivered: use application/fhir+json, or none for empty notifications.`, 'not-supported');
  const headers = (channel.header ?? []).map((h): [string, string] => {
    const m = typeof h === 'string' ? HEADER.exec(h) : null;
    if (!m) throw badRequest(`The channel header ${JSON.stringify(h)} is not 'Name: value'.`);
    return [m[1], m[2]];
  });
  const m = CRITERIA.exec(s.criteria ?? '');
  if (!m || !engine.defs.isResourceType(m[1])) throw badRequest(`The criteria '${String(s.criteria)}' are not a search of a resource type (Type?parameters).`);
  const params = [...new URLSearchParams(m[2])];
  engine.criteriaQuery(m[1], params, "A Subscription's criteria");
  const end = s.end === undefined ? undefined : Date.parse(s.end);
  return { id: v.id, versionId: v.versionId, status: s.status, type: m[1], params, endpoint: endpoint.href, withResource: !!payload, headers, ...(end !== undefined && !Number.isNaN(end) ? { end } : {}) };
}

/** The current version of `type`/`id` if it matches the hook's criteria (undefined otherwise). */
export async function matchHook(engine: FhirEngine, hook: RestHook, type: string, id: string): Promise<StoredVersion | undefined> {
  if (type !== hook.type) return undefined;
  const [match] = await engine.match(engine.adapter, type, [...hook.params, ['_id', id]], 1);
  return match;
}
