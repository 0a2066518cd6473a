// $reindex: recomputes the index entries of current resources. With `_type` (or at type level) every
// parameter of those types; otherwise the custom SearchParameters' parameters on their base types.
// It runs page by page from a position that can be kept: in the request, or, with
// `Prefer: respond-async` and a storage that keeps jobs, as a job that any server of the database
// runs (the host's job runner calls reindexPage) and that its status URL reports on.
import { randomUUID } from 'node:crypto';
import type { Ctx, FhirEngine } from './engine.js';
import { badRequest, methodNotAllowed, outcome } from './errors.js';
import type { PersistenceSession } from './persistence.js';
import type { FhirRequest, FhirResponse, Route } from './router.js';
import type { Resource } from './types.js';

export const REINDEX_JOB = 'reindex';
/** Where a reindex job's status is polled (and DELETE cancels it), below the base URL. */
export const REINDEX_STATUS_PATH = '_operations/reindex';
const PAGE = 200;

/** What to reindex: these types, every parameter or only `codes`. */
export interface ReindexPlan { types: string[]; codes?: string[] }
/** How far a reindex has come: the type being read, the keyset position in it, resources done. */
export interface ReindexProgress { typeIndex: number; after?: unknown[]; count: number; done?: boolean }
/** A reindex job's data in the job store. */
export interface ReindexJobData { plan: ReindexPlan; progress: ReindexProgress; error?: string }

function planOf(engine: FhirEngine, route: Route, req: FhirRequest): ReindexPlan {
  const listed = req.query.filter(([k]) => k === '_type').flatMap(([, v]) => v.split(',')).map((t) => t.trim()).filter(Boolean);
  for (const t of listed) if (!engine.defs.isResourceType(t)) throw badRequest(`Unknown resource type '${t}' in _type.`);
  const types = route.resourceType ? [route.resourceType] : listed;
  if (types.length) return { types };
  const custom = [...engine.customParams.values()];
  const codes = [...new Set(custom.map((p) => p.code))];
  return {
    types: [...new Set(custom.flatMap((p) => (p.base.includes('Resource') || p.base.includes('DomainResource') ? [...engine.defs.resourceTypes] : p.base)))],
    codes: [...codes, ...codes.map((c) => `${c}:identifier`), ...codes.map((c) => `${c}:of-type`)],
  };
}

/** Reindexes the next page of resources from `progress`; the progress after it (done when every type is). */
export async function reindexPage(engine: FhirEngine, s: PersistenceSession, plan: ReindexPlan, progress: ReindexProgress): Promise<ReindexProgress> {
  const { codes } = plan;
  const type = plan.types[progress.typeIndex];
  if (type === undefined) return { ...progress, done: true };
  const page = await s.search({ types: [type], sort: [], count: PAGE, total: 'none', include: [], revinclude: [], after: progress.after });
  const items = page.rows.map(({ version: v }) => {
    const index = engine.indexer.extract(v.resource!);
    return { resourceType: v.resourceType, id: v.id, index: codes ? index.filter((e) => codes.includes(e.code)) : index };
  });
  if (items.length) await s.replaceIndex(items, codes);
  const count = progress.count + items.length;
  if (page.hasMore) return { typeIndex: progress.typeIndex, after: page.rows[page.rows.length - 1].key, count };
  const typeIndex = progress.typeIndex + 1;
  return { typeIndex, count, ...(typeIndex >= plan.types.length ? { done: true } : {}) };
}

/** What a finished reindex answers: how many resources, and of which types. */
export function reindexResult(plan: ReindexPlan, count: number): Resource {
  return { resourceType: 'Parameters', parameter: [{ name: 'resourcesReindexed', valueInteger: count }, ...plan.types.map((t) => ({ name: 'type', valueCode: t }))] };
}

export async function reindexOperation(engine: FhirEngine, route: Route, req: FhirRequest, ctx: Ctx): Promise<FhirResponse> {
  if (req.method.toUpperCase() !== 'POST' && req.method.toUpperCase() !== 'GET') throw methodNotAllowed('$reindex takes GET or POST.');
  if (route.id) throw badRequest('$reindex runs at system or type level.');
  const plan = planOf(engine, route, req);
  if (/respond-async/i.test(req.headers.prefer ?? '') && !ctx.session) {
    const id = randomUUID();
    const data: ReindexJobData = { plan, progress: { typeIndex: 0, count: 0, ...(plan.types.length ? {} : { done: true }) } };
    await engine.adapter.jobs.createJob({ id, kind: REINDEX_JOB, owner: req.caller ?? '', data: data as unknown as Record<string, unknown> });
    return {
      status: 202,
      headers: { 'Content-Location': `${req.baseUrl}/${REINDEX_STATUS_PATH}/${id}` },
      body: outcome('information', 'informational', `Reindex job ${id} started; poll its Content-Location for the result.`),
    };
  }
  const s = ctx.session ?? engine.adapter;
  let progress: ReindexProgress = { typeIndex: 0, count: 0 };
  while (!progress.done && plan.types.length) progress = await reindexPage(engine, s, plan, progress);
  return { status: 200, headers: {}, body: reindexResult(plan, progress.count) };
}
