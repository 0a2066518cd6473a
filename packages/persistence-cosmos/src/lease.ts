// lock(key) as a lease document: whoever creates "lease" in the key's own logical partition holds
// it (Cosmos refuses a second create with 409) until it deletes it with its etag. A lease carries a
// TTL, so Cosmos removes it if its holder dies; `exp` lets a waiter take over an expired lease
// itself, where TTL has not run yet (or is not enforced, as on the emulator).
import { createHash, randomUUID } from 'node:crypto';
import { FhirError } from '@hestia/core';
import { statusOf, type CosmosDb } from './db.js';

export interface LeaseOptions {
  /** How long a lease lives unless released, in seconds. */
  ttlSeconds: number;
  /** How long to wait for a held lease before answering 409, in milliseconds. */
  waitMs: number;
}

interface LeaseDoc { id: 'lease'; pk: string; doc: 'lease'; key: string; owner: string; exp: number; ttl: number }

export interface Lease { pk: string; etag?: string }

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Leases {
  constructor(private readonly db: CosmosDb, private readonly opts: LeaseOptions) {}

  async acquire(key: string): Promise<Lease> {
    const pk = `lease:${createHash('sha256').update(key).digest('hex')}`;
    const deadline = Date.now() + this.opts.waitMs;
    for (let attempt = 0; ; attempt++) {
      const doc: LeaseDoc = { id: 'lease', pk, doc: 'lease', key: key.slice(0, 1024), owner: randomUUID(), exp: Date.now() + this.opts.ttlSeconds * 1000, ttl: this.opts.ttlSeconds };
      try {
        const created = await this.db.create(doc);
        return { pk, etag: created._etag };
      } catch (e) {
        if (statusOf(e) !== 409) throw e;
      }
      const held = await this.db.read<LeaseDoc>('lease', pk);
      if (!held) continue;
      if (held.exp < Date.now()) {
        await this.db.delete('lease', pk, held._etag).catch((e) => {
          if (statusOf(e) !== 412) throw e;
        });
        continue;
      }
      if (Date.now() > deadline) throw new FhirError(409, 'transient', 'Another request holds the lock on the same conditional criteria; retry.');
      await sleep(Math.min(200, 10 * 2 ** Math.min(attempt, 5)) + Math.random() * 10);
    }
  }

  async release(lease: Lease): Promise<void> {
    await this.db.delete('lease', lease.pk, lease.etag).catch((e) => {
      if (statusOf(e) !== 412) throw e;
    });
  }
}
