// The container calls the adapter makes: every one is metered (request units charged to the
// current request) and reported to the instrumentation's listeners, and reads use the request's
// relaxed consistency, if it asked for one.
import type { Container, ItemDefinition, SqlQuerySpec } from '@azure/cosmos';
import { FhirError } from '@hestia/core';
import type { SystemFields } from './documents.js';
import type { CosmosInstrumentation } from './instrumentation.js';
import { chargeOf, type Charged, type CosmosMetering } from './metering.js';

/** The status code of an SDK error (Cosmos answers 404, 409, 412, 413, 429 …). */
export const statusOf = (e: unknown): number | undefined => {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
};

/** Errors every caller translates the same way; others pass through (and become 500s). */
export function translateError(e: unknown): unknown {
  const status = statusOf(e);
  if (status === 429) return new FhirError(429, 'throttled', 'The database is busy (request rate too large); retry later.');
  if (status === 413) return new FhirError(413, 'too-long', 'The resource is larger than a Cosmos DB document may be (2 MB).');
  // (the SDK's own deadline, or Cosmos DB's 408)
  if (status === 408 || (e as { code?: unknown }).code === 'TimeoutError') return new FhirError(503, 'timeout', 'The database did not answer in time; retry later.');
  return e;
}

export class CosmosDb {
  constructor(readonly container: Container, readonly metering: CosmosMetering, private readonly instrumentation: CosmosInstrumentation) {}

  /** `statement`: the query, or the point operation's name; `bindings`: the query's parameter values. */
  private async call<T>(statement: string, fn: () => Promise<T & { requestCharge?: number }>, bindings?: readonly unknown[]): Promise<T> {
    const started = this.instrumentation.listening ? performance.now() : undefined;
    let outcome: { failed: boolean; requestCharge?: number } = { failed: true };
    try {
      const res = await this.metering.metered(fn());
      outcome = { failed: false, requestCharge: chargeOf(res) };
      return res;
    } catch (e) {
      outcome = { failed: true, requestCharge: chargeOf(e as Charged) };
      throw translateError(e);
    } finally {
      if (started !== undefined) this.instrumentation.report({ durationMs: performance.now() - started, statement, bindings, ...outcome });
    }
  }

  /** A point operation's statement: its name and the container's. */
  private op(name: string): string {
    return `${name} (${this.container.id})`;
  }

  /** All results of a query (callers bound it with TOP). `partitionKey` scopes it to one logical partition. */
  async query<T>(spec: SqlQuerySpec, partitionKey?: string): Promise<T[]> {
    const options = { ...this.metering.readOptions(), ...(partitionKey !== undefined ? { partitionKey } : {}) };
    const res = await this.call(spec.query, () => this.container.items.query<T>(spec, options).fetchAll(), spec.parameters?.map((p) => p.value));
    return res.resources;
  }

  /** A point read; undefined when there is no such document. */
  async read<T>(id: string, pk: string): Promise<(T & SystemFields) | undefined> {
    const res = await this.call(this.op('read'), () => this.container.item(id, pk).read<T & ItemDefinition>(this.metering.readOptions()));
    return res.statusCode === 404 ? undefined : (res.resource as T & SystemFields | undefined);
  }

  async create<T extends ItemDefinition>(doc: T): Promise<T & SystemFields> {
    const res = await this.call(this.op('create'), () => this.container.items.create(doc));
    return res.resource as T & SystemFields;
  }

  async upsert<T extends ItemDefinition>(doc: T): Promise<void> {
    await this.call(this.op('upsert'), () => this.container.items.upsert(doc));
  }

  /** Replaces a document only if it still has `etag` (412 otherwise). */
  async replace<T extends ItemDefinition>(doc: T, pk: string, etag: string | undefined): Promise<T & SystemFields> {
    const options = etag ? { accessCondition: { type: 'IfMatch', condition: etag } } : {};
    const res = await this.call(this.op('replace'), () => this.container.item(doc.id!, pk).replace(doc, options));
    return res.resource as T & SystemFields;
  }

  /** Deletes a document (only if it still has `etag`, when given); false when it was not there. */
  async delete(id: string, pk: string, etag?: string): Promise<boolean> {
    const options = etag ? { accessCondition: { type: 'IfMatch', condition: etag } } : {};
    try {
      await this.call(this.op('delete'), () => this.container.item(id, pk).delete(options));
      return true;
    } catch (e) {
      if (statusOf(e) === 404) return false;
      throw e;
    }
  }
}
