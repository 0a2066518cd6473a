// Transport-agnostic request classification: a plain request in, the interaction it asks for out.
import type { FhirDefinitions } from './definitions.js';
import { badRequest, methodNotAllowed, notFound } from './errors.js';
import { ID_RE } from './validation.js';

export interface FhirRequest {
  method: string;
  /** Path relative to the FHIR base, without leading slash: "Patient/1/_history/2". */
  path: string;
  /** Query parameters in order, repeats kept. */
  query: [string, string][];
  /** Lower-case header names. */
  headers: Record<string, string | undefined>;
  /** The parsed body (a resource, or a JSON Patch array). */
  body?: unknown;
  /** Absolute base URL of the FHIR endpoint, without trailing slash. */
  baseUrl: string;
  /** Who asks: the host's key for the authenticated caller ('' or absent when anonymous). Operations that keep per-caller state ($export jobs) bind it. */
  caller?: string;
}

export interface FhirResponse {
  status: number;
  headers: Record<string, string>;
  body?: import('./types.js').Resource;
}

export type Interaction =
  | 'capabilities' | 'read' | 'vread' | 'create' | 'update' | 'patch' | 'delete' | 'hard-delete'
  | 'conditional-update' | 'conditional-patch' | 'conditional-delete'
  | 'search-type' | 'search-system' | 'search-compartment'
  | 'history-instance' | 'history-type' | 'history-system'
  | 'batch' | 'transaction' | 'operation';

export interface Route {
  interaction: Interaction;
  resourceType?: string;
  id?: string;
  versionId?: string;
  /** For compartment searches: the type searched inside the compartment. */
  compartmentType?: string;
  /** For operations: the name without '$'. */
  operation?: string;
  /**
   * Other resource types the request reads through its search criteria (chains, _has, _list,
   * _include, _revinclude), '*' for any type; set by FhirEngine.route, not by classify.
   */
  reads?: string[] | '*';
}

export const COMPARTMENT_TYPES = new Set(['Patient', 'Encounter', 'RelatedPerson', 'Practitioner', 'Device']);

function checkId(id: string): string {
  if (!ID_RE.test(id)) throw badRequest(`Invalid resource id '${id}'.`);
  return id;
}

/** Works out which interaction a request asks for; unknown types give 404, wrong methods 405. */
export function classify(defs: FhirDefinitions, req: FhirRequest): Route {
  const method = req.method.toUpperCase();
  const parts = req.path.split('/').filter((p) => p !== '').map((p) => decodeURIComponent(p));
  const wrong = (): never => { throw methodNotAllowed(`${method} is not allowed on '/${parts.join('/')}'.`); };
  const type = (t: string) => {
    if (!defs.isResourceType(t)) throw notFound(`Unknown resource type '${t}'.`);
    return t;
  };
  const hard = req.query.some(([k, v]) => k === '_hardDelete' && v === 'true');

  if (parts.length === 0) {
    if (method === 'GET' || method === 'HEAD') return { interaction: 'search-system' };
    if (method === 'POST') {
      const t = (req.body as { type?: string } | undefined)?.type;
      return { interaction: t === 'transaction' ? 'transaction' : 'batch' };
    }
    return wrong();
  }
  const [p0, p1, p2, p3] = parts;
  if (p0.startsWith('$')) return { interaction: 'operation', operation: p0.slice(1) };
  if (parts.length === 1) {
    if (p0 === 'metadata') return method === 'GET' || method === 'HEAD' ? { interaction: 'capabilities' } : wrong();
    if (p0 === '_history') return method === 'GET' ? { interaction: 'history-system' } : wrong();
    if (p0 === '_search') return method === 'POST' ? { interaction: 'search-system' } : wrong();
    const resourceType = type(p0);
    switch (method) {
      case 'GET': case 'HEAD': return { interaction: 'search-type', resourceType };
      case 'POST': return { interaction: 'create', resourceType };
      case 'PUT': return { interaction: 'conditional-update', resourceType };
      case 'PATCH': return { interaction: 'conditional-patch', resourceType };
      case 'DELETE': return { interaction: 'conditional-delete', resourceType };
      default: return wrong();
    }
  }
  const resourceType = type(p0);
  if (parts.length === 2) {
    if (p1 === '_search') return method === 'POST' ? { interaction: 'search-type', resourceType } : wrong();
    if (p1 === '_history') return method === 'GET' ? { interaction: 'history-type', resourceType } : wrong();
    if (p1.startsWith('$')) return { interaction: 'operation', resourceType, operation: p1.slice(1) };
    const id = checkId(p1);
    switch (method) {
      case 'GET': case 'HEAD': return { interaction: 'read', resourceType, id };
      case 'PUT': return { interaction: 'update', resourceType, id };
      case 'PATCH': return { interaction: 'patch', resourceType, id };
      case 'DELETE': return { interaction: hard ? 'hard-delete' : 'delete', resourceType, id };
      default: return wrong();
    }
  }
  const id = checkId(p1);
  if (parts.length === 3) {
    if (p2 === '_history') return method === 'GET' ? { interaction: 'history-instance', resourceType, id } : wrong();
    if (p2.startsWith('$')) return { interaction: 'operation', resourceType, id, operation: p2.slice(1) };
    if (COMPARTMENT_TYPES.has(resourceType) && (p2 === '*' || defs.isResourceType(p2))) {
      return method === 'GET' ? { interaction: 'search-compartment', resourceType, id, compartmentType: p2 } : wrong();
    }
    throw notFound(`Unknown path '/${parts.join('/')}'.`);
  }
  if (parts.length === 4 && p2 === '_history') {
    if (!/^\d+$/.test(p3)) throw notFound(`Version '${p3}' of ${resourceType}/${id} does not exist.`);
    return method === 'GET' || method === 'HEAD' ? { interaction: 'vread', resourceType, id, versionId: p3 } : wrong();
  }
  throw notFound(`Unknown path '/${parts.join('/')}'.`);
}

/** Operations that read across resource types whatever the type in their path. */
const CROSS_TYPE_OPERATIONS = new Set(['export', 'everything']);

/**
 * The resource types a route acts on (`own`: the type searched, for compartment searches) and the
 * other types its search criteria read (`reads`, Route.reads); undefined: any type (system level,
 * `*` compartments, exports, `_include=*`).
 */
export function routeTypeSets(route: Route): { own: string[] | undefined; reads: string[] | undefined } {
  const reads = route.reads === '*' ? undefined : route.reads ?? [];
  if (!route.resourceType || route.compartmentType === '*') return { own: undefined, reads };
  if (route.interaction === 'operation' && CROSS_TYPE_OPERATIONS.has(route.operation ?? '')) return { own: undefined, reads };
  return { own: [route.compartmentType ?? route.resourceType], reads };
}
