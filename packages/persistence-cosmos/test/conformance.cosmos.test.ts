// The conformance kit on the Cosmos DB emulator (@zeit/cosmosdb-server, in-process, plain HTTP).
import { after } from 'node:test';
import { runConformance } from '@hestia/conformance';
import { startEmulator } from './emulator.js';

const emulator = await startEmulator();
after(() => emulator.stop());

runConformance({
  name: 'cosmos (emulator)',
  open: () => emulator.open(),
});
