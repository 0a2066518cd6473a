// Rows of the resource and resource_history tables as core's StoredVersion (both SQL adapters).
import { withContent, type StoredVersion } from '@hestia/core';

/** ISO 8601 UTC with milliseconds, as toISOString() writes it. */
const CANONICAL = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** A timestamp column (a Date, text already in the canonical form, or other text) as ISO 8601 UTC. */
const iso = (v: unknown): string => (v instanceof Date ? v.toISOString() : typeof v === 'string' && CANONICAL.test(v) ? v : new Date(String(v)).toISOString());

/** A stored version from its row; the content (JSON text) is parsed only if something reads the resource. */
export function toVersion(row: Record<string, unknown>): StoredVersion {
  const deleted = row.deleted === true;
  const v: StoredVersion = { resourceType: row.resource_type as string, id: row.id as string, versionId: Number(row.version_id), lastUpdated: iso(row.last_updated), deleted };
  return deleted ? v : withContent(v, row.content);
}
