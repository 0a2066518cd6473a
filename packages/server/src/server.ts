// Starting and stopping a Hestia server: storage, engine, HTTP.
import type { Server } from 'node:http';
import { FhirEngine, type PersistenceAdapter } from '@hestia/core';
import { createApp } from './app.js';
import { loadConfig, type DeepPartial, type HestiaConfig } from './config.js';
import { openStorage } from './storage.js';
import { createSecurity } from './security/index.js';
import { createObservability } from './observability/index.js';

export interface RunningServer {
  config: HestiaConfig;
  engine: FhirEngine;
  adapter: PersistenceAdapter;
  server: Server;
  url: string;
  close(): Promise<void>;
}

export async function startServer(overrides?: DeepPartial<HestiaConfig>, env: NodeJS.ProcessEnv = process.env): Promise<RunningServer> {
  const config = loadConfig(env, overrides);
  const adapter = await openStorage(config);
  const engine = new FhirEngine({
    adapter,
    fhirVersion: config.fhirVersion,
    allowCreateOnUpdate: config.allowCreateOnUpdate,
    conditionalDeleteMax: config.limits.conditionalDeleteMax,
    defaultCount: config.limits.defaultCount,
    maxCount: config.limits.maxCount,
    maxIncludes: config.limits.maxIncludes,
    pagingSecret: config.pagingSecret || undefined,
  });
  await engine.init();
  const observability = await createObservability(config, adapter);
  const security = await createSecurity(config);
  const app = createApp({
    engine,
    config,
    before: [...observability.middleware, ...security.middleware],
    routes: observability.routes,
    authorizerFor: security.authorizerFor,
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.port, config.host, () => resolve(s));
    s.once('error', reject);
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  return {
    config, engine, adapter, server, url,
    async close() {
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections?.();
      await security.close?.();
      await observability.close?.();
      await adapter.close();
    },
  };
}
