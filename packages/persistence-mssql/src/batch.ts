// T-SQL batches as a small statement tree: plain statements and IF blocks, rendered to text in one
// place (so BEGIN/END always balance and no semicolon ever precedes ELSE). The tree is also what the
// tests walk to check each statement on its own. Placeholders are knex's `?`, bound in text order.

/** A statement (without its terminating semicolon) or an IF block. */
export type Stmt = string | IfBlock;
export interface IfBlock { if: string; then: Stmt[]; else?: Stmt[] }

export interface Batch { stmts: Stmt[]; bindings: unknown[] }

const pad = (depth: number) => '  '.repeat(depth);

function renderBlock(stmts: Stmt[], depth: number): string {
  return stmts.map((s) => renderStmt(s, depth)).join('\n');
}

function renderStmt(s: Stmt, depth: number): string {
  if (typeof s === 'string') return `${pad(depth)}${s.replace(/\n/g, `\n${pad(depth)}`)};`;
  const then = `${pad(depth)}if ${s.if}\n${pad(depth)}begin\n${renderBlock(s.then, depth + 1)}\n${pad(depth)}end`;
  if (!s.else) return `${then};`;
  return `${then}\n${pad(depth)}else\n${pad(depth)}begin\n${renderBlock(s.else, depth + 1)}\n${pad(depth)}end;`;
}

export function render(stmts: Stmt[]): string {
  return renderBlock(stmts, 0);
}

/** Collects statements and their bindings; `bind` must be called in the order the placeholders appear. */
export class BatchBuilder {
  readonly stmts: Stmt[] = [];
  readonly bindings: unknown[] = [];

  bind(v: unknown): string {
    this.bindings.push(v);
    return '?';
  }

  add(...stmts: Stmt[]): this {
    this.stmts.push(...stmts);
    return this;
  }

  build(): Batch {
    return { stmts: this.stmts, bindings: this.bindings };
  }
}

/** Counts the placeholders of a statement tree (a check that bindings and text agree). */
export function countPlaceholders(stmts: Stmt[]): number {
  return stmts.reduce((n, s) => n + (typeof s === 'string'
    ? (s.match(/\?/g) ?? []).length
    : (s.if.match(/\?/g) ?? []).length + countPlaceholders(s.then) + countPlaceholders(s.else ?? [])), 0);
}
