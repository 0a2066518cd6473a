// PATCH bodies: JSON Patch (RFC 6902, via fast-json-patch) and FHIRPath Patch (a Parameters resource).
import jsonpatch from 'fast-json-patch';
import { badRequest, unprocessable, notSupported } from './errors.js';
import type { FhirDefinitions } from './definitions.js';
import type { Resource } from './types.js';

export function applyJsonPatch(resource: Resource, ops: unknown): Resource {
  if (!Array.isArray(ops)) throw badRequest('A JSON Patch body must be an array of operations.');
  const invalid = jsonpatch.validate(ops as jsonpatch.Operation[], resource);
  if (invalid) throw badRequest(`Invalid JSON Patch: ${invalid.message.split('\n')[0]}`);
  try {
    return jsonpatch.applyPatch(structuredClone(resource), ops as jsonpatch.Operation[], true, false).newDocument;
  } catch (e) {
    const name = (e as { name?: string }).name;
    if (name === 'TEST_OPERATION_FAILED') throw unprocessable('JSON Patch test operation failed.');
    throw unprocessable(`JSON Patch could not be applied: ${(e as Error).message.split('\n')[0]}`);
  }
}

export function applyFhirPathPatch(_defs: FhirDefinitions, _resource: Resource, _parameters: Resource): Resource {
  throw notSupported('FHIRPath Patch is not supported yet.');
}
