// What a route asks permission for: one action from the roles file and the resource types it touches.
import type { Interaction, Route } from '@hestia/core';

export const ACTIONS = ['read', 'write', 'delete', 'hardDelete', 'export', 'reindex', '*'] as const;
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
  everything: 'read',
  validate: 'read',
  meta: 'read',
  'meta-add': 'write',
  'meta-delete': 'write',
};

/** Operations that read across resource types whatever the type in their path. */
const CROSS_TYPE_OPERATIONS = new Set(['export', 'everything']);

export function actionFor(route: Route): Action | null {
  if (route.interaction === 'operation') return OPERATION_ACTIONS[route.operation ?? ''] ?? '*';
  return INTERACTION_ACTIONS[route.interaction];
}

/**
 * The resource types a route reads or writes, with those its search criteria read too (Route.reads);
 * undefined when it may touch any type (system level, `*` compartments, exports, `_include=*`).
 */
export function routeTypes(route: Route): string[] | undefined {
  if (!route.resourceType || route.reads === '*') return undefined;
  if (route.interaction === 'operation' && CROSS_TYPE_OPERATIONS.has(route.operation ?? '')) return undefined;
  if (route.compartmentType === '*') return undefined;
  const own = route.compartmentType ? [route.resourceType, route.compartmentType] : [route.resourceType];
  return [...new Set([...own, ...(route.reads ?? [])])];
}
