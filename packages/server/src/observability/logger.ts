// The two winston loggers: the application log (JSON lines on standard error, each stamped with the
// correlation id of the request it was written for) and the audit log (one JSON record per line,
// exactly the audit fields, to standard output and/or a file).
import winston from 'winston';
import type { HestiaConfig } from '../config.js';
import { currentCorrelationId } from './correlation.js';
import { AuditFileTransport } from './file-sink.js';
import type { SinkMonitor } from './sinks.js';

type TransportStream = winston.transport;

const MESSAGE = Symbol.for('message');

const withCorrelationId = winston.format((info) => {
  const id = currentCorrelationId();
  if (id !== undefined && info.correlationId === undefined) info.correlationId = id;
  return info;
});

/** The application log. Any server module may import it; `configureAppLogger` sets its level. */
export const appLogger = winston.createLogger({
  level: 'info',
  format: winston.format.combine(withCorrelationId(), winston.format.timestamp(), winston.format.errors({ stack: true }), winston.format.json()),
  transports: [new winston.transports.Console({ stderrLevels: Object.keys(winston.config.npm.levels) })],
});

export function configureAppLogger(config: HestiaConfig): void {
  appLogger.level = config.observability.logLevel;
}

/** An error no handler expected (answered as a 500): logged with its stack. */
export function logInternalError(err: unknown): void {
  appLogger.error('internal error', { error: err instanceof Error ? { message: err.message, stack: err.stack } : String(err) });
}

/** Audit lines are the record itself: no level, message or timestamp of winston's own. */
const auditLine = winston.format((info) => {
  info[MESSAGE] = JSON.stringify(info.record);
  return info;
});

/** The audit logger with the configured sinks; transport failures and successes are reported to `monitor`. */
export function createAuditLogger(config: HestiaConfig, monitor: SinkMonitor): winston.Logger {
  const transports: TransportStream[] = [];
  if (config.audit.console) transports.push(watchTransport(new winston.transports.Console({ level: 'info' }), monitor));
  // The file sink reports its own writes' outcomes.
  if (config.audit.file) transports.push(new AuditFileTransport(config.audit.file, monitor));
  const logger = winston.createLogger({ level: 'info', format: auditLine(), transports, exitOnError: false });
  logger.on('error', (err: unknown, transport?: TransportStream) => monitor.failed(sinkName(transport), err));
  return logger;
}

/** Reports a transport's successful writes to the monitor (its failures arrive through the logger). */
function watchTransport(transport: TransportStream, monitor: SinkMonitor): TransportStream {
  const name = sinkName(transport);
  monitor.register(name);
  transport.on('logged', () => monitor.succeeded(name));
  return transport;
}

function sinkName(transport: TransportStream | undefined): string {
  return (transport as { name?: string } | undefined)?.name ?? 'unknown';
}
