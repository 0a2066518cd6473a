// The FHIR REST interactions as plain functions over the persistence port
// (https://hl7.org/fhir/R4/http.html). No HTTP, no SQL: a FhirRequest in, a FhirResponse out.
import { randomUUID } from 'node:crypto';
import { definitions, type FhirDefinitions, type FhirVersionName } from './definitions.js';
import { badRequest, conflict, FhirError, forbidden, gone, methodNotAllowed, notFound, outcome, preconditionFailed, toFhirError } from './errors.js';
import { WriteBuffer } from './write-buffer.js';
import { expandOperation, lookupOperation, validateCodeOperation } from './terminology-operations.js';
import { currentResources, type PersistenceAdapter, type PersistenceSession, type StoredVersion, type WriteOp } from './persistence.js';
import { Indexer } from './search/indexer.js';
import { SearchParser } from './search/parse.js';
import type { SearchExpr, SearchQuery } from './search/expression.js';
import { CursorCodec } from './paging.js';
import { typesRead } from './search/reads.js';
import { classify, type FhirRequest, type FhirResponse, type Route } from './router.js';
import type { Bundle, BundleEntry, OperationOutcomeIssue, Resource } from './types.js';
import { etag, httpDate, nextTimestamp, parseETag } from './versioning.js';
import { validateResource } from './validation.js';
import { putShaped } from './shape.js';
import { peekStored, shareStored, storedJson } from './stored-json.js';
import { makeBundle } from './bundle.js';
import { applyFhirPathPatch, applyJsonPatch } from './patch.js';
import { buildCapabilityStatement } from './capability.js';
import { isEvaluable, toSearchParamDef } from './custom-params.js';
import { resolveTerminology } from './terminology.js';
import { processBundle } from './bundles.js';
import { validateOperation } from './validate-operation.js';
import { everythingOperation } from './everything-operation.js';
import { reindexOperation } from './reindex-operation.js';
import { limitFilter, memberReferences, membership, narrows, withinLimit, type CompartmentLimit } from './compartment.js';
import type { SearchParamDef } from './definitions.js';

export interface EngineOptions {
  adapter: PersistenceAdapter;
  fhirVersion?: FhirVersionName;
  /** PUT to a new id creates the resource (update-as-create). */
  allowCreateOnUpdate?: boolean;
  /** Whether updates must name the version they replace: a default and overrides by resource type (default 'versioned'). */
  versioning?: { default?: VersioningPolicy; resourceTypes?: Record<string, VersioningPolicy> };
  /** Most resources one conditional delete may remove; more matches give 412. */
  conditionalDeleteMax?: number;
  defaultCount?: number;
  maxCount?: number;
  /** Most resources _include/_revinclude may add to one page. */
  maxIncludes?: number;
  /** Most entries one batch or transaction bundle may hold; more give 413. */
  maxBundleEntries?: number;
  /** Secret that signs continuation tokens (random per process when unset). */
  pagingSecret?: string;
  software?: { name: string; version: string };
  /** How the host secures the REST API, for the CapabilityStatement (rest.security); none when unset. */
  security?: RestSecurity;
  /** Told about unexpected errors (bugs, database failures) that reach the caller as a bare 500. */
  onInternalError?: (err: unknown) => void;
}

/**
 * 'versioned': every change makes a new version; If-Match is honoured when sent. 'versioned-update':
 * as well, every update of an existing resource and every patch must send If-Match (the version it
 * replaces), so that no client overwrites a change it has not seen. (Hestia keeps every version:
 * 'no-version' is not offered.)
 */
export type VersioningPolicy = 'versioned' | 'versioned-update';
export const VERSIONING_POLICIES: readonly VersioningPolicy[] = ['versioned', 'versioned-update'];

export interface RestSecurity {
  /** Whether the host answers CORS requests. */
  cors: boolean;
  /** Codes of http://terminology.hl7.org/CodeSystem/restful-security-service, e.g. 'SMART-on-FHIR'. */
  services: string[];
  description?: string;
}

/** Called before an interaction runs (also for each entry of a batch or transaction); throws to refuse. */
export type Authorizer = (route: Route) => void;

export interface Ctx {
  session?: PersistenceSession;
  authorize?: Authorizer;
  /** The caller reaches resources of some types only inside one compartment (SMART patient-level scopes). */
  limit?: CompartmentLimit;
  /** The id a create (or a conditional update that creates) gives the new resource; random when unset. */
  newId?: string;
}

/** A committed change of one resource, as change listeners learn of it (engine.onChange). */
export interface ResourceChange {
  op: 'create' | 'update' | 'delete';
  resourceType: string;
  id: string;
  /** The version written (none for a hard delete, which removes every version). */
  versionId?: number;
}

/** An extended operation ($name) at system, type or instance level. */
export type OperationHandler = (engine: FhirEngine, route: Route, req: FhirRequest, ctx: Ctx) => Promise<FhirResponse>;

const MAX_INCLUDE_DEPTH = 3;
/** Operations a caller kept to a compartment may run (they keep to it, or read no patient's data). */
const LIMIT_FREE_OPERATIONS = new Set(['everything', 'expand', 'lookup', 'validate-code']);

export class FhirEngine {
  readonly defs: FhirDefinitions;
  readonly indexer: Indexer;
  readonly parser: SearchParser;
  readonly adapter: PersistenceAdapter;
  readonly options: Required<Omit<EngineOptions, 'adapter' | 'pagingSecret' | 'fhirVersion' | 'onInternalError' | 'security' | 'versioning'>> & Pick<EngineOptions, 'security'>
    & { versioning: { default: VersioningPolicy; resourceTypes: Record<string, VersioningPolicy> } };
  private readonly cursors: CursorCodec;
  private readonly onInternalError?: (err: unknown) => void;
  private capability?: Resource;
  private readonly operations = new Map<string, OperationHandler>([
    ['reindex', reindexOperation], ['validate', validateOperation], ['everything', everythingOperation],
    ['expand', expandOperation], ['lookup', lookupOperation], ['validate-code', validateCodeOperation],
  ]);
  /** Codes of custom (stored) SearchParameters, by url. */
  readonly customParams = new Map<string, SearchParamDef>();
  /** The stored SearchParameters applied, by id: the version applied and its url. */
  private readonly appliedParams = new Map<string, { versionId: number; url?: string }>();
  /** Told of every committed change of a resource (onChange). */
  private readonly changeListeners = new Set<(change: ResourceChange) => void>();
  /** What transactions under way will do once they commit (afterCommit), by their session. */
  private readonly committing = new WeakMap<PersistenceSession, (() => void)[]>();

  constructor(opts: EngineOptions) {
    this.adapter = opts.adapter;
    this.defs = definitions(opts.fhirVersion ?? 'r4');
    this.indexer = new Indexer(this.defs, opts.adapter.capabilities.fullText);
    this.options = {
      allowCreateOnUpdate: opts.allowCreateOnUpdate ?? true,
      versioning: { default: opts.versioning?.default ?? 'versioned', resourceTypes: { ...opts.versioning?.resourceTypes } },
      conditionalDeleteMax: opts.conditionalDeleteMax ?? 10,
      defaultCount: opts.defaultCount ?? 20,
      maxCount: opts.maxCount ?? 1000,
      maxIncludes: opts.maxIncludes ?? 1000,
      maxBundleEntries: opts.maxBundleEntries ?? 1000,
      software: opts.software ?? { name: 'Hestia', version: '0.1.0' },
      security: opts.security,
    };
    for (const [type, policy] of [['*', this.options.versioning.default], ...Object.entries(this.options.versioning.resourceTypes)]) {
      if (type !== '*' && !this.defs.isResourceType(type)) throw new Error(`versioning: '${type}' is not a resource type.`);
      if (!VERSIONING_POLICIES.includes(policy as VersioningPolicy)) throw new Error(`versioning: '${policy}' is not one of ${VERSIONING_POLICIES.join(', ')}.`);
    }
    this.parser = new SearchParser(this.defs, { defaultCount: this.options.defaultCount, maxCount: this.options.maxCount, fullText: opts.adapter.capabilities.fullText }, (t) => this.indexer.indexedParams(t));
    this.cursors = new CursorCodec(opts.pagingSecret);
    this.onInternalError = opts.onInternalError;
  }

  /**
   * Handles one request end to end; every failure comes back as an OperationOutcome response.
   * `authorize` may refuse each interaction; `limit` keeps the caller inside one compartment.
   */
  async handle(req: FhirRequest, authorize?: Authorizer, limit?: CompartmentLimit): Promise<FhirResponse> {
    try {
      const route = this.route(req);
      authorize?.(route);
      return await this.dispatch(route, req, { authorize, limit });
    } catch (e) {
      if (!(e instanceof FhirError)) this.onInternalError?.(e);
      return errorResponse(toFhirError(e));
    }
  }

  /**
   * Classifies a request, with the other types its search criteria read (Route.reads, worked out
   * when an authorizer first asks: only roles restricted to types need it).
   */
  route(req: FhirRequest): Route {
    const route = classify(this.defs, req);
    const criteria = this.criteriaOf(route, req);
    if (!criteria) return route;
    let reads: Route['reads'] | null = null;
    Object.defineProperty(route, 'reads', {
      enumerable: true,
      configurable: true,
      get: () => {
        if (reads === null) {
          try {
            const found = typesRead(this.defs, this.parser.parse(criteria.types, criteria.params).query);
            reads = found === '*' || found.length ? found : undefined;
          } catch {
            reads = undefined; // criteria that do not parse read nothing: the interaction itself answers 400
          }
        }
        return reads;
      },
    });
    return route;
  }

  /** The search criteria an interaction evaluates, if any: its own search, or a conditional write's. */
  private criteriaOf(route: Route, req: FhirRequest): { types: string[]; params: [string, string][] } | undefined {
    const t = route.resourceType;
    switch (route.interaction) {
      case 'search-type': return { types: [t!], params: params(req) };
      case 'search-system': return { types: [], params: params(req) };
      case 'search-compartment': return route.compartmentType === '*' ? undefined : { types: [route.compartmentType!], params: params(req) };
      case 'conditional-update': case 'conditional-patch': case 'conditional-delete': return { types: [t!], params: req.query };
      case 'create': {
        const criteria = req.headers['if-none-exist'];
        return criteria ? { types: [t!], params: conditionParams(criteria) } : undefined;
      }
      default: return undefined;
    }
  }

  /** Runs a classified request; `ctx.session` runs it inside an enclosing transaction. */
  async dispatch(route: Route, req: FhirRequest, ctx: Ctx = {}): Promise<FhirResponse> {
    const t = route.resourceType!;
    const q = req.query;
    switch (route.interaction) {
      case 'capabilities': return { status: 200, headers: {}, body: this.capabilities() };
      case 'read': return this.read(t, route.id!, req, ctx);
      case 'vread': return this.vread(t, route.id!, Number(route.versionId), req, ctx);
      case 'create': return this.create(t, req, ctx);
      case 'update': return this.update(t, route.id!, req, ctx);
      case 'patch': return this.patch(t, route.id!, req, ctx);
      case 'delete': return this.delete(t, route.id!, req, ctx);
      case 'hard-delete': return this.hardDelete(t, route.id!, ctx);
      case 'conditional-update': return this.conditionalUpdate(t, req, ctx);
      case 'conditional-patch': return this.conditionalPatch(t, req, ctx);
      case 'conditional-delete': return this.conditionalDelete(t, req, ctx);
      case 'search-type': return this.search([t], params(req), req, ctx);
      case 'search-system': return this.search([], params(req), req, ctx);
      case 'search-compartment': return this.compartmentSearch(t, route.id!, route.compartmentType!, req, ctx);
      case 'history-instance': return this.history({ resourceType: t, id: route.id }, q, req, ctx);
      case 'history-type':
      case 'history-system':
        if (ctx.limit && (!route.resourceType || narrows(this.defs, ctx.limit, t))) throw forbidden(`${limitText(ctx.limit)}: the history of ${route.resourceType ? `all ${t} resources` : 'the whole server'} is not available.`);
        return this.history(route.resourceType ? { resourceType: t } : {}, q, req, ctx);
      case 'batch':
      case 'transaction':
        return processBundle(this, route, req, ctx);
      case 'operation': {
        const op = this.operations.get(route.operation!);
        if (!op) throw notFound(`Unknown operation '$${route.operation}'.`);
        // ($validate of a body reads nothing stored, $everything keeps to its patient's compartment, the
        // terminology operations read ValueSets and CodeSystems only; other operations do not apply a limit)
        if (ctx.limit && !(route.operation === 'validate' && !route.id) && !LIMIT_FREE_OPERATIONS.has(route.operation!)) throw forbidden(`${limitText(ctx.limit)}: $${route.operation} is not available.`);
        return op(this, route, req, ctx);
      }
    }
  }

  /** Registers an extended operation handler ($name); the capability statement lists it. */
  registerOperation(name: string, handler: OperationHandler): void {
    this.operations.set(name, handler);
    this.capability = undefined;
  }

  operationNames(): string[] {
    return [...this.operations.keys()];
  }

  /** Loads the custom SearchParameters stored in the database (call once after the adapter is initialised). */
  async init(): Promise<void> {
    await this.syncSearchParameters();
  }

  /**
   * Brings the custom search parameters in line with the SearchParameters stored now: another server
   * on the same database may have created, changed or deleted some. Returns whether any changed.
   */
  async syncSearchParameters(): Promise<boolean> {
    const stored = new Set<string>();
    let changed = false;
    for await (const version of currentResources(this.adapter, 'SearchParameter')) {
      stored.add(version.id);
      if (this.appliedParams.get(version.id)?.versionId === version.versionId) continue;
      try {
        this.registerSearchParameter(version.resource!);
      } catch {
        // A stored SearchParameter that this version cannot evaluate stays unregistered.
      }
      changed = true;
    }
    for (const [id, applied] of this.appliedParams) {
      if (stored.has(id)) continue;
      this.unregisterSearchParameter(id, applied.url);
      changed = true;
    }
    return changed;
  }

  private registerSearchParameter(r: Resource): void {
    const id = r.id!;
    const versionId = (r.meta as { versionId?: string } | undefined)?.versionId;
    // (an update may change its url, code or bases: the earlier definition goes first)
    const earlier = this.appliedParams.get(id);
    if (earlier) this.unregisterSearchParameter(id, earlier.url);
    this.appliedParams.set(id, { versionId: Number(versionId), url: typeof r.url === 'string' ? r.url : undefined });
    if (!isEvaluable(r)) return;
    const def = toSearchParamDef(this.defs, this.indexer, r);
    this.defs.addSearchParameter(def);
    this.customParams.set(def.url, def);
    this.searchParametersChanged();
  }

  /** A SearchParameter that was deleted (or changed) no longer applies. */
  private unregisterSearchParameter(id: string, url: string | undefined): void {
    this.appliedParams.delete(id);
    const def = url === undefined ? undefined : this.customParams.get(url);
    if (!def) return;
    this.defs.removeSearchParameter(def);
    this.customParams.delete(def.url);
    this.searchParametersChanged();
  }

  private searchParametersChanged(): void {
    this.indexer.reset();
    this.capability = undefined;
  }

  capabilities(): Resource {
    return (this.capability ??= buildCapabilityStatement(this));
  }

  /** Runs fn in the caller's transaction, or in a new one. */
  tx<T>(ctx: Ctx, fn: (s: PersistenceSession) => Promise<T>): Promise<T> {
    return ctx.session ? fn(ctx.session) : this.transaction(fn);
  }

  /** Runs fn in a new transaction; once it has committed, what its writes left for then (afterCommit). */
  private async transaction<T>(fn: (s: PersistenceSession) => Promise<T>): Promise<T> {
    let session: PersistenceSession | undefined;
    const out = await this.adapter.transaction((s) => fn((session = s)));
    const pending = session && this.committing.get(session);
    if (pending) {
      this.committing.delete(session!);
      for (const f of pending) f();
    }
    return out;
  }

  /** Calls `listener` after each committed create, update or delete (never for one rolled back); returns what unsubscribes it. */
  onChange(listener: (change: ResourceChange) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Tells the change listeners of a write once it has committed; a listener's failure is not the writer's. */
  private changed(s: PersistenceSession, change: ResourceChange): void {
    if (!this.changeListeners.size) return;
    this.afterCommit(s, () => {
      for (const l of this.changeListeners) {
        try {
          l(change);
        } catch (e) {
          this.onInternalError?.(e);
        }
      }
    });
  }

  /**
   * Work that must wait until the writes made through `s` are committed: at once outside a
   * transaction, else when its transaction commits (never, if it rolls back).
   */
  private afterCommit(session: PersistenceSession, fn: () => void): void {
    // (a transaction bundle writes through a WriteBuffer over its transaction's session)
    const s = session instanceof WriteBuffer ? session.inner : session;
    if (s === this.adapter) return fn();
    const pending = this.committing.get(s);
    if (pending) pending.push(fn);
    else this.committing.set(s, [fn]);
  }

  /** The transaction's session when there is one, else the adapter. */
  session(ctx: Ctx): PersistenceSession {
    return ctx.session ?? this.adapter;
  }

  // ---- read ----------------------------------------------------------------------------------

  async read(type: string, id: string, req: FhirRequest, ctx: Ctx = {}): Promise<FhirResponse> {
    const cur = await this.session(ctx).read(type, id);
    if (!cur || !this.reachable(ctx, cur)) throw notFound(`${type}/${id} is not known.`);
    if (cur.deleted) return deletedResponse(cur);
    const inm = req.headers['if-none-match'];
    if (inm && safeETag(inm) === cur.versionId) return { status: 304, headers: versionHeaders(cur) };
    const ims = req.headers['if-modified-since'];
    if (ims && !Number.isNaN(Date.parse(ims)) && Date.parse(cur.lastUpdated) <= Date.parse(ims) + 999) {
      return { status: 304, headers: versionHeaders(cur) };
    }
    const { summary, elements } = shapingParams(req);
    const res: FhirResponse = { status: 200, headers: versionHeaders(cur) };
    putShaped(this.defs, res, 'body', cur, summary, elements);
    return res;
  }

  async vread(type: string, id: string, versionId: number, req: FhirRequest, ctx: Ctx = {}): Promise<FhirResponse> {
    const v = await this.session(ctx).vread(type, id, versionId);
    if (!v) {
      const cur = await this.session(ctx).read(type, id);
      // (under a limit, a resource outside it is not known, whatever its versions)
      throw notFound(cur && this.reachable(ctx, cur) ? `Version ${versionId} of ${type}/${id} does not exist.` : `${type}/${id} is not known.`);
    }
    if (!this.reachable(ctx, v)) throw notFound(`${type}/${id} is not known.`);
    if (v.deleted) return deletedResponse(v);
    const { summary, elements } = shapingParams(req);
    const res: FhirResponse = { status: 200, headers: versionHeaders(v) };
    putShaped(this.defs, res, 'body', v, summary, elements);
    return res;
  }

  // ---- writes --------------------------------------------------------------------------------

  /** What stops `body` from being stored as a `type` (at `id`): the checks of checkBody, as issues (none: it would be accepted). */
  bodyIssues(type: string, body: unknown, id?: string): OperationOutcomeIssue[] {
    try {
      this.checkBody(type, body, id);
      return [];
    } catch (e) {
      if (e instanceof FhirError) return [...e.outcome.issue];
      throw e;
    }
  }

  /** Checks a resource body against the URL's type (and id) and the definitions. */
  private checkBody(type: string, body: unknown, id?: string): Resource {
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('The request body must be a FHIR resource.', 'structure');
    const r = body as Resource;
    if (r.resourceType !== type) throw badRequest(`The body is a ${String(r.resourceType)}, but the URL is for ${type}.`);
    if (id !== undefined) {
      if (r.id === undefined) throw badRequest(`The body has no id; it must be '${id}'.`);
      if (r.id !== id) throw badRequest(`The body's id '${String(r.id)}' does not match the URL's id '${id}'.`);
    }
    const issues = validateResource(this.defs, r);
    if (issues.length) {
      const e = new FhirError(400, issues[0].code, issues[0].diagnostics ?? 'Invalid resource.');
      e.outcome.issue = issues;
      throw e;
    }
    if (type === 'SearchParameter' && isEvaluable(r)) toSearchParamDef(this.defs, this.indexer, r);
    return r;
  }

  /** Stamps server-owned fields: id, meta.versionId, meta.lastUpdated (keeping the client's tags, profiles, security). */
  private stamp(r: Resource, id: string, versionId: number, lastUpdated: string): Resource {
    const meta = { ...(r.meta ?? {}), versionId: String(versionId), lastUpdated };
    const { resourceType, id: _old, meta: _m, ...rest } = r;
    return { resourceType, id, meta, ...rest };
  }

  private writeOp(op: WriteOp['op'], r: Resource | undefined, type: string, id: string, versionId: number, lastUpdated: string, expectedVersion?: number): WriteOp {
    return { op, resourceType: type, id, resource: r, versionId, lastUpdated, index: r ? this.indexer.extract(r) : [], expectedVersion };
  }

  async create(type: string, req: FhirRequest, ctx: Ctx = {}): Promise<FhirResponse> {
    const body = this.checkBody(type, req.body);
    const ifNoneExist = req.headers['if-none-exist'];
    if (ifNoneExist) {
      return this.tx(ctx, async (s) => {
        const existing = await this.ifNoneExistMatch(s, type, ifNoneExist, ctx.limit);
        if (existing) return this.writeResponse(req, existing, 200);
        return this.doCreate(s, type, body, ctx.newId ?? randomUUID(), req, ctx.limit);
      });
    }
    // A plain create is one atomic write(): no transaction round trips needed.
    return this.doCreate(this.session(ctx), type, body, ctx.newId ?? randomUUID(), req, ctx.limit);
  }

  /** The resource an If-None-Exist criteria matches, if any (412 when several); the criteria stay locked until the transaction ends. */
  async ifNoneExistMatch(s: PersistenceSession, type: string, ifNoneExist: string, limit?: CompartmentLimit): Promise<StoredVersion | undefined> {
    await s.lock(`create:${type}?${ifNoneExist}`);
    const matches = await this.match(s, type, conditionParams(ifNoneExist), 2, limit);
    if (matches.length > 1) throw preconditionFailed(`If-None-Exist '${ifNoneExist}' matches more than one ${type}.`);
    return matches[0];
  }

  private async doCreate(s: PersistenceSession, type: string, body: Resource, id: string, req: FhirRequest, limit: CompartmentLimit | undefined): Promise<FhirResponse> {
    const now = nextTimestamp();
    const r = this.stamp(body, id, 1, now);
    this.guardWrite(limit, r);
    await s.write([this.writeOp('create', r, type, id, 1, now)]);
    this.changed(s, { op: 'create', resourceType: type, id, versionId: 1 });
    if (type === 'SearchParameter') this.afterCommit(s, () => this.registerSearchParameter(r));
    return this.writeResponse(req, { resourceType: type, id, versionId: 1, lastUpdated: now, deleted: false, resource: r }, 201);
  }

  async update(type: string, id: string, req: FhirRequest, ctx: Ctx = {}): Promise<FhirResponse> {
    const body = this.checkBody(type, req.body, id);
    const ifMatch = req.headers['if-match'];
    const expected = ifMatch ? parseETag(ifMatch) : undefined;
    return this.tx(ctx, async (s) => {
      const cur = await s.read(type, id, { forUpdate: true });
      return this.doUpdate(s, type, id, body, cur, expected, req, ctx.limit);
    });
  }

  private async doUpdate(s: PersistenceSession, type: string, id: string, body: Resource, cur: StoredVersion | undefined,
    expected: number | undefined, req: FhirRequest, limit: CompartmentLimit | undefined): Promise<FhirResponse> {
    this.guardWrite(limit, body, cur);
    if (expected !== undefined && (!cur || cur.deleted || cur.versionId !== expected)) {
      throw preconditionFailed(cur ? `Version conflict: ${type}/${id} is at version ${cur.versionId}${cur.deleted ? ' (deleted)' : ''}, not ${expected}.` : `${type}/${id} does not exist (If-Match ${expected}).`);
    }
    if (cur && !cur.deleted) this.requireIfMatch(type, id, expected);
    if (!cur && !this.options.allowCreateOnUpdate) throw methodNotAllowed(`${type}/${id} does not exist and this server does not create resources on update.`);
    const versionId = (cur?.versionId ?? 0) + 1;
    const now = nextTimestamp();
    const r = this.stamp(body, id, versionId, now);
    await s.write([this.writeOp(cur ? 'update' : 'create', r, type, id, versionId, now, cur?.versionId)]);
    this.changed(s, { op: cur && !cur.deleted ? 'update' : 'create', resourceType: type, id, versionId });
    if (type === 'SearchParameter') this.afterCommit(s, () => this.registerSearchParameter(r));
    const created = !cur || cur.deleted;
    return this.writeResponse(req, { resourceType: type, id, versionId, lastUpdated: now, deleted: false, resource: r }, created ? 201 : 200);
  }

  /** The versioning policy of a resource type (EngineOptions.versioning). */
  versioningOf(type: string): VersioningPolicy {
    return this.options.versioning.resourceTypes[type] ?? this.options.versioning.default;
  }

  /** Under 'versioned-update', a change of an existing resource without If-Match is refused (400, as R4 http.html#concurrency says). */
  private requireIfMatch(type: string, id: string, expected: number | undefined): void {
    if (expected !== undefined || this.versioningOf(type) !== 'versioned-update') return;
    throw new FhirError(400, 'required', `${type}/${id} can only be changed with an If-Match header naming the version it replaces (its ETag, e.g. W/"3"): this server requires version-aware updates of ${type}.`);
  }

  async conditionalUpdate(type: string, req: FhirRequest, ctx: Ctx = {}): Promise<FhirResponse> {
    if (!req.query.length) throw badRequest('Conditional update needs search criteria in the URL.');
    const body = this.checkBody(type, req.body);
    const ifMatch = req.headers['if-match'];
    const expected = ifMatch ? parseETag(ifMatch) : undefined;
    return this.tx(ctx, async (s) => {
      const id = await this.conditionalUpdateTarget(s, type, req.query, body.id, ctx.newId, ctx.limit);
      const cur = await s.read(type, id, { forUpdate: true });
      return this.doUpdate(s, type, id, { ...body, id }, cur, expected, req, ctx.limit);
    });
  }

  /**
   * The id a conditional update writes: the one match (412 when several), else the body's id if no
   * current resource has it (409 otherwise), else `newId`. The criteria stay locked until the transaction ends.
   */
  async conditionalUpdateTarget(s: PersistenceSession, type: string, criteria: [string, string][], bodyId: string | undefined, newId: string = randomUUID(), limit?: CompartmentLimit): Promise<string> {
    await s.lock(`update:${type}?${JSON.stringify(criteria)}`);
    const matches = await this.match(s, type, criteria, 2, limit);
    if (matches.length > 1) throw preconditionFailed(`The criteria match more than one ${type}.`);
    if (matches.length === 1) {
      const id = matches[0].id;
      if (bodyId !== undefined && bodyId !== id) throw badRequest(`The body's id '${bodyId}' does not match the resource found (${type}/${id}).`);
      return id;
    }
    if (bodyId === undefined) return newId;
    const existing = await s.read(type, bodyId, { forUpdate: true });
    if (existing && !existing.deleted) throw conflict(`${type}/${bodyId} exists but does not match the criteria.`);
    return bodyId;
  }

  async patch(type: string, id: string, req: FhirRequest, ctx: Ctx = {}): Promise<FhirResponse> {
    const ifMatch = req.headers['if-match'];
    const expected = ifMatch ? parseETag(ifMatch) : undefined;
    return this.tx(ctx, async (s) => {
      const cur = await s.read(type, id, { forUpdate: true });
      if (!cur) throw notFound(`${type}/${id} is not known.`);
      if (cur.deleted) throw gone(`${type}/${id} has been deleted.`);
      return this.doPatch(s, cur, expected, req, ctx.limit);
    });
  }

  private async doPatch(s: PersistenceSession, cur: StoredVersion, expected: number | undefined, req: FhirRequest, limit: CompartmentLimit | undefined): Promise<FhirResponse> {
    const { resourceType: type, id } = cur;
    this.guardWrite(limit, undefined, cur);
    if (expected !== undefined && cur.versionId !== expected) throw preconditionFailed(`Version conflict: ${type}/${id} is at version ${cur.versionId}, not ${expected}.`);
    this.requireIfMatch(type, id, expected);
    const ct = (req.headers['content-type'] ?? '').toLowerCase();
    let patched: Resource;
    if (ct.includes('json-patch')) patched = applyJsonPatch(cur.resource!, req.body);
    else if ((req.body as Resource | undefined)?.resourceType === 'Parameters') patched = applyFhirPathPatch(this.defs, cur.resource!, req.body as Resource);
    else throw new FhirError(415, 'not-supported', 'PATCH takes application/json-patch+json or a FHIRPath Patch Parameters resource.');
    if (patched.resourceType !== type || patched.id !== id) throw new FhirError(422, 'processing', 'A patch may not change resourceType or id.');
    const body = this.checkBody(type, patched, id);
    return this.doUpdate(s, type, id, body, cur, expected, req, limit);
  }

  async conditionalPatch(type: string, req: FhirRequest, ctx: Ctx = {}): Promise<FhirResponse> {
    if (!req.query.length) throw badRequest('Conditional patch needs search criteria in the URL.');
    const ifMatch = req.headers['if-match'];
    const expected = ifMatch ? parseETag(ifMatch) : undefined;
    return this.tx(ctx, async (s) => this.doPatch(s, await this.conditionalPatchTarget(s, type, req.query, ctx.limit), expected, req, ctx.limit));
  }

  /** The one current resource a conditional patch applies to (404 when none, 412 when several), locked for update. */
  async conditionalPatchTarget(s: PersistenceSession, type: string, criteria: [string, string][], limit?: CompartmentLimit): Promise<StoredVersion> {
    const matches = await this.match(s, type, criteria, 2, limit);
    if (matches.length === 0) throw notFound(`No ${type} matches the criteria.`);
    if (matches.length > 1) throw preconditionFailed(`The criteria match more than one ${type}.`);
    const cur = await s.read(type, matches[0].id, { forUpdate: true });
    if (!cur || cur.deleted) throw notFound(`No ${type} matches the criteria.`);
    return cur;
  }

  async delete(type: string, id: string, req: FhirRequest, ctx: Ctx = {}): Promise<FhirResponse> {
    const ifMatch = req.headers['if-match'];
    const expected = ifMatch ? parseETag(ifMatch) : undefined;
    return this.tx(ctx, async (s) => {
      const cur = await s.read(type, id, { forUpdate: true });
      this.guardWrite(ctx.limit, undefined, cur);
      if (expected !== undefined && (!cur || cur.deleted || cur.versionId !== expected)) {
        throw preconditionFailed(`Version conflict: ${type}/${id} is not at version ${expected}.`);
      }
      if (!cur || cur.deleted) return { status: 204, headers: {} };
      return this.doDelete(s, cur);
    });
  }

  private async doDelete(s: PersistenceSession, cur: StoredVersion): Promise<FhirResponse> {
    const versionId = cur.versionId + 1;
    const now = nextTimestamp();
    await s.write([this.writeOp('delete', undefined, cur.resourceType, cur.id, versionId, now, cur.versionId)]);
    this.changed(s, { op: 'delete', resourceType: cur.resourceType, id: cur.id, versionId });
    if (cur.resourceType === 'SearchParameter') this.afterCommit(s, () => this.unregisterSearchParameter(cur.id, this.appliedParams.get(cur.id)?.url));
    return { status: 204, headers: { ETag: etag(versionId), 'Last-Modified': httpDate(now) } };
  }

  async hardDelete(type: string, id: string, ctx: Ctx = {}): Promise<FhirResponse> {
    return this.tx(ctx, async (s) => {
      if (ctx.limit && narrows(this.defs, ctx.limit, type)) {
        // (a deleted resource's content is gone: nothing shows it was inside the limit)
        const cur = await s.read(type, id, { forUpdate: true });
        if (cur?.deleted) throw forbidden(`${limitText(ctx.limit)}: ${type}/${id} is deleted, and nothing shows it was inside it.`);
        this.guardWrite(ctx.limit, undefined, cur);
      }
      if (type === 'SearchParameter') this.afterCommit(s, () => this.unregisterSearchParameter(id, this.appliedParams.get(id)?.url));
      await s.hardDelete(type, id);
      this.changed(s, { op: 'delete', resourceType: type, id });
      return { status: 204, headers: {} };
    });
  }

  async conditionalDelete(type: string, req: FhirRequest, ctx: Ctx = {}): Promise<FhirResponse> {
    const criteria = req.query.filter(([k]) => k !== '_hardDelete');
    if (!criteria.length) throw badRequest('Conditional delete needs search criteria in the URL.');
    return this.tx(ctx, async (s) => {
      const matches = await this.conditionalDeleteTargets(s, type, criteria, ctx.limit);
      for (const m of matches) {
        const cur = await s.read(type, m.id, { forUpdate: true });
        if (cur && !cur.deleted) await this.doDelete(s, cur);
      }
      return { status: 204, headers: {} };
    });
  }

  /** The resources a conditional delete removes (412 when more than conditionalDeleteMax match). */
  async conditionalDeleteTargets(s: PersistenceSession, type: string, criteria: [string, string][], limit?: CompartmentLimit): Promise<StoredVersion[]> {
    const max = this.options.conditionalDeleteMax;
    const matches = await this.match(s, type, criteria, max + 1, limit);
    if (matches.length > max) throw preconditionFailed(`The criteria match more than ${max} ${type} resources; narrow them.`);
    return matches;
  }

  /** Resources of `type` matching search criteria (for conditional interactions and references), at most `max`; only those inside `limit`. */
  async match(s: PersistenceSession, type: string, criteria: [string, string][], max: number, limit?: CompartmentLimit): Promise<StoredVersion[]> {
    const query = this.criteriaQuery(type, criteria);
    query.count = max;
    query.where = await resolveTerminology(this.limited(query.where, limit, [type]), s);
    const page = await s.search(query);
    return page.rows.map((r) => r.version);
  }

  /** Search criteria that select resources (conditional operations, Subscriptions): strict parameters, at least one, no result controls. */
  criteriaQuery(type: string, criteria: [string, string][], what = 'Conditional criteria'): SearchQuery {
    const control = criteria.filter(([k]) => ['_count', '_sort', '_include', '_revinclude', '_summary', '_elements', '_total', '_format'].includes(k));
    if (control.length) throw badRequest(`${what} may not use ${control.map(([k]) => k).join(', ')}.`);
    const { query } = this.parser.parse([type], criteria, { strict: true });
    if (!query.where) throw badRequest(`${what} must contain at least one search parameter.`);
    return query;
  }

  /** The response to a write (or a conditional create that found its match), honouring Prefer: return. */
  writeResponse(req: FhirRequest, v: StoredVersion, status: number): FhirResponse {
    const headers = { ...versionHeaders(v), Location: `${req.baseUrl}/${v.resourceType}/${v.id}/_history/${v.versionId}` };
    const prefer = preferReturn(req);
    if (prefer === 'minimal') return { status, headers };
    if (prefer === 'OperationOutcome') return { status, headers, body: outcome('information', 'informational', `${v.resourceType}/${v.id} version ${v.versionId} saved.`) };
    return { status, headers, body: v.resource };
  }

  // ---- compartment limit (SMART patient-level scopes) ----------------------------------------

  /** Whether the caller may reach a stored version (a deleted one of a limited type: never, its content being gone). */
  reachable(ctx: Ctx, v: StoredVersion): boolean {
    const limit = ctx.limit;
    if (!limit || !narrows(this.defs, limit, v.resourceType)) return true;
    if (v.deleted) return false;
    // (read, not taken: the resource still goes out as its stored text)
    const r = peekStored<Resource>(v, 'resource');
    return !!r && withinLimit(this.defs, this.indexer, limit, r);
  }

  /** Refuses a write that would change a stored resource (`cur`) or leave one (`r`) outside the caller's limit. */
  private guardWrite(limit: CompartmentLimit | undefined, r: Resource | undefined, cur?: StoredVersion): void {
    if (!limit) return;
    if (cur && !cur.deleted && !this.reachable({ limit }, cur)) throw forbidden(`${limitText(limit)}: ${cur.resourceType}/${cur.id} is outside it.`);
    if (r && !withinLimit(this.defs, this.indexer, limit, r)) throw forbidden(`${limitText(limit)}: this ${r.resourceType} would be outside it.`);
  }

  /** Search criteria over `types` narrowed to the caller's limit. */
  private limited(where: SearchExpr | undefined, limit: CompartmentLimit | undefined, types: readonly string[]): SearchExpr | undefined {
    if (!limit) return where;
    if (!types.length) throw forbidden(`${limitText(limit)}: a search across the whole server must name its resource types (_type).`);
    const filter = limitFilter(this.defs, limit, types);
    if (!filter) return where;
    return where ? { kind: 'and', exprs: [filter, where] } : filter;
  }

  // ---- search --------------------------------------------------------------------------------

  /**
   * A search over `types`, narrowed by `extra`; `self` names the path its links go to (and the
   * parameters they carry, when not the search's own: an operation's), and may narrow what
   * _include and _revinclude add (`includeIf`).
   */
  async search(types: string[], query: [string, string][], req: FhirRequest, ctx: Ctx = {}, extra?: SearchExpr,
    self?: { path: string; params?: [string, string][]; includeIf?: (v: StoredVersion) => boolean }): Promise<FhirResponse> {
    const strict = /handling\s*=\s*strict/i.test(req.headers.prefer ?? '');
    const parsed = this.parser.parse(types, query, { strict });
    const q = parsed.query;
    if (extra) q.where = q.where ? { kind: 'and', exprs: [extra, q.where] } : extra;
    const summaryCount = q.summary === 'count';
    // The query as parsed (before terminology is resolved), hashed only for a page with a
    // continuation token or links that carry one.
    const hashed = [q.types, q.where, q.sort, q.count];
    let hash: string | undefined;
    const qhash = () => (hash ??= CursorCodec.queryHash(hashed));
    let offset = 0;
    if (parsed.continuation) {
      const c = this.cursors.decode(parsed.continuation, qhash());
      if (c.d === 'b') q.before = c.k;
      else q.after = c.k;
      offset = c.o;
    }
    q.where = await resolveTerminology(this.limited(q.where, ctx.limit, q.types), this.session(ctx));
    const page = await this.session(ctx).search(summaryCount ? { ...q, count: 0, total: 'accurate' } : q);
    const base = req.baseUrl;
    const entries: BundleEntry[] = page.rows.map((row) => entryOf(this.defs, base, row.version, 'match', q));
    if (!summaryCount && (q.include.length || q.revinclude.length)) entries.push(...(await this.includes(this.session(ctx), page.rows.map((r) => r.version), q, base, ctx, self?.includeIf)));
    if (parsed.ignored.length) {
      entries.push({ resource: outcome('warning', 'not-supported', `Unknown search parameters were ignored: ${parsed.ignored.join(', ')}.`), search: { mode: 'outcome' } });
    }

    const used = self?.params ?? query.filter(([k]) => k !== '_ct' && !parsed.ignored.includes(k));
    const path = self?.path ?? (types.length === 1 ? types[0] : '');
    const link = (extraParams: [string, string][]) => `${base}/${path}${qs([...used, ...extraParams])}`;
    const links: { relation: string; url: string }[] = [{ relation: 'self', url: link(parsed.continuation ? [['_ct', parsed.continuation]] : []) }];
    const first = page.rows[0], last = page.rows[page.rows.length - 1];
    const goingBack = !!q.before;
    const hasNext = goingBack ? true : page.hasMore;
    if (!summaryCount && (offset > 0 || goingBack)) links.push({ relation: 'first', url: link([]) });
    if (!summaryCount && offset > 0 && first) {
      links.push({ relation: 'previous', url: link([['_ct', this.cursors.encode({ q: qhash(), k: first.key, o: Math.max(0, offset - q.count), d: 'b' })]]) });
    }
    if (!summaryCount && hasNext && last) links.push({ relation: 'next', url: link([['_ct', this.cursors.encode({ q: qhash(), k: last.key, o: offset + page.rows.length })]]) });

    let total = page.total;
    if (total === undefined && !summaryCount && !hasNext && offset === 0) total = page.rows.length;
    const bundle = makeBundle('searchset', summaryCount ? [] : entries, { link: links, ...(total !== undefined ? { total } : {}) });
    return { status: 200, headers: {}, body: bundle };
  }

  private async includes(s: PersistenceSession, matched: StoredVersion[], q: SearchQuery, base: string, ctx: Ctx, includeIf?: (v: StoredVersion) => boolean): Promise<BundleEntry[]> {
    const seen = new Set(matched.map((v) => `${v.resourceType}/${v.id}`));
    const out: StoredVersion[] = [];
    let frontier = matched;
    for (let depth = 0; depth < MAX_INCLUDE_DEPTH && frontier.length && out.length < this.options.maxIncludes; depth++) {
      const found: StoredVersion[] = [];
      const specs = depth === 0 ? { inc: q.include, rev: q.revinclude } : { inc: q.include.filter((i) => i.iterate), rev: q.revinclude.filter((i) => i.iterate) };
      const refs: { resourceType: string; id: string }[] = [];
      for (const spec of specs.inc) {
        for (const v of frontier) {
          if (spec.sourceType !== '*' && spec.sourceType !== v.resourceType) continue;
          // (read, not taken: the page's resources still go out as their stored text)
          const resource = peekStored<Resource>(v, 'resource');
          if (!resource) continue;
          const codes = spec.param === '*' ? this.defs.searchParams(v.resourceType).filter((p) => p.type === 'reference').map((p) => p.code) : [spec.param];
          for (const code of codes) {
            for (const val of this.indexer.valuesOf(resource, code)) {
              if (val.type !== 'reference' || !val.targetType || !val.targetId) continue;
              if (spec.targetType && spec.targetType !== val.targetType) continue;
              refs.push({ resourceType: val.targetType, id: val.targetId });
            }
          }
        }
      }
      const fresh = refs.filter((r) => !seen.has(`${r.resourceType}/${r.id}`));
      if (fresh.length) found.push(...(await s.readMany(dedupeRefs(fresh))).filter((v) => !v.deleted));
      for (const spec of specs.rev) {
        const targets = frontier.filter((v) => !spec.targetType || spec.targetType === v.resourceType);
        if (!targets.length) continue;
        const where: SearchExpr = { kind: 'or', exprs: targets.map((v) => ({ kind: 'value', param: { code: spec.param, type: 'reference' }, predicate: { type: 'reference', targetType: v.resourceType, targetId: v.id } })) };
        const page = await s.search({ types: [spec.sourceType], where, sort: [], count: this.options.maxIncludes, total: 'none', include: [], revinclude: [] });
        found.push(...page.rows.map((r) => r.version));
      }
      frontier = [];
      for (const v of found) {
        const k = `${v.resourceType}/${v.id}`;
        if (seen.has(k) || !this.reachable(ctx, v) || (includeIf && !includeIf(v))) continue;
        seen.add(k);
        out.push(v);
        frontier.push(v);
      }
    }
    return out.slice(0, this.options.maxIncludes).map((v) => entryOf(this.defs, base, v, 'include', q));
  }

  async compartmentSearch(compartment: string, id: string, type: string, req: FhirRequest, ctx: Ctx = {}): Promise<FhirResponse> {
    const types = type === '*' ? Object.keys(this.defs.compartments[compartment] ?? {}) : [type];
    // (every type's compartment parameters at once: a resource is found by the parameters of its own type)
    const extra = type === '*'
      ? { kind: 'or' as const, exprs: types.flatMap((t) => memberReferences(this.defs, compartment, id, t)) }
      : membership(this.defs, compartment, id, type);
    if (!extra) throw badRequest(`${type} is not in the ${compartment} compartment.`);
    return this.search(types, params(req), req, ctx, extra, { path: `${compartment}/${id}/${type}` });
  }

  // ---- history -------------------------------------------------------------------------------

  async history(scope: { resourceType?: string; id?: string }, query: [string, string][], req: FhirRequest, ctx: Ctx = {}): Promise<FhirResponse> {
    let count = this.options.defaultCount, since: string | undefined, at: string | undefined, token: string | undefined;
    for (const [k, v] of query) {
      if (k === '_count') {
        if (!/^\d+$/.test(v)) throw badRequest(`_count must be a non-negative integer, got '${v}'.`);
        count = Math.min(Number(v), this.options.maxCount);
      } else if (k === '_since' || k === '_at') {
        if (Number.isNaN(Date.parse(v)) || !/^\d{4}/.test(v)) throw badRequest(`${k} must be an instant, got '${v}'.`);
        if (k === '_since') since = new Date(v).toISOString(); else at = new Date(v).toISOString();
      } else if (k === '_ct') token = v;
    }
    const s = this.session(ctx);
    if (scope.id) {
      const cur = await s.read(scope.resourceType!, scope.id);
      if (!cur || !this.reachable(ctx, cur)) throw notFound(`${scope.resourceType}/${scope.id} is not known.`);
    }
    const qhash = CursorCodec.queryHash(['history', scope, since, at, count]);
    const cursor = token ? this.cursors.decode(token, qhash) : undefined;
    const page = await s.history({ ...scope, since, at, count, after: cursor?.k });
    const base = req.baseUrl;
    // (under a limit, versions from before the resource came into it stay out; deletion markers carry nothing)
    const rows = ctx.limit ? page.rows.filter(({ version: v }) => v.deleted || this.reachable(ctx, v)) : page.rows;
    const entries: BundleEntry[] = rows.map(({ version: v }) => {
      const url = `${v.resourceType}/${v.id}`;
      const method = v.deleted ? 'DELETE' : v.versionId === 1 ? 'POST' : 'PUT';
      const entry: BundleEntry = { fullUrl: `${base}/${url}` };
      // (a stored text passes through unread)
      if (storedJson(v, 'resource') !== undefined || v.resource) shareStored(entry, 'resource', v);
      entry.request = { method, url: method === 'POST' ? v.resourceType : url };
      entry.response = { status: v.deleted ? '204 No Content' : v.versionId === 1 ? '201 Created' : '200 OK', etag: etag(v.versionId), lastModified: v.lastUpdated };
      return entry;
    });
    const path = [scope.resourceType, scope.id, '_history'].filter(Boolean).join('/');
    const used = query.filter(([k]) => k !== '_ct');
    const links = [{ relation: 'self', url: `${base}/${path}${qs(query)}` }];
    const last = page.rows[page.rows.length - 1];
    if (page.hasMore && last) links.push({ relation: 'next', url: `${base}/${path}${qs([...used, ['_ct', this.cursors.encode({ q: qhash, k: last.key, o: (cursor?.o ?? 0) + page.rows.length })]])}` });
    const bundle: Bundle = makeBundle('history', entries, { link: links, ...(page.total !== undefined ? { total: page.total } : {}) });
    return { status: 200, headers: {}, body: bundle };
  }
}


// ---- helpers -----------------------------------------------------------------------------------

export function errorResponse(e: FhirError): FhirResponse {
  return { status: e.status, headers: {}, body: e.outcome };
}

function versionHeaders(v: StoredVersion): Record<string, string> {
  return { ETag: etag(v.versionId), 'Last-Modified': httpDate(v.lastUpdated) };
}

function deletedResponse(v: StoredVersion): FhirResponse {
  const e = gone(`${v.resourceType}/${v.id} was deleted.`);
  return { status: 410, headers: versionHeaders(v), body: e.outcome };
}

function safeETag(h: string): number | undefined {
  try {
    return parseETag(h);
  } catch {
    return undefined;
  }
}

function preferReturn(req: FhirRequest): 'minimal' | 'representation' | 'OperationOutcome' {
  const m = /return\s*=\s*(minimal|representation|OperationOutcome)/i.exec(req.headers.prefer ?? '');
  if (!m) return 'representation';
  const v = m[1].toLowerCase();
  return v === 'minimal' ? 'minimal' : v === 'operationoutcome' ? 'OperationOutcome' : 'representation';
}

function shapingParams(req: FhirRequest) {
  const summary = req.query.find(([k]) => k === '_summary')?.[1] as SearchQuery['summary'];
  if (summary && !['true', 'text', 'data', 'count', 'false'].includes(summary)) throw badRequest(`Invalid _summary '${summary}'.`);
  const el = req.query.filter(([k]) => k === '_elements').flatMap(([, v]) => v.split(',')).map((s) => s.trim()).filter(Boolean);
  return { summary, elements: el.length ? el : undefined };
}

/** A search result entry; its resource shaped by _summary / _elements, or passed through as stored. */
function entryOf(defs: FhirDefinitions, base: string, v: StoredVersion, mode: 'match' | 'include', q: SearchQuery): BundleEntry {
  const entry: BundleEntry = { fullUrl: `${base}/${v.resourceType}/${v.id}` };
  putShaped(defs, entry, 'resource', v, q.summary, q.elements);
  entry.search = { mode };
  return entry;
}

/** Search parameters of a request: the query string, plus a form body for POST _search. */
function params(req: FhirRequest): [string, string][] {
  const out = [...req.query];
  if (req.method.toUpperCase() === 'POST' && typeof req.body === 'string') out.push(...new URLSearchParams(req.body));
  else if (req.method.toUpperCase() === 'POST' && req.body && typeof req.body === 'object' && !('resourceType' in (req.body as object))) {
    for (const [k, v] of Object.entries(req.body as Record<string, unknown>)) for (const x of [v].flat()) out.push([k, String(x)]);
  }
  return out.filter(([k]) => k !== '_format' && k !== '_pretty');
}

function conditionParams(criteria: string): [string, string][] {
  const q = criteria.includes('?') ? criteria.slice(criteria.indexOf('?') + 1) : criteria;
  return [...new URLSearchParams(q)];
}

function qs(p: [string, string][]): string {
  if (!p.length) return '';
  return '?' + p.map(([k, v]) => `${encodeURIComponent(k).replace(/%3A/gi, ':')}=${encodeURIComponent(v).replace(/%7C/gi, '|').replace(/%2C/gi, ',')}`).join('&');
}

function dedupeRefs(refs: { resourceType: string; id: string }[]) {
  const m = new Map(refs.map((r) => [`${r.resourceType}/${r.id}`, r]));
  return [...m.values()];
}

/** The start of every refusal a compartment limit causes. */
function limitText(limit: CompartmentLimit): string {
  return `This caller's access is limited to the compartment of ${limit.compartment}/${limit.id}`;
}

