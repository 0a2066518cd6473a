// The roles file: role names and the actions they allow, optionally on some resource types only.
import { readFileSync } from 'node:fs';
import { ACTIONS, type Action } from './actions.js';

export interface RoleDefinition {
  name: string;
  description?: string;
  actions: Action[];
  /** When set, the actions are allowed on these resource types only. */
  resourceTypes?: string[];
}

export class RoleSet {
  private readonly byName: Map<string, RoleDefinition>;

  constructor(roles: RoleDefinition[]) {
    this.byName = new Map(roles.map((r) => [r.name, r]));
  }

  get names(): string[] {
    return [...this.byName.keys()];
  }

  definition(name: string): RoleDefinition | undefined {
    return this.byName.get(name);
  }

  /**
   * Whether the caller's roles together allow `action` on every type in `types` (each type by some
   * role); undefined types: any type (system level), which needs a role not restricted to types.
   * `types` is asked for only when it matters (a role restricted to types).
   */
  allows(roleNames: readonly string[], action: Action, types: string[] | undefined | (() => string[] | undefined)): boolean {
    const granting = roleNames.map((name) => this.byName.get(name)).filter((r): r is RoleDefinition => !!r && (r.actions.includes('*') || r.actions.includes(action)));
    if (granting.some((r) => !r.resourceTypes)) return true;
    if (!granting.length) return false;
    const list = typeof types === 'function' ? types() : types;
    return list !== undefined && list.every((t) => granting.some((r) => r.resourceTypes!.includes(t)));
  }
}

/** Reads and checks a roles file; any mistake in it stops the server with a message naming the file. */
export function loadRoles(path: string, isResourceType: (t: string) => boolean): RoleSet {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`The roles file '${path}' cannot be read: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`The roles file '${path}' is not valid JSON: ${(e as Error).message}`);
  }
  const problems: string[] = [];
  const roles = parseRoles(json, isResourceType, problems);
  if (problems.length) throw new Error(`The roles file '${path}' is invalid: ${problems.join('; ')}.`);
  return new RoleSet(roles);
}

function parseRoles(json: unknown, isResourceType: (t: string) => boolean, problems: string[]): RoleDefinition[] {
  const list = (json as { roles?: unknown } | null)?.roles;
  if (!Array.isArray(list)) {
    problems.push('it needs a "roles" array');
    return [];
  }
  const seen = new Set<string>();
  return list.flatMap((raw, i): RoleDefinition[] => {
    const at = `roles[${i}]`;
    const r = raw as Partial<Record<keyof RoleDefinition, unknown>> | null;
    if (!r || typeof r !== 'object' || typeof r.name !== 'string' || r.name === '') {
      problems.push(`${at} needs a "name"`);
      return [];
    }
    if (seen.has(r.name)) problems.push(`${at}: the role '${r.name}' is defined twice`);
    seen.add(r.name);
    const unknownKeys = Object.keys(r).filter((k) => !['name', 'description', 'actions', 'resourceTypes'].includes(k));
    if (unknownKeys.length) problems.push(`${at} ('${r.name}'): unknown field(s) ${unknownKeys.join(', ')}`);
    const actions = stringList(r.actions);
    if (!actions?.length) problems.push(`${at} ('${r.name}'): "actions" must be a non-empty list of ${ACTIONS.join(', ')}`);
    const badActions = (actions ?? []).filter((a) => !(ACTIONS as readonly string[]).includes(a));
    if (badActions.length) problems.push(`${at} ('${r.name}'): unknown action(s) ${badActions.join(', ')} (known: ${ACTIONS.join(', ')})`);
    let resourceTypes: string[] | undefined;
    if (r.resourceTypes !== undefined) {
      resourceTypes = stringList(r.resourceTypes);
      if (!resourceTypes?.length) problems.push(`${at} ('${r.name}'): "resourceTypes", when present, must be a non-empty list of resource types`);
      const badTypes = (resourceTypes ?? []).filter((t) => !isResourceType(t));
      if (badTypes.length) problems.push(`${at} ('${r.name}'): unknown resource type(s) ${badTypes.join(', ')}`);
    }
    const description = typeof r.description === 'string' ? r.description : undefined;
    return [{ name: r.name, description, actions: (actions ?? []) as Action[], resourceTypes }];
  });
}

const stringList = (v: unknown): string[] | undefined =>
  Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
