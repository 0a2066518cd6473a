// Query strings as FHIR reads them: ordered pairs, repeats kept, and '+' kept as '+' (FHIR
// timezones) rather than turned into a space as application/x-www-form-urlencoded would.
import { FhirError } from './errors.js';

/** The query pairs of a URL (or of a bare query string after '?'); malformed escapes are a 400. */
export function parseQuery(url: string): [string, string][] {
  const i = url.indexOf('?');
  if (i < 0) return [];
  const out: [string, string][] = [];
  for (const part of url.slice(i + 1).split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const k = eq < 0 ? part : part.slice(0, eq);
    const v = eq < 0 ? '' : part.slice(eq + 1);
    try {
      out.push([decodeURIComponent(k), decodeURIComponent(v)]);
    } catch {
      throw new FhirError(400, 'invalid', `Malformed query parameter '${part.slice(0, 100)}'.`);
    }
  }
  return out;
}
