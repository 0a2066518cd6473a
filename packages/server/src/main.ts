// `npm start`: runs Hestia with configuration from the environment (embedded database by default).
import { startServer } from './server.js';

const started = Date.now();
const running = await startServer().catch((e: Error) => {
  console.error(`Hestia could not start: ${e.message}`);
  process.exit(1);
});
const { config } = running;
console.log(`Hestia FHIR ${config.fhirVersion.toUpperCase()} server listening on ${running.url} (${config.storage.kind} storage${config.storage.kind === 'embedded' ? ` in ${config.storage.dataDir}` : ''}), started in ${Date.now() - started} ms`);
const stop = async () => {
  await running.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
