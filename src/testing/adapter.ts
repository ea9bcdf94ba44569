/**
 * `fenix/testing/adapter`: the PubSub adapter conformance suite, for anyone writing an adapter, and the
 * Inbox process it listens with.
 */
export { adapterConformance } from "./adapter-conformance.js";
export type { AdapterCluster, AdapterConformanceOptions, ConformanceCase } from "./adapter-conformance.js";
export { Inbox } from "./inbox.js";
