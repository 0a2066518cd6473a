export { createApp, type AppOptions } from './app.js';
export { loadConfig, DEFAULT_CONFIG, type HestiaConfig } from './config.js';
export { startServer, type RunningServer } from './server.js';
export { appLogger, currentCorrelationId, type AuditRecord, type HealthReport, type ObservabilityLayer } from './observability/index.js';
export { openStorage } from './storage.js';
export { principalOf, type Principal } from './security/index.js';
export * from './formats.js';
