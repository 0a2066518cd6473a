// Every scenario, in run order. To add one: write bench/scenarios/<name>.ts exporting a Scenario
// (see lib/context.ts) and list it here.
import type { Scenario } from '../lib/context.js';
import { cosmosScenario } from './cosmos.js';
import { crudScenario } from './crud.js';
import { exportScenario } from './export.js';
import { searchScenario } from './search.js';
import { startupScenario } from './startup.js';
import { transactionScenario } from './transaction.js';

export const scenarios: Scenario[] = [
  startupScenario,
  crudScenario('postgres'),
  crudScenario('embedded'),
  searchScenario,
  transactionScenario,
  exportScenario,
  cosmosScenario,
];
