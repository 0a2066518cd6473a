// The adapter-neutral search expression tree. Core parses a query string into it once; adapters translate it.
import type { SearchParamType } from '../definitions.js';

export type Prefix = 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le' | 'sa' | 'eb' | 'ap';

/** The parameter an expression tests: its code and type, as defined for the searched resource type. */
export interface ParamRef { code: string; type: SearchParamType }

/**
 * A prefix comparison, already reduced by core to bounds on the stored value's range: every
 * condition must hold (then `negate` inverts the whole). Stored ranges are inclusive [low, high]:
 * dates by their precision in epoch ms, numbers and quantities as low = high = value. Repeated
 * tests of a date parameter that has one value per resource are merged into one (parse.ts), whose
 * prefix is the first one's.
 */
export interface RangeTest {
  prefix: Prefix;
  conds: { bound: 'low' | 'high'; op: '<' | '<=' | '>' | '>='; value: number }[];
  negate: boolean;
}

export type Predicate =
  | { type: 'string'; match: 'starts' | 'exact' | 'contains'; value: string }
  /** system undefined = any system; null = no system. code undefined = any code in the system. */
  | { type: 'token'; system?: string | null; code?: string; ignoreCase?: boolean }
  | { type: 'token-text'; text: string }
  /**
   * Terminology-based token tests (:in, :below, :above). Core rewrites them into plain token
   * predicates from ValueSets and CodeSystems stored in the server before an adapter sees them.
   */
  | { type: 'token-in'; valueSet: string }
  | { type: 'token-hierarchy'; direction: 'below' | 'above'; system: string; code: string }
  | { type: 'date'; range: RangeTest }
  | { type: 'number'; range: RangeTest }
  | { type: 'quantity'; range: RangeTest; system?: string | null; code?: string }
  /** targetType/targetId for local references (targetType alone: any resource of that type); url for absolute or canonical ones. */
  | { type: 'reference'; targetType?: string; targetId?: string; url?: string }
  | { type: 'uri'; match: 'eq' | 'below' | 'above'; value: string }
  /** Full text (_text, _content): every word of the query occurs in the text. */
  | { type: 'text'; query: string }
  /** Composite: every component must hold on the same composite entry. */
  | { type: 'composite'; components: Predicate[] };

export type SearchExpr =
  | { kind: 'and'; exprs: SearchExpr[] }
  | { kind: 'or'; exprs: SearchExpr[] }
  | { kind: 'not'; expr: SearchExpr }
  /** Some index value of `param` satisfies `predicate`. */
  | { kind: 'value'; param: ParamRef; predicate: Predicate }
  /** `param` has (missing=false) or lacks (missing=true) any index value. */
  | { kind: 'missing'; param: ParamRef; missing: boolean }
  | { kind: 'id'; ids: string[] }
  | { kind: 'lastUpdated'; range: RangeTest }
  /** Resources of the searched type among these types (system search over several types). */
  | { kind: 'type'; types: string[] }
  /** Forward chain: `param` references a resource of one of `targetTypes` that matches `expr`. */
  | { kind: 'chain'; param: ParamRef; targetTypes: string[]; expr: SearchExpr }
  /** Reverse chain (_has): some `sourceType` resource whose `param` references this one matches `expr`. */
  | { kind: 'has'; sourceType: string; param: ParamRef; expr: SearchExpr };

export interface SortKey {
  param: ParamRef | { code: '_id' | '_lastUpdated'; type: 'special' };
  descending: boolean;
  /**
   * Set when every searched type has at most one index value of this (date) parameter per resource
   * (indexer.ts, singleValuedDate): that value is its lowest and its highest, so an adapter may
   * order by it directly, through a join, instead of aggregating.
   */
  single?: boolean;
}

export interface IncludeSpec {
  /** The type whose reference parameter is followed ('*' = any). */
  sourceType: string;
  /** The reference parameter code, or '*' for all reference parameters. */
  param: string;
  targetType?: string;
  iterate: boolean;
}

export type SummaryMode = 'true' | 'text' | 'data' | 'count' | 'false';
export type TotalMode = 'none' | 'estimate' | 'accurate';

/** A parsed search: what to match (adapter), how to order and page it (adapter), and how to shape it (core). */
export interface SearchQuery {
  /** The resource types searched: one for type and compartment searches, several or none (= all) for system search. */
  types: string[];
  where?: SearchExpr;
  sort: SortKey[];
  count: number;
  total: TotalMode;
  include: IncludeSpec[];
  revinclude: IncludeSpec[];
  summary?: SummaryMode;
  elements?: string[];
  /** Keyset position to continue after (opaque values produced by the adapter for the last row of the previous page). */
  after?: unknown[];
  /** Keyset position to page backwards from: the rows just before it, still returned in sort order. */
  before?: unknown[];
}
