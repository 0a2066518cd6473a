// Syntax checks of generated T-SQL without a server: every statement goes through node-sql-parser's
// TransactSQL grammar. That grammar (5.4.0) rejects some valid T-SQL the adapter uses; each such form
// is listed in PARSER_GAPS with how it is checked instead, and nothing else is let through.
import pkg from 'node-sql-parser';
import knexFactory from 'knex';
import { render, type Stmt } from '../src/batch.js';
import { COLLATION } from '../src/dialect.js';

const parser = new pkg.Parser();
/** knex's mssql client, without a connection: it turns `?` into @p0, @p1… exactly as sent to the server. */
const knex = knexFactory({ client: 'mssql' });

/** The text and parameters as knex sends them (it also checks that placeholders and bindings agree). */
export function native(sql: string, bindings: readonly unknown[] = []): { sql: string; bindings: unknown[] } {
  const n = knex.raw(sql, bindings as never[]).toSQL().toNative();
  return { sql: n.sql, bindings: [...n.bindings] };
}

/**
 * Valid T-SQL the parser rejects, and what the check does instead. Rewrites keep the rest of the
 * statement (which is then parsed); whole-statement forms are matched exactly.
 */
export const PARSER_GAPS = {
  likeEscape: "LIKE … ESCAPE '\\' (ESCAPE clause missing from the grammar): the clause is removed, the LIKE is parsed.",
  collateAfterCall: `json_value(…) COLLATE ${COLLATION} (COLLATE only accepted after a column): the clause is removed.`,
  openjsonWith: "OPENJSON(…) WITH (column type 'path' [AS JSON], …) (no WITH schema): each column definition must match `name type '$.path' [as json]`, then the WITH clause is removed.",
  setVariable: 'SET @v = expr (only SET options are known): parsed as SELECT @v = expr.',
  execReturn: 'EXEC @status = proc … (no return-value capture): parsed as EXEC proc ….',
  savepoint: 'SAVE TRANSACTION name / ROLLBACK TRANSACTION name (savepoints): matched exactly.',
  nextValueFor: 'DECLARE @v bigint = NEXT VALUE FOR sequence (no NEXT VALUE FOR): matched exactly.',
  createSequence: 'CREATE SEQUENCE name AS bigint START WITH n INCREMENT BY n: matched exactly.',
  backslash: "A backslash in a string literal (T-SQL has no escapes there; the grammar treats it as one): replaced by '/' for parsing.",
  rowcount: '@@ROWCOUNT in a condition (read as a function call needing parentheses): parsed as a variable.',
  inlineConstraint: 'A named inline column constraint (`… not null constraint name default x` / `… primary key`): the name is removed, the constraint parsed.',
  ifBlock: 'IF cond BEGIN … END [ELSE BEGIN … END] (no statement blocks): the condition is parsed as SELECT 1 WHERE cond, each inner statement on its own, and the rendered text is checked for balanced BEGIN/END.',
} as const;

const OPENJSON_COLUMN = /^\w+ (nvarchar\((\d+|max)\)|float|int|bigint|bit) '\$(\.\w+|\[\d+\])'( as json)?$/;

/** Index of the parenthesis closing the one at `open`, skipping string literals. */
function closing(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (c === "'") { i = s.indexOf("'", i + 1); if (i < 0) break; continue; }
    if (c === '(') depth++;
    if (c === ')' && --depth === 0) return i;
  }
  throw new Error(`unbalanced parenthesis at ${open}`);
}

/** Removes OPENJSON's WITH schema after checking each column definition. */
function stripOpenjsonWith(sql: string): string {
  let out = sql;
  for (let from = 0; ;) {
    const at = out.toLowerCase().indexOf('openjson(', from);
    if (at < 0) return out;
    const close = closing(out, at + 'openjson'.length);
    const w = /^ with \(/i.exec(out.slice(close + 1));
    if (w) {
      const open = close + w[0].length;
      const end = closing(out, open);
      for (const c of out.slice(open + 1, end).split(/, (?=\w+ )/)) {
        if (!OPENJSON_COLUMN.test(c.trim())) throw new Error(`OPENJSON WITH column definition not recognised: ${c}`);
      }
      out = out.slice(0, close + 1) + out.slice(end + 1);
    }
    from = close + 1;
  }
}

/** The statement with the parser's gaps rewritten (see PARSER_GAPS). */
export function parserForm(sql: string): string {
  const s = sql.replaceAll(" escape '\\'", '')
    .replaceAll(`) collate ${COLLATION}`, ')')
    .replaceAll('\\', '/')
    .replaceAll('@@rowcount', '@rowcount')
    .replace(/\b(null) constraint \w+ (?=default |primary key)/g, '$1 ');
  return stripOpenjsonWith(s);
}

function parse(sql: string): void {
  parser.astify(parserForm(sql), { database: 'TransactSQL' });
}

/** Placeholders as knex numbers them, so that the parser sees parameters. */
const numbered = (sql: string) => { let i = 0; return sql.replace(/\?/g, () => `@p${i++}`); };

/** Checks one statement (no IF blocks); throws with the statement on a syntax error. */
export function checkStatement(stmt: string): void {
  const s = numbered(stmt).trim().replace(/;$/, '');
  try {
    let m: RegExpExecArray | null;
    if ((m = /^set (@\w+) = ([\s\S]+)$/i.exec(s))) return parse(`select ${m[1]} = ${m[2]}`);
    if ((m = /^exec (@\w+) = (\w+) ([\s\S]+)$/i.exec(s))) return parse(`exec ${m[2]} ${m[3]}`);
    if (/^(save|rollback) transaction \w+$/i.test(s)) return;
    if (/^declare @\w+ bigint = next value for \w+$/i.test(s)) return;
    if (/^create sequence \w+ as bigint start with \d+ increment by \d+$/i.test(s)) return;
    parse(s);
  } catch (e) {
    throw new Error(`T-SQL syntax check failed: ${(e as Error).message}\n--- statement:\n${s}`);
  }
}

/** Checks every statement and IF condition of a batch, then the structure of its rendered text. */
export function checkBatch(stmts: Stmt[]): void {
  const walk = (list: Stmt[]) => {
    for (const s of list) {
      if (typeof s === 'string') {
        checkStatement(s);
        continue;
      }
      checkStatement(`select 1 where ${s.if}`);
      walk(s.then);
      walk(s.else ?? []);
    }
  };
  walk(stmts);
  checkStructure(render(stmts));
}

/** Balanced parentheses and quotes, BEGIN/END pairs, and no semicolon right before ELSE. */
export function checkStructure(text: string): void {
  let depth = 0;
  let inString = false;
  for (const c of text) {
    if (c === "'") inString = !inString;
    else if (!inString && c === '(') depth++;
    else if (!inString && c === ')' && --depth < 0) throw new Error(`unbalanced ')' in:\n${text}`);
  }
  if (inString || depth !== 0) throw new Error(`unbalanced ${inString ? 'quote' : 'parenthesis'} in:\n${text}`);
  const lines = text.split('\n').map((l) => l.trim());
  const begins = lines.filter((l) => l === 'begin').length;
  const ends = lines.filter((l) => l === 'end' || l === 'end;').length;
  if (begins !== ends) throw new Error(`${begins} BEGIN for ${ends} END in:\n${text}`);
  if (/;\s*else\b/i.test(text)) throw new Error(`semicolon before ELSE in:\n${text}`);
}

export async function closeChecker(): Promise<void> {
  await knex.destroy();
}
