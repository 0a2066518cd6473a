// `npm start`: runs Hestia with configuration from the environment (embedded database by default).
import { startServer } from './server.js';
import { appLogger } from './observability/index.js';

const started = Date.now();
const running = await startServer().catch((e: Error) => {
  appLogger.error(`Hestia could not start: ${e.message}`);
  process.exit(1);
});
const { config } = running;
appLogger.info(`Hestia FHIR ${config.fhirVersion.toUpperCase()} server listening on ${running.url} (${config.storage.kind} storage${config.storage.kind === 'embedded' ? ` in ${config.storage.dataDir}` : ''}), started in ${Date.now() - started} ms`, {
  url: running.url, fhirVersion: config.fhirVersion, storage: config.storage.kind, startupMs: Date.now() - started,
});
const stop = async () => {
  await running.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
