// The input parameters of an operation: the query string, then the parameters of a Parameters body
// (POST), each with its value[x] as it is (a string, a Coding, a resource …).
import { badRequest } from './errors.js';
import type { FhirRequest } from './router.js';
import type { Resource } from './types.js';

export function operationInput(req: FhirRequest, operation: string): Map<string, unknown> {
  const out = new Map<string, unknown>(req.query);
  const body = req.body as Resource | undefined;
  if (body?.resourceType === 'Parameters') {
    for (const p of (body.parameter ?? []) as Record<string, unknown>[]) {
      const value = p.resource ?? Object.entries(p).find(([k]) => k.startsWith('value'))?.[1];
      if (typeof p.name === 'string' && value !== undefined) out.set(p.name, value);
    }
  } else if (body !== undefined) throw badRequest(`The body of $${operation}, when there is one, must be Parameters.`, 'structure');
  return out;
}

/** An input given as text (a query parameter, or a primitive value[x]); undefined when absent; 400 when it is not text. */
export function textInput(input: Map<string, unknown>, name: string): string | undefined {
  const v = input.get(name);
  if (v === undefined) return undefined;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw badRequest(`The parameter '${name}' must be a simple value.`);
}
