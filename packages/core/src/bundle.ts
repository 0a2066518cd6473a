// Bundle construction helpers shared by search, history and batch/transaction.
import type { Bundle, BundleEntry, Resource } from './types.js';
import { randomUUID } from 'node:crypto';
import { nextTimestamp } from './versioning.js';

export function makeBundle(type: string, entry: BundleEntry[], extra: Partial<Bundle> = {}): Bundle {
  return { resourceType: 'Bundle', id: randomUUID(), meta: { lastUpdated: nextTimestamp() }, type, ...extra, entry };
}

export function fullUrl(base: string, r: { resourceType: string; id?: string }): string {
  return `${base}/${r.resourceType}/${r.id}`;
}

export function isBundle(r: unknown): r is Bundle {
  return !!r && typeof r === 'object' && (r as Resource).resourceType === 'Bundle';
}
