/**
 * Fenix: real-time channels for Node.js. The package entry point re-exports the public API of every
 * server-side layer: the process runtime, the wire protocol, PubSub, presence, the server (Endpoint,
 * Socket, Channel), and the telemetry events.
 */
export { FenixError } from "./errors/fenix-error.js";
export * from "./runtime/index.js";
export * from "./protocol/index.js";
export * from "./pubsub/index.js";
export * from "./presence/index.js";
export * from "./server/index.js";
export * from "./telemetry/index.js";
