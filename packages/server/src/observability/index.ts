// Observability: audit records, correlation ids, health and metrics.
// (Placeholder until audit logging lands.)
import type { Express, RequestHandler } from 'express';
import type { PersistenceAdapter } from '@hestia/core';
import type { HestiaConfig } from '../config.js';

export interface ObservabilityLayer {
  /** Middleware run first on every request (correlation id, audit). */
  middleware: RequestHandler[];
  /** Routes mounted before the FHIR handler (health, metrics). */
  routes: (app: Express) => void;
  close?: () => Promise<void>;
}

export async function createObservability(_config: HestiaConfig, _adapter: PersistenceAdapter): Promise<ObservabilityLayer> {
  return { middleware: [], routes: () => undefined };
}
