// Starts @zeit/cosmosdb-server in-process on a free 127.0.0.1 port, over plain HTTP (its bundled
// TLS certificate expired in 2021), and opens adapters on fresh databases in it.
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { createHttpServer } from '@zeit/cosmosdb-server';
import { createCosmosAdapter, type CosmosOptions, type CosmosStore } from '../src/index.js';

export interface Emulator {
  endpoint: string;
  /** An initialised adapter on a new database of the emulator. */
  open(extra?: Partial<CosmosOptions>): Promise<CosmosStore>;
  stop(): Promise<void>;
}

export async function startEmulator(): Promise<Emulator> {
  const server = createHttpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    async open(extra = {}) {
      const adapter = createCosmosAdapter({
        endpoint, key: 'emulator', database: `hestia-${randomUUID().slice(0, 8)}`,
        client: { connectionPolicy: { enableEndpointDiscovery: false } },
        ...extra,
      });
      await adapter.init();
      return adapter;
    },
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
