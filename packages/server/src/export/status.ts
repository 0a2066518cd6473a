// The routes after a kick-off: job status (202 while running, the manifest when done), cancel
// (DELETE), and file downloads. Each is authorized as an `export` operation of its own (so the
// audit trail names it) and bound to the caller who started the job: anyone else gets 404.
import { pipeline } from 'node:stream/promises';
import type { Express, Request } from 'express';
import { FhirError, notFound, type Authorizer, type JobStore } from '@hestia/core';
import { sendError } from '../app.js';
import type { ExportDestination } from './destination.js';
import { STATUS_PATH } from './kickoff.js';
import type { ExportJobData } from './runner.js';
import { appLogger } from '../observability/logger.js';

export interface StatusRouteDeps {
  jobs: JobStore;
  destination: ExportDestination;
  authorizerFor: (req: Request) => Authorizer;
  callerOf: (req: Request) => string;
  /** The FHIR base URL of a request (file URLs follow the server the client polls, e.g. after a restart). */
  baseUrlOf: (req: Request) => string;
  /** Seconds a client should wait before polling again. */
  retryAfterSeconds: number;
}

export function exportStatusRoutes(deps: StatusRouteDeps): (app: Express) => void {
  /** The caller's job, after authorizing `operation`; 404 for a job that is not theirs. */
  const ownJob = async (req: Request, operation: string) => {
    deps.authorizerFor(req)({ interaction: 'operation', operation });
    const id = String(req.params.id);
    const job = await deps.jobs.getJob(id);
    if (!job || job.kind !== 'export' || job.owner !== deps.callerOf(req) || job.status === 'cancelled') throw notFound(`There is no export job ${id}.`);
    return job;
  };

  return (app) => {
    app.get(`/${STATUS_PATH}/:id`, async (req, res) => {
      try {
        const job = await ownJob(req, 'export-status');
        const data = job.data as unknown as ExportJobData;
        if (job.status === 'queued' || job.status === 'running') {
          const where = job.status === 'queued' ? 'queued' : `${data.exported} resources exported${data.currentType ? `, reading ${data.currentType}` : ''}`;
          res.status(202).set({ 'X-Progress': where, 'Retry-After': String(deps.retryAfterSeconds) }).end();
          return;
        }
        if (job.status === 'failed') throw new FhirError(500, 'exception', `The export failed: ${data.error ?? 'unknown error'}.`);
        res.status(200).type('application/json').send(JSON.stringify({
          transactionTime: data.request.until,
          request: data.requestUrl,
          requiresAccessToken: data.requiresAccessToken,
          output: data.output.map((o) => ({ type: o.type, url: `${deps.baseUrlOf(req)}/${STATUS_PATH}/${job.id}/${o.file}`, count: o.count })),
          error: [],
        }));
      } catch (e) {
        sendError(res, e);
      }
    });

    app.delete(`/${STATUS_PATH}/:id`, async (req, res) => {
      try {
        const job = await ownJob(req, 'export-cancel');
        // Deleting the record cancels: the worker stops at its next checkpoint and removes what it
        // wrote meanwhile, so files it is still writing now may outlive this first removal.
        await deps.jobs.deleteJob(job.id);
        await deps.destination.removeJob(job.id).catch((e: Error) => appLogger.warn('Export files not all removed at cancel; the worker removes the rest.', { job: job.id, error: e.message }));
        res.status(202).end();
      } catch (e) {
        sendError(res, e);
      }
    });

    app.get(`/${STATUS_PATH}/:id/:file`, async (req, res) => {
      try {
        const job = await ownJob(req, 'export-download');
        const file = String(req.params.file);
        const listed = (job.data as unknown as ExportJobData).output.some((o) => o.file === file);
        const stream = job.status === 'completed' && listed ? await deps.destination.read(job.id, file) : undefined;
        if (!stream) throw notFound(`Export job ${job.id} has no file ${file}.`);
        res.status(200).type('application/fhir+ndjson');
        await pipeline(stream, res);
      } catch (e) {
        sendError(res, e);
      }
    });
  };
}
