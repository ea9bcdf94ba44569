/**
 * The limits suite's endpoints: a test endpoint with chosen socket options per test, stopped (after every
 * official client is closed) when the test ends, and recorders of `clientError` and `fenix:socket:limited`.
 */
import { afterEach } from "vitest";
import { onTelemetry, TelemetryEvent, type MessageLimited, type SocketOptions } from "../../../src/index.js";
import { closeAllClients } from "../../support/phoenix-client.js";
import { startTestEndpoint, type TestEndpoint } from "../../support/test-endpoint.js";

const running: TestEndpoint[] = [];
const unsubscribes: Array<() => void> = [];

afterEach(async () => {
  await closeAllClients();
  for (const off of unsubscribes.splice(0)) off();
  await Promise.all(running.splice(0).map((server) => server.stop()));
});

/** Starts a test endpoint whose `/socket` mount has `socketOptions`; stopped after the test. */
export async function serve(socketOptions: SocketOptions = {}): Promise<TestEndpoint> {
  const server = await startTestEndpoint({}, socketOptions);
  running.push(server);
  return server;
}

/** Every `fenix:socket:limited` event of `server`'s endpoint during the test. */
export function recordLimited(server: TestEndpoint): MessageLimited[] {
  const events: MessageLimited[] = [];
  unsubscribes.push(
    onTelemetry(TelemetryEvent.LIMITED, (event) => {
      if (event.source === server.endpoint) events.push(event);
    }),
  );
  return events;
}

/** The codes of every `clientError` of `server`'s endpoint during the test, with their status. */
export function recordClientErrors(server: TestEndpoint): Array<{ code: string; status: number | undefined; message: string }> {
  const errors: Array<{ code: string; status: number | undefined; message: string }> = [];
  server.endpoint.on("clientError", (error) => {
    errors.push({ code: error.code, status: (error as { status?: number }).status, message: error.message });
  });
  return errors;
}

export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
