// Batch and transaction bundles (https://hl7.org/fhir/R4/http.html#transaction).
// A batch runs each entry on its own; a transaction runs every entry inside one adapter
// transaction, in the order DELETE, POST, PUT/PATCH, GET/HEAD, after resolving what each entry
// writes to, so that urn:uuid / urn:oid fullUrls, relative and conditional references can be
// rewritten everywhere in the bundle before anything is written. Any failure rolls it all back.
import { randomUUID } from 'node:crypto';
import type { Ctx, FhirEngine } from './engine.js';
import type { CompartmentLimit } from './compartment.js';
import { badRequest, FhirError, preconditionFailed } from './errors.js';
import type { PersistenceSession, StoredVersion } from './persistence.js';
import { parseQuery } from './query.js';
import type { FhirRequest, FhirResponse, Route } from './router.js';
import type { Bundle, BundleEntry, Resource } from './types.js';
import { isBundle, makeBundle } from './bundle.js';
import { entryError, errorEntry, parseEntry, responseEntry, type EntryRequest } from './bundle-entry.js';
import { CONDITIONAL_REF, EntryTargets, eachReference, rewriteReferences, TEMPORARY_REF } from './bundle-refs.js';
import { WriteBuffer } from './write-buffer.js';

/** Processing order of a transaction's entries (http.html#trules); the sort is stable. */
const ORDER: Record<string, number> = { DELETE: 0, POST: 1, PUT: 2, PATCH: 2, GET: 3, HEAD: 3 };

/** Handles POST [base] with a batch or transaction Bundle. */
export async function processBundle(engine: FhirEngine, route: Route, req: FhirRequest, ctx: Ctx): Promise<FhirResponse> {
  const entries = checkBundle(engine, route, req.body);
  const run = route.interaction === 'transaction' ? runTransaction : runBatch;
  return { status: 200, headers: {}, body: await run(engine, req, entries, ctx) };
}

function checkBundle(engine: FhirEngine, route: Route, body: unknown): unknown[] {
  if (!isBundle(body)) throw badRequest('POST to the base URL takes a Bundle of type batch or transaction.', 'structure');
  const bundle = body as Bundle;
  if (route.interaction === 'batch' && bundle.type !== 'batch') throw badRequest(`A Bundle of type '${String(bundle.type)}' cannot be processed; POST a batch or transaction Bundle.`);
  if (bundle.entry !== undefined && !Array.isArray(bundle.entry)) throw badRequest('Bundle.entry must be an array.', 'structure');
  const entries: unknown[] = bundle.entry ?? [];
  const max = engine.options.maxBundleEntries;
  if (entries.length > max) throw new FhirError(413, 'too-costly', `The bundle has ${entries.length} entries; this server takes at most ${max} per bundle.`);
  if (route.interaction === 'transaction' && !engine.adapter.capabilities.transactions) {
    throw badRequest(`Transaction bundles need atomic transactions, which the ${engine.adapter.name} storage does not provide; send a batch bundle instead.`, 'not-supported');
  }
  const seen = new Map<string, number>();
  entries.forEach((e, i) => {
    const url = (e as BundleEntry | null)?.fullUrl;
    if (typeof url !== 'string') return;
    const first = seen.get(url);
    if (first !== undefined) throw badRequest(`Bundle.entry[${first}] and Bundle.entry[${i}] have the same fullUrl '${url}'.`);
    seen.set(url, i);
  });
  return entries;
}


// ---- batch ---------------------------------------------------------------------------------------

/** Each entry on its own (and in its own transaction); a failed entry gets its OperationOutcome, the others go on. */
async function runBatch(engine: FhirEngine, outer: FhirRequest, entries: unknown[], ctx: Ctx): Promise<Bundle> {
  // Every entry is parsed and authorized before any runs.
  const planned = entries.map((raw, i): EntryRequest | BundleEntry => {
    try {
      const e = parseEntry((r) => engine.route(r), outer, raw, i);
      ctx.authorize?.(e.route);
      return e;
    } catch (err) {
      return errorEntry(err);
    }
  });
  const out: BundleEntry[] = [];
  for (const p of planned) {
    if (!('req' in p)) {
      out.push(p);
      continue;
    }
    try {
      out.push(responseEntry(await runBatchEntry(engine, p, ctx), p.method));
    } catch (err) {
      out.push(errorEntry(err));
    }
  }
  return makeBundle('batch-response', out);
}

async function runBatchEntry(engine: FhirEngine, e: EntryRequest, ctx: Ctx): Promise<FhirResponse> {
  const conditional = collectConditionalRefs([e]);
  const entryCtx: Ctx = { session: ctx.session, authorize: ctx.authorize, limit: ctx.limit };
  if (!conditional.size) return engine.dispatch(e.route, e.req, entryCtx);
  // Conditional references are resolved in the transaction that writes the entry.
  return engine.tx(ctx, async (s) => {
    const resolved = await resolveConditionalRefs(engine, s, conditional, false, ctx.limit);
    const body = rewriteReferences(e.req.body, (ref) => resolved.get(ref) ?? ref);
    return engine.dispatch(e.route, { ...e.req, body }, { ...entryCtx, session: s });
  });
}

// ---- transaction ---------------------------------------------------------------------------------

/** An entry of a transaction, with what it writes to once resolved. */
interface TxEntry extends EntryRequest {
  /** The resource the entry creates, updates, patches or deletes (a fresh id for creates). */
  target?: { type: string; id: string };
  /** A conditional create whose If-None-Exist found this resource: nothing is written. */
  found?: StoredVersion;
}

async function runTransaction(engine: FhirEngine, outer: FhirRequest, entries: unknown[], ctx: Ctx): Promise<Bundle> {
  const txEntries: TxEntry[] = entries.map((raw, i) => {
    try {
      const e = parseEntry((r) => engine.route(r), outer, raw, i);
      ctx.authorize?.(e.route);
      return e;
    } catch (err) {
      throw entryError(err, i, raw as BundleEntry);
    }
  });
  const results = await engine.tx(ctx, async (session) => {
    const s = new WriteBuffer(session);
    const targets = new EntryTargets(outer.baseUrl);
    await resolveTargets(engine, s, txEntries, targets, ctx.limit);
    const conditional = await resolveConditionalRefs(engine, s, collectConditionalRefs(txEntries), true, ctx.limit);
    const out: BundleEntry[] = new Array(txEntries.length);
    const ordered = [...txEntries].sort((a, b) => ORDER[a.method] - ORDER[b.method]);
    for (const e of ordered) {
      try {
        const req = rewriteEntry(e, targets, conditional);
        out[e.index] = responseEntry(await executeEntry(engine, s, e, req, ctx), e.method);
      } catch (err) {
        throw entryError(err, e.index, e.entry);
      }
    }
    await s.flush();
    return out;
  });
  return makeBundle('transaction-response', results);
}

/**
 * Works out what each entry writes to, before anything is written: fresh ids for creates, the
 * matches of conditional interactions. Registers each entry's fullUrl, and refuses two entries
 * that change the same resource.
 */
async function resolveTargets(engine: FhirEngine, s: PersistenceSession, entries: TxEntry[], targets: EntryTargets, limit: CompartmentLimit | undefined): Promise<void> {
  const touched = new Map<string, number>();
  // Plain entries first, so that conditional criteria can use the fullUrls they define.
  const conditional = (e: TxEntry) => e.route.interaction.startsWith('conditional-') || (e.route.interaction === 'create' && !!e.req.headers['if-none-exist']);
  for (const e of [...entries.filter((x) => !conditional(x)), ...entries.filter(conditional)]) {
    let ids: string[];
    try {
      ids = await writtenIds(engine, s, e, targets, limit);
    } catch (err) {
      throw entryError(err, e.index, e.entry);
    }
    const type = e.route.resourceType!;
    for (const id of ids) {
      const k = `${type}/${id}`;
      const other = touched.get(k);
      if (other !== undefined) throw badRequest(`Bundle.entry[${other}] and Bundle.entry[${e.index}] both change ${k}; a transaction may change a resource only once.`);
      touched.set(k, e.index);
    }
    if (ids.length === 1 && e.route.interaction !== 'conditional-delete') e.target = { type, id: ids[0] };
    else if (e.found) e.target = { type, id: e.found.id };
    if (e.target && typeof e.entry.fullUrl === 'string') targets.add(e.entry.fullUrl, e.target.type, e.target.id);
  }
}

/** The ids of the resources an entry will change (a fresh id for a create); sets `found` for a conditional create that matched. */
async function writtenIds(engine: FhirEngine, s: PersistenceSession, e: TxEntry, targets: EntryTargets, limit: CompartmentLimit | undefined): Promise<string[]> {
  const { route, req } = e;
  const type = route.resourceType!;
  switch (route.interaction) {
    case 'create': {
      const ifNoneExist = req.headers['if-none-exist'];
      e.found = ifNoneExist ? await engine.ifNoneExistMatch(s, type, ifNoneExist, limit) : undefined;
      return e.found ? [] : [randomUUID()];
    }
    case 'update': case 'patch': case 'delete': case 'hard-delete':
      return [route.id!];
    case 'conditional-update': {
      const bodyId = (req.body as Resource | undefined)?.id;
      return [await engine.conditionalUpdateTarget(s, type, criteria(e, targets), typeof bodyId === 'string' ? bodyId : undefined, undefined, limit)];
    }
    case 'conditional-patch':
      return [(await engine.conditionalPatchTarget(s, type, criteria(e, targets), limit)).id];
    case 'conditional-delete':
      return (await engine.conditionalDeleteTargets(s, type, criteria(e, targets).filter(([k]) => k !== '_hardDelete'), limit)).map((m) => m.id);
    default:
      return [];
  }
}

/** An entry's query with values that name other entries (urn:uuid:…) replaced by their references. */
function criteria(e: TxEntry, targets: EntryTargets): [string, string][] {
  return e.req.query.map(([k, v]) => [k, targets.lookup(v, e.entry.fullUrl) ?? v]);
}

/** Each conditional reference in the entries' resources, with the first entry that uses it. */
function collectConditionalRefs<E extends EntryRequest>(entries: E[]): Map<string, E> {
  const refs = new Map<string, E>();
  for (const e of entries) eachReference(e.req.body, (ref) => { if (CONDITIONAL_REF.test(ref) && !refs.has(ref)) refs.set(ref, e); });
  return refs;
}

/** Resolves each conditional reference (`Type?criteria`) to the one resource it matches: none is a 400, several a 412. */
async function resolveConditionalRefs(engine: FhirEngine, s: PersistenceSession, refs: Map<string, EntryRequest>, attribute: boolean, limit: CompartmentLimit | undefined): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [ref, e] of refs) {
    try {
      out.set(ref, await resolveConditionalRef(engine, s, ref, limit));
    } catch (err) {
      throw attribute ? entryError(err, e.index, e.entry) : err;
    }
  }
  return out;
}

async function resolveConditionalRef(engine: FhirEngine, s: PersistenceSession, ref: string, limit: CompartmentLimit | undefined): Promise<string> {
  const [, type, query] = CONDITIONAL_REF.exec(ref)!;
  if (!engine.defs.isResourceType(type)) throw badRequest(`Conditional reference '${ref}': unknown resource type '${type}'.`);
  const matches = await engine.match(s, type, parseQuery(`?${query}`), 2, limit);
  if (!matches.length) throw new FhirError(400, 'not-found', `Conditional reference '${ref}' matches no resource.`);
  if (matches.length > 1) throw preconditionFailed(`Conditional reference '${ref}' matches more than one resource.`);
  return `${type}/${matches[0].id}`;
}

/** The entry's request with every reference to another entry or by criteria replaced by the resolved local reference. */
function rewriteEntry(e: TxEntry, targets: EntryTargets, conditional: Map<string, string>): FhirRequest {
  const body = rewriteReferences(e.req.body, (ref) => {
    const resolved = targets.lookup(ref, e.entry.fullUrl) ?? conditional.get(ref);
    if (resolved !== undefined) return resolved;
    if (TEMPORARY_REF.test(ref)) throw badRequest(`The reference '${ref}' matches no entry's fullUrl.`);
    return ref;
  });
  return { ...e.req, body, query: criteria(e, targets) };
}

/** Runs an entry on the transaction's session, with conditional interactions pinned to the targets resolved up front. */
function executeEntry(engine: FhirEngine, s: PersistenceSession, e: TxEntry, req: FhirRequest, ctx: Ctx): Promise<FhirResponse> {
  const entryCtx: Ctx = { session: s, authorize: ctx.authorize, limit: ctx.limit };
  const type = e.route.resourceType!;
  switch (e.route.interaction) {
    case 'create': {
      if (e.found) return Promise.resolve(engine.writeResponse(req, e.found, 200));
      const { 'if-none-exist': _ine, ...headers } = req.headers;
      return engine.dispatch(e.route, { ...req, headers }, { ...entryCtx, newId: e.target!.id });
    }
    case 'conditional-update': {
      const id = e.target!.id;
      const body = req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? { ...(req.body as Resource), id } : req.body;
      return engine.dispatch({ interaction: 'update', resourceType: type, id }, { ...req, path: `${type}/${id}`, query: [], body }, entryCtx);
    }
    case 'conditional-patch': {
      const id = e.target!.id;
      return engine.dispatch({ interaction: 'patch', resourceType: type, id }, { ...req, path: `${type}/${id}`, query: [] }, entryCtx);
    }
    default:
      return engine.dispatch(e.route, req, entryCtx);
  }
}
