// Content negotiation: FHIR JSON and XML in and out (https://hl7.org/fhir/R4/http.html#mime-type).
import { FhirError, fromXml, jsonPieces, toXml, type FhirDefinitions, type FhirResponse } from '@hestia/core';

export type Format = 'json' | 'xml';

const JSON_TYPES = ['application/fhir+json', 'application/json', 'application/json+fhir', 'text/json'];
const XML_TYPES = ['application/fhir+xml', 'application/xml', 'application/xml+fhir', 'text/xml'];

function formatOf(mime: string): Format | undefined {
  const m = mime.split(';')[0].trim().toLowerCase();
  if (m === 'json' || JSON_TYPES.includes(m)) return 'json';
  if (m === 'xml' || XML_TYPES.includes(m)) return 'xml';
  return undefined;
}

/** The response format from `_format`, else the Accept header, else JSON. */
export function responseFormat(format: string | undefined, accept: string | undefined): Format {
  if (format) {
    const f = formatOf(format);
    if (!f) throw new FhirError(406, 'not-supported', `Unsupported _format '${format}'.`);
    return f;
  }
  if (!accept) return 'json';
  for (const part of accept.split(',')) {
    const f = formatOf(part);
    if (f) return f;
  }
  if (/\*\/\*|application\/\*|^\s*$/.test(accept)) return 'json';
  throw new FhirError(406, 'not-supported', `None of the accepted types (${accept}) can be produced; use application/fhir+json or application/fhir+xml.`);
}

/** Parses a request body by its Content-Type; unknown types are a 415, malformed bodies a 400. */
export function parseBody(defs: FhirDefinitions, contentType: string | undefined, raw: Buffer): unknown {
  if (!raw.length) return undefined;
  const mime = (contentType ?? '').split(';')[0].trim().toLowerCase();
  const text = raw.toString('utf8');
  if (mime === 'application/json-patch+json' || formatOf(mime) === 'json') {
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new FhirError(400, 'structure', `The body is not valid JSON: ${(e as Error).message}`);
    }
  }
  if (formatOf(mime) === 'xml') return fromXml(defs, text);
  if (mime === 'application/x-www-form-urlencoded') return text;
  throw new FhirError(415, 'not-supported', `Unsupported Content-Type '${contentType ?? ''}'; use application/fhir+json or application/fhir+xml.`);
}

/**
 * A response's body as text, in pieces to be written one after the other; compact JSON writes
 * resources still held as stored text as they are (core's jsonPieces).
 */
export function serialize(defs: FhirDefinitions, r: FhirResponse, format: Format, pretty: boolean): { type: string; pieces: string[] } {
  if (format === 'xml') return { type: 'application/fhir+xml; charset=utf-8', pieces: [toXml(defs, r.body!, pretty)] };
  return { type: 'application/fhir+json; charset=utf-8', pieces: pretty ? [JSON.stringify(r.body, null, 2)] : jsonPieces(r, 'body') };
}

/** Query string pairs in order, keeping repeats; '+' stays '+' (shared with core's bundle entry URLs). */
export { parseQuery } from '@hestia/core';
