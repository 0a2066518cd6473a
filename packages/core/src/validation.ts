// Structural validation of resources against the FHIR definitions.
import type { FhirDefinitions } from './definitions.js';
import type { OperationOutcomeIssue, Resource } from './types.js';

export const ID_RE = /^[A-Za-z0-9\-.]{1,64}$/;

/** Returns the problems found; an empty list means the resource is acceptable. */
export function validateResource(defs: FhirDefinitions, resource: unknown): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  if (!resource || typeof resource !== 'object' || Array.isArray(resource)) {
    return [{ severity: 'error', code: 'structure', diagnostics: 'The body must be a FHIR resource (a JSON object).' }];
  }
  const r = resource as Resource;
  if (typeof r.resourceType !== 'string' || !defs.isResourceType(r.resourceType)) {
    return [{ severity: 'error', code: 'structure', diagnostics: `Unknown or missing resourceType '${String(r.resourceType)}'.` }];
  }
  if (r.id !== undefined && (typeof r.id !== 'string' || !ID_RE.test(r.id))) {
    issues.push({ severity: 'error', code: 'value', diagnostics: `Invalid id '${String(r.id)}'.`, expression: [`${r.resourceType}.id`] });
  }
  return issues;
}
