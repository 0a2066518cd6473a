// Placeholder until the FHIR XML mapping lands.
import type { FhirDefinitions } from '../definitions.js';
import type { Resource } from '../types.js';
import { notSupported } from '../errors.js';

export function toXml(_defs: FhirDefinitions, _resource: Resource, _pretty?: boolean): string {
  throw notSupported('XML is not supported yet.');
}
export function fromXml(_defs: FhirDefinitions, _xml: string): Resource {
  throw notSupported('XML is not supported yet.');
}
