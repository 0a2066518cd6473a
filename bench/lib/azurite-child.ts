// Child process for the export scenario: Azurite's blob service (startAzurite() of the server's test
// support: in memory, free port), printed as one JSON line { connectionString }. Azurite runs in its
// own process so that neither its memory (the exported blobs live in its heap) nor its CPU count as
// the server's: a real Blob Storage account is elsewhere too. Stops when its stdin closes (the
// parent ended, cleanly or not) or on SIGTERM.
import { startAzurite } from '../../packages/server/test/support/azurite.js';

const azurite = await startAzurite();
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await azurite.stop().catch(() => undefined);
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.stdin.on('end', () => void stop());
process.stdin.on('close', () => void stop());
process.stdin.resume();
console.log(JSON.stringify({ connectionString: azurite.connectionString }));
