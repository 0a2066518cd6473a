// Errors as values: every failure carries its HTTP status and the OperationOutcome that explains it.
import type { OperationOutcome, OperationOutcomeIssue } from './types.js';

export type IssueCode = OperationOutcomeIssue['code'];

export class FhirError extends Error {
  readonly status: number;
  readonly outcome: OperationOutcome;
  constructor(status: number, code: IssueCode, diagnostics: string, extra: Partial<OperationOutcomeIssue> = {}) {
    super(diagnostics);
    this.status = status;
    this.outcome = outcome('error', code, diagnostics, extra);
  }
}

export function outcome(severity: OperationOutcomeIssue['severity'], code: IssueCode, diagnostics: string,
  extra: Partial<OperationOutcomeIssue> = {}): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: [{ severity, code, diagnostics, ...extra }] };
}

export const badRequest = (msg: string, code: IssueCode = 'invalid') => new FhirError(400, code, msg);
export const notFound = (msg: string) => new FhirError(404, 'not-found', msg);
export const gone = (msg: string) => new FhirError(410, 'deleted', msg);
export const conflict = (msg: string) => new FhirError(409, 'conflict', msg);
export const preconditionFailed = (msg: string) => new FhirError(412, 'conflict', msg);
export const unprocessable = (msg: string) => new FhirError(422, 'processing', msg);
export const notSupported = (msg: string) => new FhirError(400, 'not-supported', msg);
export const methodNotAllowed = (msg: string) => new FhirError(405, 'not-supported', msg);
export const tooCostly = (msg: string) => new FhirError(400, 'too-costly', msg);
export const forbidden = (msg: string) => new FhirError(403, 'forbidden', msg);

/** Turns anything thrown into a FhirError; unknown errors become a 500 without internals. */
export function toFhirError(err: unknown): FhirError {
  if (err instanceof FhirError) return err;
  return new FhirError(500, 'exception', 'An internal error occurred.');
}
