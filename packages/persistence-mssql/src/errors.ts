// SQL Server errors that mean "try again" become FhirErrors; everything else passes through.
import { conflict, FhirError } from '@hestia/core';

/** 1205: chosen as deadlock victim; 1222: lock request timed out; 3960: snapshot update conflict. */
const TRANSIENT = new Set([1205, 1222, 3960]);
/** Unique index / constraint violations: a concurrent request created the same row. */
const DUPLICATE = new Set([2601, 2627]);

export const transient = (why = 'A concurrent change conflicted with this request; retry.') => new FhirError(409, 'transient', why);

/** The error and the ones it wraps (knex keeps the first error as `originalError` when a rollback fails too). */
function chain(e: unknown): unknown[] {
  const out: unknown[] = [];
  for (let cur = e; cur && out.length < 5; cur = (cur as { originalError?: unknown }).originalError) out.push(cur);
  return out;
}

export function translateError(e: unknown): unknown {
  const errors = chain(e);
  const fhir = errors.find((x) => x instanceof FhirError);
  if (fhir) return fhir;
  const numbers = errors.map((x) => (x as { number?: unknown }).number).filter((n): n is number => typeof n === 'number');
  if (numbers.some((n) => TRANSIENT.has(n))) return transient();
  if (numbers.some((n) => DUPLICATE.has(n))) return conflict('A concurrent request created the same resource; retry.');
  return e;
}
