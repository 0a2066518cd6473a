// The job store port: long-running work (bulk $export) kept in the database, so that any server
// process can report on a job, a restart resumes it, and a dead worker's job is taken over.
// Every change is a compare-and-set on `version`, so two processes never both own a job.

export type JobStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface JobRecord {
  id: string;
  /** What runs the job, e.g. 'export'. */
  kind: string;
  status: JobStatus;
  /** Who started the job (the caller's identity key); status and results are theirs only. */
  owner: string;
  /** ISO instants. */
  createdAt: string;
  updatedAt: string;
  /** Last sign of life of the worker running the job; undefined unless running. */
  heartbeatAt?: string;
  /** The process running the job. */
  worker?: string;
  /** The job's own JSON state (request, progress, checkpoints, output, error). */
  data: Record<string, unknown>;
  /** Starts at 1; every update increments it. */
  version: number;
}

export interface JobUpdate {
  status?: JobStatus;
  data?: Record<string, unknown>;
  /** Sets heartbeatAt to now. */
  heartbeat?: boolean;
}

export interface JobStore {
  /** Stores a new queued job; rejects when the id exists. */
  createJob(job: { id: string; kind: string; owner: string; data: Record<string, unknown> }): Promise<JobRecord>;
  getJob(id: string): Promise<JobRecord | undefined>;
  /** Applies `update` if the job is still at `expectedVersion`; the new record, or undefined if it changed or is gone. */
  updateJob(id: string, expectedVersion: number, update: JobUpdate): Promise<JobRecord | undefined>;
  /**
   * Takes the oldest job of `kind` that is queued, or running with a heartbeat before `staleBefore`
   * (its worker died): marks it running by `worker` with a fresh heartbeat. Atomic across processes.
   */
  claimJob(kind: string, worker: string, staleBefore: string): Promise<JobRecord | undefined>;
  /** Jobs of `kind` with `status`, oldest first. */
  listJobs(kind: string, status: JobStatus): Promise<JobRecord[]>;
  deleteJob(id: string): Promise<boolean>;
}
