// Custom SearchParameter resources: validated when written, registered for this server instance,
// indexed on every later write, and applied to existing data by $reindex.
import type { FhirDefinitions, SearchParamDef, SearchParamType } from './definitions.js';
import { badRequest } from './errors.js';
import type { Indexer } from './search/indexer.js';
import type { Resource } from './types.js';

const TYPES: SearchParamType[] = ['number', 'date', 'string', 'token', 'reference', 'composite', 'quantity', 'uri'];

/**
 * Whether a stored SearchParameter is one this server evaluates: not a redefinition of a common
 * parameter (_id, …) and not of type special (those are kept as data only).
 */
export function isEvaluable(r: Resource): boolean {
  const sp = r as { code?: unknown; type?: unknown; status?: unknown };
  return !(typeof sp.code === 'string' && sp.code.startsWith('_')) && sp.type !== 'special' && sp.status !== 'retired';
}

/** Converts a SearchParameter resource into a definition, or explains (400) why it cannot be used. */
export function toSearchParamDef(defs: FhirDefinitions, indexer: Indexer, r: Resource): SearchParamDef {
  const sp = r as Resource & { url?: string; code?: string; base?: string[]; type?: string; expression?: string; target?: string[]; component?: { definition?: string; expression?: string }[] };
  const problems: string[] = [];
  if (typeof sp.url !== 'string' || !sp.url) problems.push('url is required');
  if (typeof sp.code !== 'string' || !/^[A-Za-z0-9_][A-Za-z0-9\-_.]*$/.test(sp.code)) problems.push('code must be a search parameter name');
  if (!Array.isArray(sp.base) || !sp.base.length) problems.push('base must list resource types');
  else for (const b of sp.base) if (!defs.isResourceType(b) && b !== 'Resource' && b !== 'DomainResource') problems.push(`base '${b}' is not a resource type`);
  if (!TYPES.includes(sp.type as SearchParamType)) problems.push(`type '${String(sp.type)}' is not supported`);
  if (typeof sp.expression !== 'string' || !sp.expression.trim()) problems.push('expression is required');
  else {
    const err = indexer.checkExpression(sp.expression);
    if (err) problems.push(`expression cannot be evaluated: ${err}`);
  }
  if (problems.length) throw badRequest(`Invalid SearchParameter: ${problems.join('; ')}.`);
  const def: SearchParamDef = { url: sp.url!, code: sp.code!, base: sp.base!, type: sp.type as SearchParamType, expression: sp.expression };
  if (sp.target?.length) def.target = sp.target;
  if (sp.component?.length) def.component = sp.component.map((c) => ({ definition: String(c.definition), expression: String(c.expression) }));
  return def;
}
