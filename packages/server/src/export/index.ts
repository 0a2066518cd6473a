// Bulk $export: the kick-off operation, the job runner, and the status, cancel and download routes.
import type { Express, Request } from 'express';
import type { Authorizer, FhirEngine, PersistenceAdapter } from '@hestia/core';
import { requestBaseUrl } from '../app.js';
import type { HestiaConfig } from '../config.js';
import { appLogger } from '../observability/logger.js';
import type { ExportDestination } from './destination.js';
import { FolderDestination } from './folder.js';
import { exportKickoff } from './kickoff.js';
import { ExportRunner } from './runner.js';
import { exportStatusRoutes } from './status.js';

export { ExportRunner, exportFileName, type ExportJobData } from './runner.js';
export type { ExportDestination, ExportFileWriter } from './destination.js';
export { FolderDestination } from './folder.js';
export { STATUS_PATH } from './kickoff.js';

export interface ExportService {
  runner: ExportRunner;
  destination: ExportDestination;
  routes: (app: Express) => void;
  close(): Promise<void>;
}

export async function exportDestination(c: HestiaConfig['export']): Promise<ExportDestination> {
  if (c.destination === 'blob') {
    // Loaded only when used: the Azure SDK is large.
    const { BlobDestination } = await import('./blob.js');
    const b = c.blob;
    return new BlobDestination({ container: b.container, ...(b.connectionString ? { connectionString: b.connectionString } : { accountUrl: b.accountUrl, ...(b.accountKey ? { accountKey: b.accountKey } : { sasToken: b.sasToken }) }) });
  }
  return new FolderDestination(c.folder);
}

/** Sets up $export on `engine` (undefined when export is disabled). */
export async function createExport(config: HestiaConfig, engine: FhirEngine, adapter: PersistenceAdapter, deps: {
  authorizerFor: (req: Request) => Authorizer;
  callerOf: (req: Request) => string;
}): Promise<ExportService | undefined> {
  const c = config.export;
  if (!c.enabled) return undefined;
  const destination = await exportDestination(c);
  await destination.init();
  const runner = new ExportRunner(engine, adapter.jobs, destination, c);
  engine.registerOperation('export', exportKickoff(adapter.jobs, { requiresAccessToken: config.security.enabled, started: () => runner.wake() }));
  runner.start();
  appLogger.info(`Bulk $export writes to ${destination.kind === 'folder' ? `the folder ${c.folder}` : `the blob container ${c.blob.container}`}.`);
  return {
    runner,
    destination,
    routes: exportStatusRoutes({ jobs: adapter.jobs, destination, authorizerFor: deps.authorizerFor, callerOf: deps.callerOf, baseUrlOf: (req) => requestBaseUrl(config, req), retryAfterSeconds: Math.max(1, Math.ceil(c.pollSeconds)) }),
    close: () => runner.close(),
  };
}
