// Reading a load response: how many resources went in, and what failed, with each failure's
// OperationOutcome diagnostics.
import type { Bundle, OperationOutcome, Resource } from '@hestia/core';
import type { LoadRequest } from './requests.js';
import type { LoadResponse } from './targets.js';

export interface LoadFailure {
  file: string;
  /** The part of the file: "transaction", "entry 12", "line 40" … */
  where: string;
  /** HTTP status (0 when the server could not be reached). */
  status: number;
  diagnostics: string;
}

export function diagnosticsOf(outcome: Resource | undefined): string {
  const issues = (outcome as OperationOutcome | undefined)?.issue;
  if (!Array.isArray(issues) || !issues.length) return 'No OperationOutcome in the response.';
  return issues.map((i) => i.diagnostics ?? i.details?.text ?? i.code).join('; ');
}

const ok = (status: number) => status >= 200 && status < 300;

/** The resources stored by a request, and its failures. */
export function readResponse(file: string, req: LoadRequest, res: LoadResponse): { loaded: number; failures: LoadFailure[] } {
  const batch = req.path === '' && (req.body as Bundle).type === 'batch';
  if (!ok(res.status) || !batch) {
    return ok(res.status) ? { loaded: req.resources, failures: [] } : { loaded: 0, failures: [{ file, where: req.where, status: res.status, diagnostics: diagnosticsOf(res.body) }] };
  }
  const entries = (res.body as Bundle | undefined)?.entry ?? [];
  const failures: LoadFailure[] = [];
  let loaded = 0;
  entries.forEach((e, i) => {
    const status = Number.parseInt(e.response?.status ?? '', 10);
    if (ok(status)) loaded++;
    else failures.push({ file, where: req.origins?.[i] ?? `entry ${i}`, status: Number.isNaN(status) ? 0 : status, diagnostics: diagnosticsOf(e.response?.outcome) });
  });
  if (entries.length !== req.resources) {
    failures.push({ file, where: req.where, status: res.status, diagnostics: `The batch-response has ${entries.length} entries for ${req.resources} sent.` });
  }
  return { loaded, failures };
}
