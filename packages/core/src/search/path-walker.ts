// A compiled equivalent of fhirpath.js for the most common search expressions: plain element paths
// (`Patient.name.family`, `Observation.value`, and unions of such paths). Walking the JSON directly
// with the types from the definitions gives the same nodes several times faster; every other
// expression goes to fhirpath.js. Equivalence is tested on the HL7 examples (indexer test).
import type { FhirDefinitions } from '../definitions.js';

export interface PathNode { data: unknown; fhirNodeDataType: string }

const SIMPLE = /^[A-Z][A-Za-z]+(\.[a-z][A-Za-z0-9]*)+$/;

/** A walker for `expression` on resources of `type`, or undefined when it is not a plain path (union). */
export function compilePath(defs: FhirDefinitions, type: string, expression: string): ((resource: unknown) => PathNode[]) | undefined {
  const branches = expression.split('|').map((b) => b.trim());
  const walkers: ((r: unknown) => PathNode[])[] = [];
  for (const b of branches) {
    if (!SIMPLE.test(b)) return undefined;
    const [head, ...steps] = b.split('.');
    if (head !== type && head !== 'Resource' && head !== 'DomainResource') return undefined;
    const w = compileSteps(defs, type, steps);
    if (!w) return undefined;
    walkers.push(w);
  }
  return walkers.length === 1 ? walkers[0] : (r) => walkers.flatMap((w) => w(r));
}

/**
 * Whether `expression` is one plain path on `type` whose every step has max cardinality 1 (in the
 * definitions), so that a valid resource has at most one element there.
 */
export function singleElementPath(defs: FhirDefinitions, type: string, expression: string): boolean {
  if (!SIMPLE.test(expression)) return false;
  const [head, ...steps] = expression.split('.');
  if (head !== type) return false;
  for (let i = 0; i < steps.length; i++) {
    const path = steps.slice(0, i + 1).join('.');
    const row = defs.element(type, path) ?? defs.element(type, `${path}[x]`);
    if (!row || row[1] !== '1') return false;
  }
  return true;
}

interface Step { keys: { key: string; type: string }[] }

function compileSteps(defs: FhirDefinitions, type: string, steps: string[]): ((r: unknown) => PathNode[]) | undefined {
  const compiled: Step[] = [];
  for (let i = 0; i < steps.length; i++) {
    const path = steps.slice(0, i + 1).join('.');
    const plain = defs.element(type, path);
    if (plain && !plain[3]) {
      if (plain[2].length !== 1) return undefined;
      compiled.push({ keys: [{ key: steps[i], type: plain[2][0] }] });
      continue;
    }
    const choice = defs.element(type, `${path}[x]`);
    if (choice && choice[2].length) {
      compiled.push({ keys: choice[2].map((t) => ({ key: steps[i] + t[0].toUpperCase() + t.slice(1), type: t })) });
      continue;
    }
    return undefined; // content references, unknown paths: leave them to fhirpath.js
  }
  return (resource) => {
    let current: PathNode[] = [{ data: resource, fhirNodeDataType: type }];
    for (const step of compiled) {
      const next: PathNode[] = [];
      for (const node of current) {
        const obj = node.data as Record<string, unknown>;
        if (!obj || typeof obj !== 'object') continue;
        for (const { key, type: t } of step.keys) {
          const v = obj[key];
          if (v === undefined || v === null) continue;
          if (Array.isArray(v)) {
            for (const x of v) if (x !== null && x !== undefined) next.push({ data: x, fhirNodeDataType: t });
          } else next.push({ data: v, fhirNodeDataType: t });
        }
      }
      current = next;
      if (!current.length) break;
    }
    return current;
  };
}
