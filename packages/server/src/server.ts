// Starting and stopping a Hestia server: storage, engine, HTTP.
import type { Server } from 'node:http';
import { FhirEngine, type EngineOptions, type PersistenceAdapter } from '@hestia/core';
import { createApp } from './app.js';
import { loadConfig, type DeepPartial, type HestiaConfig } from './config.js';
import { openStorage } from './storage.js';
import { callerKey, createSecurity, principalOf } from './security/index.js';
import { createExport, type ExportService } from './export/index.js';
import { SubscriptionNotifier } from './subscriptions/notifier.js';
import { ReindexRunner, reindexStatusRoutes } from './reindex.js';
import { appLogger, logInternalError } from './observability/logger.js';
import { createObservability, METRICS_PATH, type ObservabilityLayer } from './observability/index.js';

/** How often an idle server looks for reindex jobs to run. */
const REINDEX_POLL_MS = 2000;

export interface RunningServer {
  config: HestiaConfig;
  engine: FhirEngine;
  adapter: PersistenceAdapter;
  observability: ObservabilityLayer;
  /** Bulk $export (undefined when disabled). */
  bulkExport?: ExportService;
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** The engine settings a configuration asks for (shared by the server and the in-process bulk loader). */
export function engineOptions(config: HestiaConfig): Omit<EngineOptions, 'adapter'> {
  return {
    fhirVersion: config.fhirVersion,
    allowCreateOnUpdate: config.allowCreateOnUpdate,
    versioning: config.versioning,
    conditionalDeleteMax: config.limits.conditionalDeleteMax,
    defaultCount: config.limits.defaultCount,
    maxCount: config.limits.maxCount,
    maxIncludes: config.limits.maxIncludes,
    maxBundleEntries: config.limits.maxBundleEntries,
    pagingSecret: config.pagingSecret || undefined,
    security: config.security.enabled
      ? { cors: config.cors.origins.length > 0, services: ['SMART-on-FHIR'], description: `OAuth2 bearer tokens from ${config.security.authority}; SMART configuration at /.well-known/smart-configuration.` }
      : undefined,
    onInternalError: logInternalError,
  };
}

export async function startServer(overrides?: DeepPartial<HestiaConfig>, env: NodeJS.ProcessEnv = process.env): Promise<RunningServer> {
  const config = loadConfig(env, overrides);
  // Security first: a bad roles file stops startup before the database is opened.
  const security = await createSecurity(config);
  const adapter = await openStorage(config);
  try {
    const engine = new FhirEngine({ adapter, ...engineOptions(config) });
    await engine.init();
    const observability = await createObservability(config, adapter, engine);
    const authorizerFor = observability.observeRoutes(security.authorizerFor);
    const bulkExport = await createExport(config, engine, adapter, { authorizerFor, callerOf: (req) => callerKey(principalOf(req)) });
    const notifier = config.subscriptions.enabled ? new SubscriptionNotifier(engine, config.subscriptions) : undefined;
    await notifier?.sync();
    const reindexRunner = new ReindexRunner(engine, REINDEX_POLL_MS);
    const reindexRoutes = reindexStatusRoutes(engine, engine.defs, { authorizerFor, callerOf: (req) => callerKey(principalOf(req)) });
    const app = createApp({
      engine,
      config,
      before: [...observability.middleware, ...security.middleware],
      routes: (a) => {
        security.routes(a);
        if (observability.protectedMetrics) a.get(METRICS_PATH, security.requireRole(config.observability.metrics.role), observability.protectedMetrics);
        bulkExport?.routes(a);
        reindexRoutes(a);
      },
      authorizerFor,
      limitFor: security.limitFor,
    });
    const server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(config.port, config.host, () => resolve(s));
      s.once('error', reject);
    });
    server.keepAliveTimeout = config.keepAliveSeconds * 1000;
    // (headers of a new request on a kept-alive connection must not time out before the connection does)
    server.headersTimeout = server.keepAliveTimeout + 1000;
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.port;
    const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
    const stopSync = periodicSync(engine, notifier, config);
    reindexRunner.start();
    security.warmUp?.();
    return {
      config, engine, adapter, observability, bulkExport, server, url,
      async close() {
        stopSync();
        await new Promise<void>((r) => server.close(() => r()));
        server.closeAllConnections?.();
        await notifier?.close();
        await reindexRunner.close();
        await bulkExport?.close();
        await security.close?.();
        await observability.close?.();
        await adapter.close();
      },
    };
  } catch (e) {
    // (a server that fails to start lets go of its database: the embedded one's folder stays locked otherwise)
    await adapter.close().catch(() => undefined);
    await security.close?.();
    throw e;
  }
}

/**
 * Applies, every syncSeconds, the SearchParameters and Subscriptions other servers on the same
 * database created, changed or deleted; returns what stops it. (Not on the embedded database, which
 * one process holds.)
 */
function periodicSync(engine: FhirEngine, notifier: SubscriptionNotifier | undefined, config: HestiaConfig): () => void {
  if (config.storage.kind === 'embedded' || !(config.syncSeconds > 0)) return () => undefined;
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    (async () => {
      if (await engine.syncSearchParameters()) appLogger.info('Search parameters changed on another server are applied here.');
      await notifier?.sync();
    })().catch((e: Error) => appLogger.warn(`Search parameters and Subscriptions could not be brought in line with the database: ${e.message}`)).finally(() => (running = false));
  }, config.syncSeconds * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
