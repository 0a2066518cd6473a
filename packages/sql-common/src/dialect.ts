// What differs between the SQL databases for search translation. The expression walker
// (search.ts) writes everything else once; placeholders are knex's `?` in every dialect.

export interface SqlDialect {
  /** Conditions that always / never hold. */
  readonly alwaysTrue: string;
  readonly alwaysFalse: string;
  /** Condition: the resource row of alias `a` is not a deletion marker. */
  notDeleted(a: string): string;
  /** A timestamp value for epoch milliseconds (open ends already clamped), bound through `bind`. */
  timestamp(ms: number, bind: (v: unknown) => string): string;
  /** Escapes the LIKE wildcards of a literal value; the escape character is a backslash. */
  escapeLike(s: string): string;
  /** `value LIKE pattern` with backslash as the escape character. */
  like(value: string, pattern: string): string;
  /** The SQL expression `e` with its LIKE wildcards escaped (patterns made from column values). */
  escapeLikeSql(e: string): string;
  /** String concatenation. */
  concat(parts: string[]): string;
  /** A FROM item: the elements of the json array at position `index` of the json array `json`, as `alias`. */
  jsonElements(json: string, index: number, alias: string): string;
  /** Field `name` of the json object element `alias`, as text or as a number. */
  jsonField(alias: string, name: string, numeric: boolean): string;
  /** Full-text match of a bound query; dialects without full text throw. */
  fullText(column: string, query: string): string;
  /** One ORDER BY term; `nullable` false when the expression is never null. */
  orderTerm(sql: string, desc: boolean, nullsFirst: boolean, nullable: boolean): string;
  /** A select returning at most `limit` rows: its select list and the rest (from … order by …). */
  selectLimited(columns: string, rest: string, limit: number): string;
  /**
   * The schema indexes range rows (lo not null) by (resource_type, code, lo, …), (…, hi, …) and
   * (…, hi - lo), as PostgreSQL's migration 5 does: the walker then bounds tests on hi by the widest
   * stored range and orders by single-valued dates through a join (search.ts), which without those
   * indexes would cost more than they save.
   */
  readonly rangeIndexes?: boolean;
  /**
   * A join clause that evaluates `select` once per row of the FROM items before it (`select` may
   * refer to them) and is never merged into the outer query, so its conditions are checked row by
   * row in the outer order. Optional: without it, joinedPage leaves the plan to the planner.
   */
  perRow?(select: string, alias: string): string;
}
