// The job store on a SQL database, through knex's query builder (the same statements on
// PostgreSQL, PGlite and SQL Server). Every change is a compare-and-set on `version`; a claim picks
// the oldest candidate and sets it only if no one else changed it first, retrying otherwise.
import type { Knex } from 'knex';
import { conflict, type JobRecord, type JobStatus, type JobStore, type JobUpdate } from '@hestia/core';

/** The job table's DDL columns are per dialect; times are ISO strings, which sort as instants. */
export const JOB_TABLE = 'hestia_job';

type Row = Record<string, unknown>;

function toJob(row: Row): JobRecord {
  return {
    id: String(row.id),
    kind: String(row.kind),
    status: row.status as JobStatus,
    owner: String(row.owner),
    createdAt: String(row.created_at),
    updatedAt: String(row.updated_at),
    ...(row.heartbeat_at ? { heartbeatAt: String(row.heartbeat_at) } : {}),
    ...(row.worker ? { worker: String(row.worker) } : {}),
    data: JSON.parse(String(row.data)) as Record<string, unknown>,
    version: Number(row.version),
  };
}

/** The row of a new queued job. */
export function newJobRow(job: { id: string; kind: string; owner: string; data: Record<string, unknown> }, now: string): Row {
  return { id: job.id, kind: job.kind, status: 'queued', owner: job.owner, created_at: now, updated_at: now, heartbeat_at: null, worker: null, data: JSON.stringify(job.data), version: 1 };
}

/** The columns an update sets: the next version, and what `update` (and a claim's `worker`) changes. */
export function jobUpdateSet(expectedVersion: number, update: JobUpdate, now: string, worker?: string): Row {
  const set: Row = { updated_at: now, version: expectedVersion + 1 };
  if (update.status) set.status = update.status;
  if (update.data) set.data = JSON.stringify(update.data);
  if (update.heartbeat) set.heartbeat_at = now;
  if (update.status && update.status !== 'running') set.heartbeat_at = null;
  if (worker !== undefined) set.worker = worker;
  return set;
}

/**
 * The store's statements as query builders, not yet run: SqlJobStore awaits them, and tests render
 * them per dialect (toSQL) without a database.
 */
export class JobStatements {
  constructor(private readonly knex: Knex) {}

  private table() {
    return this.knex(JOB_TABLE);
  }

  insert(row: Row) {
    return this.table().insert(row);
  }

  select(id: string) {
    return this.table().where({ id }).first();
  }

  /** Compare-and-set: changes the row only at `expectedVersion`, returning its id (the embedded driver does not report affected row counts). */
  update(id: string, expectedVersion: number, set: Row) {
    return this.table().where({ id, version: expectedVersion }).update(set, ['id']);
  }

  /** The oldest job of `kind` that a claim may take. */
  claimCandidate(kind: string, staleBefore: string) {
    return this.table()
      .where({ kind })
      .andWhere((w) => w.where({ status: 'queued' }).orWhere((s) => s.where({ status: 'running' }).andWhere('heartbeat_at', '<', staleBefore)))
      .orderBy([{ column: 'created_at' }, { column: 'id' }])
      .first();
  }

  list(kind: string, status: JobStatus) {
    return this.table().where({ kind, status }).orderBy([{ column: 'created_at' }, { column: 'id' }]);
  }

  delete(id: string) {
    return this.table().where({ id }).del(['id']);
  }
}

export class SqlJobStore implements JobStore {
  private readonly q: JobStatements;

  constructor(knex: Knex) {
    this.q = new JobStatements(knex);
  }

  async createJob(job: { id: string; kind: string; owner: string; data: Record<string, unknown> }): Promise<JobRecord> {
    const row = newJobRow(job, new Date().toISOString());
    try {
      await this.q.insert(row);
    } catch (e) {
      // A duplicate key (the driver's error differs per database): the job exists.
      if (await this.getJob(job.id)) throw conflict(`Job ${job.id} already exists.`);
      throw e;
    }
    return toJob(row);
  }

  async getJob(id: string): Promise<JobRecord | undefined> {
    const row = (await this.q.select(id)) as Row | undefined;
    return row && toJob(row);
  }

  async updateJob(id: string, expectedVersion: number, update: JobUpdate, worker?: string): Promise<JobRecord | undefined> {
    const changed = await this.q.update(id, expectedVersion, jobUpdateSet(expectedVersion, update, new Date().toISOString(), worker));
    return changed.length === 1 ? this.getJob(id) : undefined;
  }

  async claimJob(kind: string, worker: string, staleBefore: string): Promise<JobRecord | undefined> {
    for (;;) {
      const row = (await this.q.claimCandidate(kind, staleBefore)) as Row | undefined;
      if (!row) return undefined;
      const claimed = await this.updateJob(String(row.id), Number(row.version), { status: 'running', heartbeat: true }, worker);
      if (claimed) return claimed;
      // Someone else changed it first: look again.
    }
  }

  async listJobs(kind: string, status: JobStatus): Promise<JobRecord[]> {
    return ((await this.q.list(kind, status)) as Row[]).map(toJob);
  }

  async deleteJob(id: string): Promise<boolean> {
    return (await this.q.delete(id)).length > 0;
  }
}
