export { CosmosStore, createCosmosAdapter, type CosmosOptions } from './store.js';
export { CosmosSession } from './session.js';
export { CosmosMetering, CONSISTENCY_LEVELS, type ConsistencyName } from './metering.js';
export { QueryBuilder, type ResolvedExpr } from './query.js';
export { toDocIndex, sortValues, encodeNumber, type DocIndex } from './doc-index.js';
