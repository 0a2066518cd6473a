// The adapter conformance kit: every persistence adapter runs this one suite against itself
// (`runConformance({ name, open })` inside a node:test file). It drives core's FhirEngine, so it
// checks FHIR behaviour end to end through the adapter, without HTTP.
import { describe, before, after } from 'node:test';
import { FhirEngine, type EngineOptions, type PersistenceAdapter } from '@hestia/core';
import { Client } from './client.js';
import { crudSuite } from './suites/crud.js';
import { customParamsSuite } from './suites/custom-params.js';
import { fullTextSuite } from './suites/fulltext.js';
import { terminologySuite } from './suites/terminology.js';
import { bundlesSuite } from './suites/bundles.js';
import { pagingSuite } from './suites/paging.js';
import { conditionalSuite } from './suites/conditional.js';
import { historySuite } from './suites/history.js';
import { searchParamsSuite } from './suites/search-params.js';
import { searchCommonSuite } from './suites/search-common.js';
import { searchLinksSuite } from './suites/search-links.js';
import { searchResultsSuite } from './suites/search-results.js';
import { jobsSuite } from './suites/jobs.js';
import { validateSuite } from './suites/validate.js';
import { compartmentLimitSuite } from './suites/compartment-limit.js';
import { everythingSuite } from './suites/everything.js';

export interface ConformanceTarget {
  name: string;
  /** Opens a fresh, empty, initialised adapter. */
  open: () => Promise<PersistenceAdapter>;
  /** Called after the suite with the adapter that open() returned (close it, drop its database). */
  close?: (adapter: PersistenceAdapter) => Promise<void>;
  engine?: Partial<Omit<EngineOptions, 'adapter'>>;
}

export interface Fixture { client: Client; engine: FhirEngine; adapter: PersistenceAdapter }

export function runConformance(target: ConformanceTarget): void {
  describe(`conformance: ${target.name}`, () => {
    const fx = {} as Fixture;
    before(async () => {
      fx.adapter = await target.open();
      fx.engine = new FhirEngine({ adapter: fx.adapter, ...target.engine });
      await fx.engine.init();
      fx.client = new Client(fx.engine);
    });
    after(async () => {
      if (fx.adapter) await (target.close ? target.close(fx.adapter) : fx.adapter.close());
    });
    crudSuite(fx);
    conditionalSuite(fx);
    historySuite(fx);
    searchParamsSuite(fx);
    searchCommonSuite(fx);
    searchLinksSuite(fx);
    searchResultsSuite(fx);
    customParamsSuite(fx);
    fullTextSuite(fx);
    terminologySuite(fx);
    bundlesSuite(fx);
    pagingSuite(fx);
    jobsSuite(fx);
    validateSuite(fx);
    compartmentLimitSuite(fx);
    everythingSuite(fx);
  });
}

export { Client } from './client.js';
