// Chains and _has need joins between documents, which one Cosmos query cannot do. They run first,
// innermost first, as bounded sub-queries that collect the keys ("Type/id") of the resources they
// match; the outer query then tests those keys. More than `max` keys is refused as too costly.
import { tooCostly, type SearchExpr } from '@hestia/core';
import type { SqlQuerySpec } from '@azure/cosmos';
import { QueryBuilder, type ResolvedExpr } from './query.js';

export type RunQuery = (spec: SqlQuerySpec) => Promise<string[]>;

export async function resolveJoins(e: SearchExpr, run: RunQuery, max: number): Promise<ResolvedExpr> {
  switch (e.kind) {
    case 'and':
    case 'or':
      return { kind: e.kind, exprs: await Promise.all(e.exprs.map((x) => resolveJoins(x, run, max))) };
    case 'not':
      return { kind: 'not', expr: await resolveJoins(e.expr, run, max) };
    case 'chain': {
      const inner = await resolveJoins(e.expr, run, max);
      const b = new QueryBuilder();
      const where = b.where(e.targetTypes, inner);
      const keys = await run({ query: `SELECT TOP ${max + 1} VALUE c.pk FROM c WHERE ${where}`, parameters: b.parameters });
      if (keys.length > max) throw tooCostly(`The chained search on '${e.param.code}' matches more than ${max} resources; narrow it.`);
      return { kind: 'refIn', code: e.param.code, keys };
    }
    case 'has': {
      const inner = await resolveJoins(e.expr, run, max);
      const b = new QueryBuilder();
      const where = b.where([e.sourceType], inner);
      const query = `SELECT TOP ${max + 1} VALUE j.r FROM c JOIN j IN c.idx.ref WHERE ${where} AND j.c = ${b.bind(e.param.code)} AND IS_STRING(j.r)`;
      const refs = await run({ query, parameters: b.parameters });
      if (refs.length > max) throw tooCostly(`The _has search on ${e.sourceType}:${e.param.code} matches more than ${max} references; narrow it.`);
      return { kind: 'keyIn', keys: [...new Set(refs)] };
    }
    default:
      return e;
  }
}
