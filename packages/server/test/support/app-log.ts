// The application log as tests read it: every line appLogger writes while a capture runs.
import { PassThrough } from 'node:stream';
import winston from 'winston';
import { appLogger } from '../../src/index.js';

/** Captures the application log from now until stop(): its text and its (non-empty) lines. */
export function captureAppLog(): { text: () => string; lines: () => string[]; stop: () => void } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  const transport = new winston.transports.Stream({ stream });
  appLogger.add(transport);
  return { text: () => text, lines: () => text.split('\n').filter((l) => l !== ''), stop: () => appLogger.remove(transport) };
}

/** The application log lines written while `fn` runs, parsed. */
export async function appLogDuring(fn: () => Promise<void>): Promise<Record<string, unknown>[]> {
  const log = captureAppLog();
  try {
    await fn();
  } finally {
    log.stop();
  }
  return log.lines().map((l) => JSON.parse(l) as Record<string, unknown>);
}
