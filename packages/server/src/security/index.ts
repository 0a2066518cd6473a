// Security layer: authentication and authorization for the FHIR endpoint.
// (Placeholder: lets every request through until OIDC/RBAC lands.)
import type { RequestHandler, Request } from 'express';
import type { Authorizer } from '@hestia/core';
import type { HestiaConfig } from '../config.js';

export interface SecurityLayer {
  /** Middleware run before the FHIR handler (CORS, authentication). */
  middleware: RequestHandler[];
  /** The authorizer for a request's interactions (undefined: everything allowed). */
  authorizerFor?: (req: Request) => Authorizer | undefined;
  close?: () => Promise<void>;
}

export async function createSecurity(_config: HestiaConfig): Promise<SecurityLayer> {
  return { middleware: [] };
}
