// Azurite's blob service for tests, started in this process on a free port with in-memory storage.
// In-process rather than a child process: start takes milliseconds, port 0 just works (no stdout to
// parse), and no emulator process can outlive a test run that crashes or is killed. The cost is
// Azurite's internal API (BlobServer + BlobConfiguration, an 18-argument positional constructor),
// pinned by the exact azurite version in package.json.
import { createRequire } from 'node:module';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

// Azurite loads applicationinsights, which tries its own copy of @azure/core-rest-pipeline 1.16; that
// copy's package.json has a "source" export to an unshipped src/index.ts, so under the test runner's
// --conditions=source it fails to load and prints a harmless warning (AAD auth for telemetry only).
// Its logger reads this variable once, at load: set it just for the require below.
const quiet = process.env.APPLICATION_INSIGHTS_DISABLE_WARNING_LOGS;
process.env.APPLICATION_INSIGHTS_DISABLE_WARNING_LOGS = 'true';
const { AzuriteTelemetryClient } = require('azurite/dist/src/common/Telemetry') as { AzuriteTelemetryClient: { enableTelemetry: boolean } };
if (quiet === undefined) delete process.env.APPLICATION_INSIGHTS_DISABLE_WARNING_LOGS;
else process.env.APPLICATION_INSIGHTS_DISABLE_WARNING_LOGS = quiet;
// Telemetry is only initialised by Azurite's CLI entry points, so it is already inert here; this makes
// sure the request middleware never sends anything.
AzuriteTelemetryClient.enableTelemetry = false;

interface BlobServerLike {
  start(): Promise<void>;
  close(): Promise<void>;
  getHttpServerAddress(): string;
}
const BlobServer: new (config: unknown) => BlobServerLike = require('azurite/dist/src/blob/BlobServer').default;
const BlobConfiguration: new (...args: unknown[]) => unknown = require('azurite/dist/src/blob/BlobConfiguration').default;
const { MemoryExtentChunkStore } = require('azurite/dist/src/common/persistence/MemoryExtentStore') as {
  MemoryExtentChunkStore: new (sizeLimit?: number) => unknown;
};

/** Azurite's well-known development account. */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface Azurite {
  connectionString: string;
  /** Path-style: http://127.0.0.1:<port>/devstoreaccount1 */
  accountUrl: string;
  accountKey: string;
  stop(): Promise<void>;
}

export async function startAzurite(): Promise<Azurite> {
  // Memory persistence writes no files, but Azurite still stat()s the Loki db paths at start and
  // would load a stray __azurite_db_*.json from the working directory: point them at a temp dir.
  const dir = await mkdtemp(join(tmpdir(), 'hestia-azurite-'));
  const config = new BlobConfiguration(
    '127.0.0.1',
    0, // port: any free one
    undefined, // keepAliveTimeout: default
    join(dir, 'blob.json'), // metadataDBPath
    join(dir, 'extent.json'), // extentDBPath
    [{ locationId: 'Default', locationPath: join(dir, 'blobs'), maxConcurrency: 1 }], // persistencePathArray (unused in memory)
    false, // enableAccessLog
    undefined, // accessLogWriteStream
    false, // enableDebugLog
    undefined, // debugLogFilePath
    false, // loose
    true, // skipApiVersionCheck: the SDK's API version is newer than this Azurite's
    '', '', '', // cert, key, pwd: plain HTTP
    undefined, // oauth
    false, // disableProductStyleUrl
    true, // isMemoryPersistence
    new MemoryExtentChunkStore(512 * 1024 * 1024), // own chunk store, not the module-wide shared one
  );
  const server = new BlobServer(config);
  try {
    await server.start();
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  const port = new URL(server.getHttpServerAddress()).port;
  const accountUrl = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
  let stopped = false;
  return {
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=${accountUrl};`,
    accountUrl,
    accountKey: AZURITE_KEY,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
