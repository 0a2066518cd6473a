// Presentation of resources: _summary and _elements (https://hl7.org/fhir/R4/search.html#summary).
import type { FhirDefinitions } from './definitions.js';
import type { Resource } from './types.js';
import type { SummaryMode } from './search/expression.js';
import { shareStored } from './stored-json.js';

const SUBSETTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' };

function markSubsetted(r: Resource): Resource {
  const meta = { ...(r.meta ?? {}) };
  meta.tag = [...(meta.tag ?? []).filter((t) => t.code !== 'SUBSETTED'), SUBSETTED];
  return { ...r, meta };
}

function pick(r: Resource, keep: Set<string>): Resource {
  const out: Resource = { resourceType: r.resourceType };
  for (const [k, v] of Object.entries(r)) {
    const base = k.startsWith('_') ? k.slice(1) : k;
    const choiceBase = base.replace(/[A-Z][A-Za-z]*$/, '');
    if (keep.has(base) || keep.has(choiceBase)) out[k] = v;
  }
  return out;
}

/** Whether _summary / _elements change a resource (shapeResource returns it unchanged otherwise). */
export function shapes(summary?: SummaryMode, elements?: string[]): boolean {
  return (!!elements?.length && (!summary || summary === 'false')) || summary === 'true' || summary === 'text' || summary === 'data';
}

/** `holder[key]` = the version's resource as _summary / _elements shape it; unshaped, its stored text passes through unread. */
export function putShaped(defs: FhirDefinitions, holder: object, key: string, v: { resource?: Resource }, summary?: SummaryMode, elements?: string[]): void {
  if (shapes(summary, elements)) (holder as Record<string, unknown>)[key] = shapeResource(defs, v.resource!, summary, elements);
  else shareStored(holder, key, v);
}

/** Applies _summary / _elements; returns the resource unchanged when neither applies. */
export function shapeResource(defs: FhirDefinitions, r: Resource, summary?: SummaryMode, elements?: string[]): Resource {
  const info = defs.summary[r.resourceType] ?? { summary: [], mandatory: [] };
  if (elements && elements.length && (!summary || summary === 'false')) {
    const keep = new Set(['id', 'meta', ...info.mandatory, ...elements.map((e) => e.split('.')[0].replace(new RegExp(`^${r.resourceType}\\.`), ''))]);
    return markSubsetted(pick(r, keep));
  }
  switch (summary) {
    case 'true':
      return markSubsetted(pick(r, new Set(['id', 'meta', ...info.summary, ...info.mandatory])));
    case 'text':
      return markSubsetted(pick(r, new Set(['id', 'meta', 'text', ...info.mandatory])));
    case 'data': {
      const { text: _text, ...rest } = r;
      return markSubsetted(rest as Resource);
    }
    default:
      return r;
  }
}
