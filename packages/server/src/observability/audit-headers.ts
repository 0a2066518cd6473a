// Custom audit headers (X-MS-AZUREFHIR-AUDIT-<name>): copied into the audit record's Properties.
// Repeats of one name are joined with ", "; at most 10 distinct names and 2048 characters per value.
import { badRequest } from '@hestia/core';

export const AUDIT_HEADER_PREFIX = 'X-MS-AZUREFHIR-AUDIT-';
export const MAX_AUDIT_HEADERS = 10;
export const MAX_AUDIT_HEADER_LENGTH = 2048;

/**
 * Reads the custom audit headers from Node's raw header list (names and values alternating, repeats
 * kept). Names are upper-cased so that differently cased repeats count as one header.
 * Throws a 400 FhirError naming the limit that was exceeded.
 */
export function readAuditHeaders(rawHeaders: string[]): Record<string, string> {
  const values = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toUpperCase();
    if (!name.startsWith(AUDIT_HEADER_PREFIX) || name.length === AUDIT_HEADER_PREFIX.length) continue;
    const list = values.get(name) ?? [];
    list.push(rawHeaders[i + 1]);
    values.set(name, list);
  }
  if (values.size > MAX_AUDIT_HEADERS) {
    throw badRequest(`At most ${MAX_AUDIT_HEADERS} distinct ${AUDIT_HEADER_PREFIX}* headers are allowed; this request has ${values.size}.`);
  }
  const properties: Record<string, string> = {};
  for (const [name, list] of values) {
    const value = list.join(', ');
    if (value.length > MAX_AUDIT_HEADER_LENGTH) {
      throw badRequest(`The value of header ${name} is ${value.length} characters long; at most ${MAX_AUDIT_HEADER_LENGTH} are allowed.`);
    }
    properties[name] = value;
  }
  return properties;
}
