// The resource types a parsed search reads beyond the ones it searches: chains and _has (and _list)
// test other resources, _include and _revinclude return them. A host that restricts callers to some
// types authorizes these too (Route.reads), so that a search cannot reveal what a read would refuse.
import type { FhirDefinitions } from '../definitions.js';
import type { SearchExpr, SearchQuery } from './expression.js';

/** The other types `q` reads, or '*' when it may read any type (`_include=*`, a reference to any type). */
export function typesRead(defs: FhirDefinitions, q: SearchQuery): string[] | '*' {
  const out = new Set<string>();
  let any = false;
  const walk = (e: SearchExpr | undefined): void => {
    if (!e) return;
    switch (e.kind) {
      case 'and': case 'or': e.exprs.forEach(walk); return;
      case 'not': walk(e.expr); return;
      case 'chain': e.targetTypes.forEach((t) => out.add(t)); walk(e.expr); return;
      case 'has': out.add(e.sourceType); walk(e.expr); return;
      default: return;
    }
  };
  walk(q.where);
  for (const inc of q.include) {
    if (inc.targetType) out.add(inc.targetType);
    else if (inc.sourceType === '*' || inc.param === '*') any = true;
    else {
      const targets = defs.searchParam(inc.sourceType, inc.param)?.target;
      if (targets?.length) targets.forEach((t) => out.add(t));
      else any = true;
    }
  }
  for (const rev of q.revinclude) {
    if (rev.sourceType === '*') any = true;
    else out.add(rev.sourceType);
  }
  if (any) return '*';
  for (const t of q.types) out.delete(t);
  return [...out].sort();
}
