// The minimal HTTP server's thread (minimal-server.ts): serves until the main thread says 'close'.
import { parentPort, workerData } from 'node:worker_threads';
import { serveMinimal } from './minimal-server.js';

const server = await serveMinimal(String(workerData.connectionString), Number(workerData.patients));
parentPort!.postMessage(server.url);
parentPort!.once('message', () => {
  void server.close().then(() => parentPort!.close());
});
