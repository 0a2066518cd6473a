// What a route asks permission for: one action from the roles file and the resource types it touches.
import { routeTypeSets, type Interaction, type Route } from '@hestia/core';

export const ACTIONS = ['read', 'write', 'delete', 'hardDelete', 'export', 'reindex', 'subscribe', '*'] as const;
export type Action = (typeof ACTIONS)[number];

/** The action each interaction needs; null: no action of its own (a bundle: its entries are checked one by one). */
const INTERACTION_ACTIONS: Record<Exclude<Interaction, 'operation'>, Action | null> = {
  capabilities: 'read',
  read: 'read',
  vread: 'read',
  'search-type': 'read',
  'search-system': 'read',
  'search-compartment': 'read',
  'history-instance': 'read',
  'history-type': 'read',
  'history-system': 'read',
  create: 'write',
  update: 'write',
  patch: 'write',
  'conditional-update': 'write',
  'conditional-patch': 'write',
  delete: 'delete',
  'conditional-delete': 'delete',
  'hard-delete': 'hardDelete',
  batch: null,
  transaction: null,
};

/** Operations ($name) and the action they need; any other operation needs '*'. */
const OPERATION_ACTIONS: Record<string, Action> = {
  export: 'export',
  // The status, cancel and download routes of an export job (see export/status.ts).
  'export-status': 'export',
  'export-cancel': 'export',
  'export-download': 'export',
  reindex: 'reindex',
  // The status and cancel routes of a reindex job (reindex.ts).
  'reindex-status': 'reindex',
  'reindex-cancel': 'reindex',
  everything: 'read',
  validate: 'read',
  expand: 'read',
  lookup: 'read',
  'validate-code': 'read',
  meta: 'read',
  'meta-add': 'write',
  'meta-delete': 'write',
};

export function actionFor(route: Route): Action | null {
  if (route.interaction === 'operation') return OPERATION_ACTIONS[route.operation ?? ''] ?? '*';
  const action = INTERACTION_ACTIONS[route.interaction];
  // A Subscription sends what its criteria match to its endpoint, whatever its author may read.
  return route.resourceType === 'Subscription' && (action === 'write' || action === 'delete') ? 'subscribe' : action;
}

/**
 * The resource types a route reads or writes, the compartment's type of a compartment search and
 * the types its search criteria read included; undefined when it may touch any type.
 */
export function routeTypes(route: Route): string[] | undefined {
  const { own, reads } = routeTypeSets(route);
  if (!own || !reads) return undefined;
  return [...new Set([...(route.compartmentType ? [route.resourceType!] : []), ...own, ...reads])];
}
