/**
 * A test client's connect, through the endpoint's own connect step (`runSocketConnect`): the socket's
 * `connect(params, info)` and `id()`, with the same log lines and client errors on refusal — from params
 * and connect info the test gives instead of an HTTP request, and a refusal thrown as a typed error.
 */
import type { ConnectInfo } from "../server/socket/connect-info.js";
import type { ClientErrorContext } from "../server/endpoint/endpoint-context.js";
import { runSocketConnect } from "../server/socket/connect-pipeline.js";
import { ServerErrorCode } from "../server/errors.js";
import type { Socket } from "../server/socket/socket.js";
import { connectParams, connectQuery, type ConnectParams } from "./connect-params.js";
import { ConnectRefusedError } from "./errors.js";
import type { TestEndpoint } from "./test-endpoint.js";

/** The mount path test sockets appear under (in `ConnectInfo.uri` and client error contexts). */
export const TEST_PATH = "/socket";

/** A socket whose `connect` accepted the test client. */
export interface ConnectedSocket<S> {
  readonly socket: S;
  readonly id: string | null;
  /** Where client errors of this connection are reported from. */
  readonly context: ClientErrorContext;
}

/**
 * Creates a `socketClass` instance and runs its `connect` and `id` for `params` and `info`.
 *
 * @throws ConnectRefusedError with status 403 when `connect` does not return `true`, 500 when it throws
 *   or `id()` returns something other than a non-empty string or `null`; the endpoint's log lines and
 *   client errors are written to `endpoint` first.
 *
 * @example
 * ```ts
 * declare const endpoint: TestEndpoint;
 * const { socket, id } = await runConnect(UserSocket, endpoint, { token: "ada-token" }, {});
 * ```
 */
export async function runConnect<S extends Socket<object>>(
  socketClass: new () => S,
  endpoint: TestEndpoint,
  params: ConnectParams,
  info: Partial<ConnectInfo>,
): Promise<ConnectedSocket<S>> {
  const connectInfo: ConnectInfo = {
    peer: { address: "127.0.0.1", port: 0 },
    uri: new URL(`http://localhost${TEST_PATH}/websocket?${connectQuery(params)}`),
    userAgent: undefined,
    xHeaders: {},
    authToken: undefined,
    transport: "websocket",
    ...info,
  };
  const context: ClientErrorContext = { path: TEST_PATH, transport: connectInfo.transport, address: connectInfo.peer.address, socketId: null };
  const name = socketClass.name;
  const result = await runSocketConnect(endpoint, socketClass, TEST_PATH, connectParams(params), connectInfo, context);
  if (!("status" in result)) return { socket: result.socket, id: result.socketId, context };
  if (result.status === 403) {
    if (result.reason !== undefined) {
      throw new ConnectRefusedError(403, `${name}.connect() refused the connection: ${JSON.stringify(result.reason)}.`, { reason: result.reason });
    }
    throw new ConnectRefusedError(403, `${name}.connect() refused the connection (it did not return true; an endpoint answers 403).`);
  }
  const cause = result.error?.cause;
  const detail =
    result.error?.code === ServerErrorCode.BAD_SOCKET_ID
      ? `${name}.id() must return a non-empty string or null`
      : `${name}.connect() threw: ${cause instanceof Error ? cause.message : String(cause)}`;
  throw new ConnectRefusedError(500, `${detail} (an endpoint answers 500).`, { cause: cause ?? result.error });
}
