/**
 * Run by `fenix routes` in a child process: imports the endpoint module named on the command line,
 * builds the endpoint with `createEndpoint()` (or takes its `endpoint` or default export), prints
 * `endpoint.routes()` as JSON, and exits without starting anything.
 */
import { Endpoint } from "../index.js";

const url = process.argv[2];
try {
  if (url === undefined) throw new Error("usage: routes-loader <module URL>");
  const module = (await import(url)) as Record<string, unknown>;
  const factory = module.createEndpoint;
  const found = typeof factory === "function" ? (factory as () => unknown)() : (module.endpoint ?? module.default);
  if (!(found instanceof Endpoint) && !(typeof found === "object" && found !== null && typeof (found as Endpoint).routes === "function")) {
    throw new Error("The module exports neither createEndpoint() returning an Endpoint, nor an endpoint.");
  }
  process.stdout.write(`${JSON.stringify((found as Endpoint).routes())}\n`, () => process.exit(0));
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`, () => process.exit(1));
}
