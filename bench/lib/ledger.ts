// What a CRUD driver has written: one entry per resource, in the order the creates completed.

export interface Written {
  /** Patient number (data.ts) the resource was made from. */
  n: number;
  id: string;
  /** Current version. */
  version: number;
  /** The ETag of the last response for this resource (HTTP only). */
  etag?: string;
}

export class Ledger {
  readonly items: Written[] = [];

  get size(): number {
    return this.items.length;
  }

  add(w: Written): void {
    this.items.push(w);
  }

  at(i: number): Written {
    const w = this.items[i];
    if (!w) throw new Error(`No resource at ledger position ${i} (have ${this.items.length}).`);
    return w;
  }

  /**
   * The versions an update plan will write, in order, for each ledger position it touches: the
   * drivers build every update body before the clock starts.
   */
  *plannedUpdates(plan: number[][]): Generator<{ pos: number; w: Written; version: number }> {
    const next = new Map<number, number>();
    for (const keys of plan) {
      for (const pos of keys) {
        const w = this.at(pos);
        const version = (next.get(pos) ?? w.version) + 1;
        next.set(pos, version);
        yield { pos, w, version };
      }
    }
  }
}

export const updateKey = (pos: number, version: number) => `${pos}:${version}`;
