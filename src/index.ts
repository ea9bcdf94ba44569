/**
 * Fenix: real-time channels for Node.js. The package entry point re-exports the public API of every
 * server-side layer: the process runtime, the wire protocol, PubSub, presence, and the server (Endpoint,
 * Socket, Channel).
 */
export { FenixError } from "./errors/fenix-error.js";
export * from "./runtime/index.js";
export * from "./protocol/index.js";
export * from "./pubsub/index.js";
export * from "./presence/index.js";
export * from "./server/index.js";
