// Versioning rules: integer version ids, weak ETags, and the checks on If-Match / If-None-Match.
import { badRequest } from './errors.js';

export const etag = (versionId: number | string) => `W/"${versionId}"`;

/** Parses `W/"3"`, `"3"` or `3` into a version number; anything else is a 400. */
export function parseETag(header: string): number {
  const m = /^(?:W\/)?"?(\d+)"?$/.exec(header.trim());
  if (!m) throw badRequest(`Invalid ETag '${header}': expected W/"<version>".`);
  return Number(m[1]);
}

export function httpDate(iso: string): string {
  return new Date(iso).toUTCString();
}

/** A monotonic clock so that two writes never share a lastUpdated instant in this process. */
let lastStamp = 0;
export function nextTimestamp(): string {
  let now = Date.now();
  if (now <= lastStamp) now = lastStamp + 1;
  lastStamp = now;
  return new Date(now).toISOString();
}
