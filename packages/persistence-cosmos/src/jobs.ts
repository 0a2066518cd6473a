// The job store on Cosmos DB. A job is a document in the resources container, alone in its logical
// partition "_job/<job id>" (no resource type starts with '_'), with the constant document id
// 'job' (as leases use 'lease'), so any job id is safe whatever characters it holds.
// Why the resources container: it indexes every path, so the claim and list filters and their
// ORDER BY work on containers that already exist (the history container indexes only the version
// paths, and createIfNotExists never changes an existing container's policy), and there is no third
// container to provision, pay for and name. Resource queries never see jobs: searches all require
// `c.del = false` and history `IS_STRING(c.hk)`, fields a job document does not have.
// Every change is a replace conditional on the `_etag` read with the job (412 when someone changed
// it since), so two workers can never both claim or update the same version.
import { conflict, type JobRecord, type JobStatus, type JobStore, type JobUpdate } from '@hestia/core';
import { statusOf, type CosmosDb } from './db.js';
import type { SystemFields } from './documents.js';
import { emptyIndex, type DocIndex } from './doc-index.js';

interface JobDoc {
  id: 'job';
  pk: string;
  doc: 'job';
  /** createdAt then job id in one string: ordering on one path needs no composite index (existing containers have none). */
  ord: string;
  job: JobRecord;
  /**
   * An empty search index. Searches never match a job (no `del` field), but the emulator evaluates
   * every condition of a query on every document and fails on a missing `c.idx`; real Cosmos does not.
   */
  idx: DocIndex;
}

const JOB_DOC_ID = 'job';
const pkOf = (id: string) => `_job/${id}`;

/** Candidates a claim fetches at once; racing claimers move on to the next when one is taken. */
const CLAIM_BATCH = 10;

export class CosmosJobStore implements JobStore {
  constructor(private readonly db: CosmosDb) {}

  async createJob(job: { id: string; kind: string; owner: string; data: Record<string, unknown> }): Promise<JobRecord> {
    const now = new Date().toISOString();
    const record: JobRecord = { id: job.id, kind: job.kind, status: 'queued', owner: job.owner, createdAt: now, updatedAt: now, data: job.data, version: 1 };
    try {
      return (await this.db.create<JobDoc>({ id: JOB_DOC_ID, pk: pkOf(job.id), doc: 'job', ord: `${now}\u0001${job.id}`, job: record, idx: emptyIndex() })).job;
    } catch (e) {
      if (statusOf(e) === 409) throw conflict(`Job ${job.id} already exists.`);
      throw e;
    }
  }

  async getJob(id: string): Promise<JobRecord | undefined> {
    return (await this.db.read<JobDoc>(JOB_DOC_ID, pkOf(id)))?.job;
  }

  async updateJob(id: string, expectedVersion: number, update: JobUpdate): Promise<JobRecord | undefined> {
    const doc = await this.db.read<JobDoc>(JOB_DOC_ID, pkOf(id));
    return doc?.job.version === expectedVersion ? this.apply(doc, update) : undefined;
  }

  async claimJob(kind: string, worker: string, staleBefore: string): Promise<JobRecord | undefined> {
    const query = `SELECT TOP ${CLAIM_BATCH} * FROM c WHERE c.doc = 'job' AND c.job.kind = @kind`
      + ` AND (c.job.status = 'queued' OR (c.job.status = 'running' AND c.job.heartbeatAt < @stale)) ORDER BY c.ord`;
    const parameters = [{ name: '@kind', value: kind }, { name: '@stale', value: staleBefore }];
    for (;;) {
      const candidates = await this.db.query<JobDoc & SystemFields>({ query, parameters });
      if (!candidates.length) return undefined;
      for (const doc of candidates) {
        const claimed = await this.apply(doc, { status: 'running', heartbeat: true }, worker);
        if (claimed) return claimed;
      }
      // Every candidate was changed by someone else since the query: look again.
    }
  }

  async listJobs(kind: string, status: JobStatus): Promise<JobRecord[]> {
    const query = `SELECT VALUE c.job FROM c WHERE c.doc = 'job' AND c.job.kind = @kind AND c.job.status = @status ORDER BY c.ord`;
    return this.db.query<JobRecord>({ query, parameters: [{ name: '@kind', value: kind }, { name: '@status', value: status }] });
  }

  deleteJob(id: string): Promise<boolean> {
    return this.db.delete(JOB_DOC_ID, pkOf(id));
  }

  /** Writes the next version of `doc` if it is still the stored one (same etag); undefined if it changed or is gone. */
  private async apply(doc: JobDoc & SystemFields, update: JobUpdate, worker?: string): Promise<JobRecord | undefined> {
    // Without an etag the replace below would be unconditional.
    if (!doc._etag) throw new Error(`Job document ${doc.pk} was read without its _etag.`);
    const now = new Date().toISOString();
    const job: JobRecord = { ...doc.job, updatedAt: now, version: doc.job.version + 1 };
    if (update.status) job.status = update.status;
    if (update.data) job.data = update.data;
    if (update.heartbeat) job.heartbeatAt = now;
    if (update.status && update.status !== 'running') delete job.heartbeatAt;
    if (worker !== undefined) job.worker = worker;
    try {
      const next: JobDoc = { id: JOB_DOC_ID, pk: doc.pk, doc: 'job', ord: doc.ord, job, idx: emptyIndex() };
      return (await this.db.replace(next, doc.pk, doc._etag)).job;
    } catch (e) {
      if (statusOf(e) === 412 || statusOf(e) === 404) return undefined;
      throw e;
    }
  }
}
