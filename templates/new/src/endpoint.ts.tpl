/**
 * The endpoint of {{appName}}: the HTTP server, the sockets it mounts, and the processes it supervises.
 * `src/server.ts` starts it; `npx fenix routes` lists what it serves. Generators (`npx fenix gen …`)
 * add lines at the `// fenix:…` markers; keep them.
 */
import { fileURLToPath } from "node:url";
import { Endpoint, consoleLogger, type ChildSpec, type EndpointOptions } from "fenix";
import { pubsub } from "./pubsub.js";
import { UserSocket } from "./user-socket.js";
// fenix:imports

/**
 * The processes the endpoint supervises, started in this order before sockets accept connections:
 * the PubSub first, then your own (room servers, presence trackers, caches).
 */
export const children: readonly ChildSpec[] = [
  pubsub.childSpec(),
  // fenix:children
];

/** Creates the endpoint, not yet started; `options` override the defaults (port, logger…). */
export function createEndpoint(options: EndpointOptions = {}): Endpoint {
  const endpoint = new Endpoint({
    pubsub,
    children,
    staticDir: fileURLToPath(new URL("../public", import.meta.url)),
    logger: consoleLogger("info"),
    ...options,
  });
  endpoint.socket("/socket", UserSocket, { longpoll: true });
  // fenix:sockets
  return endpoint;
}
