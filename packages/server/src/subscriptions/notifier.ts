// Rest-hook Subscriptions: after each committed write, every active Subscription whose criteria the
// written resource matches gets a POST to its endpoint: the resource as FHIR JSON when its payload
// asks for it, else an empty body, with its channel headers. A Subscription that asks for `requested`
// is set to `active` once it is read and found deliverable; one that cannot be delivered (another
// channel, unusable criteria, an endpoint outside the allowed ones, or an endpoint that keeps failing
// after the retries) is set to `error`, with the reason in Subscription.error; one past its `end` is
// set to `off` at its next match.
// Notifications are held in this process's memory: one that has not been delivered when the
// process stops is lost (at most once). Each Subscription's notifications go out one at a time, in
// the order of the writes.
import { currentResources, FhirError, matchHook, restHookOf, type FhirEngine, type ResourceChange, type RestHook, type StoredVersion } from '@hestia/core';
import type { HestiaConfig } from '../config.js';
import { appLogger } from '../observability/logger.js';

/** Whether `endpoint` is under `prefix`: the same origin (so `https://a.example.org` does not let in `https://a.example.org.evil.test`), and a path below the prefix's. */
export function endpointAllowed(prefix: string, endpoint: string): boolean {
  const p = new URL(prefix);
  const e = new URL(endpoint);
  return e.origin === p.origin && e.pathname.startsWith(p.pathname);
}

export class SubscriptionNotifier {
  private readonly hooks = new Map<string, RestHook>();
  /** The last notification queued per Subscription (its queue's tail). */
  private readonly queues = new Map<string, Promise<void>>();
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(private readonly engine: FhirEngine, private readonly config: HestiaConfig['subscriptions']) {
    this.unsubscribe = engine.onChange((c) => this.changed(c));
  }

  /** Reads every stored Subscription (at start, and to pick up those other servers changed). */
  async sync(): Promise<void> {
    const stored = new Set<string>();
    for await (const version of currentResources(this.engine.adapter, 'Subscription')) {
      stored.add(version.id);
      if (this.hooks.get(version.id)?.versionId !== version.versionId) await this.apply(version);
    }
    for (const id of this.hooks.keys()) if (!stored.has(id)) this.hooks.delete(id);
  }

  /** Stops taking notifications and waits for those under way. */
  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe();
    await Promise.all(this.queues.values());
  }

  private changed(c: ResourceChange): void {
    if (this.closed) return;
    if (c.resourceType === 'Subscription') {
      void this.reload(c.id);
      return;
    }
    if (c.op === 'delete') return;
    for (const hook of this.hooks.values()) if (hook.type === c.resourceType) this.enqueue(hook.id, () => this.notify(hook.id, c));
  }

  private async reload(id: string): Promise<void> {
    try {
      const v = await this.engine.adapter.read('Subscription', id);
      if (!v) this.hooks.delete(id);
      else await this.apply(v);
    } catch (e) {
      appLogger.error(`Subscription/${id} could not be read: ${(e as Error).message}`);
    }
  }

  /** Takes up a Subscription's current version: deliverable (and then active), or set to error. */
  private async apply(v: StoredVersion): Promise<void> {
    let hook: RestHook | undefined;
    try {
      hook = restHookOf(this.engine, v);
      if (hook && this.config.endpoints.length && !this.config.endpoints.some((prefix) => endpointAllowed(prefix, hook!.endpoint))) {
        throw new FhirError(400, 'forbidden', `The endpoint ${hook.endpoint} is not one this server may notify (subscriptions.endpoints).`);
      }
    } catch (e) {
      this.hooks.delete(v.id);
      if (e instanceof FhirError) await this.setStatus(v, 'error', e.outcome.issue[0].diagnostics);
      else appLogger.error(`Subscription/${v.id} could not be read: ${(e as Error).message}`);
      return;
    }
    if (!hook) {
      this.hooks.delete(v.id);
      return;
    }
    this.hooks.set(v.id, hook);
    if (hook.status === 'requested') await this.setStatus(v, 'active');
  }

  private enqueue(id: string, task: () => Promise<void>): void {
    const next = (this.queues.get(id) ?? Promise.resolve()).then(task).catch((e: Error) => {
      appLogger.error(`Subscription/${id}: ${e.message}`);
    });
    this.queues.set(id, next);
    void next.then(() => {
      if (this.queues.get(id) === next) this.queues.delete(id);
    });
  }

  private async notify(id: string, c: ResourceChange): Promise<void> {
    const hook = this.hooks.get(id);
    if (!hook) return;
    if (hook.end !== undefined && Date.now() > hook.end) {
      // (past its end: the server turns it off)
      this.hooks.delete(id);
      const current = await this.engine.adapter.read('Subscription', id);
      if (current && !current.deleted) await this.setStatus(current, 'off');
      return;
    }
    const match = await matchHook(this.engine, hook, c.resourceType, c.id);
    // (a later version may have been written meanwhile: only the one this change wrote is sent)
    if (!match || match.versionId !== c.versionId) return;
    const body = hook.withResource ? JSON.stringify(match.resource) : undefined;
    const headers: Record<string, string> = { ...(body ? { 'content-type': 'application/fhir+json' } : {}), ...Object.fromEntries(hook.headers) };
    let failure = '';
    for (let attempt = 0; attempt <= this.config.retries; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 1000 * attempt));
      if (this.hooks.get(id) !== hook) return;
      try {
        const res = await fetch(hook.endpoint, { method: 'POST', headers, body, signal: AbortSignal.timeout(this.config.timeoutSeconds * 1000) });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) return;
        failure = `the endpoint answered ${res.status}`;
      } catch (e) {
        failure = (e as Error).name === 'TimeoutError' ? `no answer within ${this.config.timeoutSeconds} s` : `the endpoint could not be reached (${(e as Error).message})`;
      }
    }
    appLogger.warn(`Subscription/${id}: notifying ${hook.endpoint} of ${c.resourceType}/${c.id} failed: ${failure}.`);
    this.hooks.delete(id);
    const current = await this.engine.adapter.read('Subscription', id);
    if (current && !current.deleted) await this.setStatus(current, 'error', `Notifying ${hook.endpoint} failed ${this.config.retries + 1} times: ${failure}.`);
  }

  /** Sets a Subscription's status (and error), if it has not changed since `v`. */
  private async setStatus(v: StoredVersion, status: 'active' | 'error' | 'off', error?: string): Promise<void> {
    const r = v.resource as Record<string, unknown>;
    if (r.status === status && r.error === error) return;
    const { error: _old, ...rest } = r;
    const body = { ...rest, status, ...(error !== undefined ? { error } : {}) };
    const res = await this.engine.handle({ method: 'PUT', path: `Subscription/${v.id}`, query: [], headers: { 'if-match': `W/"${v.versionId}"` }, body, baseUrl: '' });
    // (412: it was changed meanwhile, and that change is read in its turn)
    if (res.status >= 300 && res.status !== 412) appLogger.error(`Subscription/${v.id} could not be set to ${status}: ${res.status}.`);
  }
}
