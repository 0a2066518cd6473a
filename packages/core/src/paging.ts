// Opaque continuation tokens: a signed, size-capped keyset position. Never a database cursor.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { badRequest } from './errors.js';

const MAX_TOKEN_BYTES = 512;

export interface Cursor {
  /** Hash of the query the cursor belongs to, so a token cannot be replayed on another search. */
  q: string;
  /** The adapter's keyset values of the last row returned. */
  k: unknown[];
  /** Offset of the next page within the results (for `previous`/`first` links and paging stats). */
  o: number;
  /** Direction: 'b' pages backwards from `k` (previous links); forwards when absent. */
  d?: 'b';
}

export class CursorCodec {
  private readonly key: Buffer;
  constructor(secret?: string) {
    this.key = secret ? Buffer.from(secret) : randomBytes(32);
  }

  static queryHash(parts: unknown): string {
    return createHmac('sha256', 'hestia-query').update(JSON.stringify(parts)).digest('base64url').slice(0, 16);
  }

  encode(cursor: Cursor): string {
    const body = Buffer.from(JSON.stringify(cursor)).toString('base64url');
    const sig = createHmac('sha256', this.key).update(body).digest('base64url').slice(0, 22);
    const token = `${body}.${sig}`;
    if (token.length > MAX_TOKEN_BYTES) throw badRequest('The search position is too large to page through; narrow the sort.', 'too-costly');
    return token;
  }

  decode(token: string, expectedQuery: string): Cursor {
    const invalid = () => badRequest('Invalid or expired continuation token.');
    if (token.length > MAX_TOKEN_BYTES) throw invalid();
    const [body, sig] = token.split('.');
    if (!body || !sig) throw invalid();
    const expected = createHmac('sha256', this.key).update(body).digest('base64url').slice(0, 22);
    const a = Buffer.from(sig), b = Buffer.from(expected);
    if (a.length !== b.length || !timingSafeEqual(a, b)) throw invalid();
    let c: Cursor;
    try {
      c = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Cursor;
    } catch {
      throw invalid();
    }
    if (c.q !== expectedQuery || !Array.isArray(c.k)) throw invalid();
    return c;
  }
}
