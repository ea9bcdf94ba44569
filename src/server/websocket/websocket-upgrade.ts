/**
 * The WebSocket connect pipeline, run on each HTTP upgrade to `<mount>/websocket`: the upgrade headers,
 * origin check, subprotocol and auth token, then the shared connect pipeline (`connect-pipeline.ts`), the
 * upgrade and the connection's process. Every refusal is an HTTP status, never a half-open connection.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { WebSocketServer } from "ws";
import { parseSubprotocols, PHOENIX_SUBPROTOCOL } from "../socket/auth-token.js";
import { connectSocket, isAccepted, originAllowed, startConnection, type AcceptedSocket, type RefusedSocket, type SocketMount } from "../socket/connect-pipeline.js";
import type { ClientErrorContext, EndpointContext } from "../endpoint/endpoint-context.js";
import { ServerError, ServerErrorCode } from "../errors.js";
import { CloseCode } from "../socket/transport.js";
import { REFUSAL_SUBPROTOCOL, REFUSED_CLOSE_CODE } from "../socket/connect-refusal.js";
import { PeerErrorContext } from "../socket/peer-error-context.js";
import { WebSocketTransport } from "./websocket-transport.js";

/** @internal One socket mount's WebSocket settings, resolved. */
export interface WebSocketMount extends SocketMount {
  readonly wss: WebSocketServer;
  /** Whether this upgrade request may use WebSocket (the mount's `websocket` option). */
  readonly acceptsWebSocket: (request: IncomingMessage) => boolean;
}

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/** Answers a refused upgrade with an HTTP status (and, for a refusal with a reason, `{"reason"}` as JSON) and closes the connection. */
export function refuseUpgrade(socket: Duplex, status: number, reason?: string): void {
  if (socket.destroyed) return;
  const body = reason === undefined ? "" : JSON.stringify({ reason });
  const type = reason === undefined ? "" : "Content-Type: application/json\r\n";
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? "Error"}\r\nConnection: close\r\n${type}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    () => socket.destroy(),
  );
}

/**
 * @internal Runs the connect pipeline for one upgrade request; synchronously unless the socket's
 * `connect` returned a promise (then the returned promise settles when the upgrade is done).
 */
export function upgradeWebSocket(
  endpoint: EndpointContext,
  mount: WebSocketMount,
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): void | Promise<void> {
  // The peer address is read only if something reports it (a system call most connections never need).
  const context = new PeerErrorContext(mount.path, "websocket", request.socket);
  const headers = request.headers;
  const upgrade = headers.upgrade;
  if (request.method !== "GET" || (upgrade !== "websocket" && upgrade?.toLowerCase() !== "websocket")) {
    return refuse(
      endpoint,
      context,
      socket,
      new ServerError(ServerErrorCode.BAD_UPGRADE, "Expected a WebSocket upgrade (GET with Upgrade: websocket).", { status: 400 }),
    );
  }
  const key = headers["sec-websocket-key"];
  const version = headers["sec-websocket-version"];
  if (typeof key !== "string" || !WEBSOCKET_KEY.test(key) || (version !== "13" && version !== "8")) {
    return refuse(
      endpoint,
      context,
      socket,
      new ServerError(ServerErrorCode.BAD_UPGRADE, "The upgrade lacks a valid Sec-WebSocket-Key or Sec-WebSocket-Version (13).", { status: 400 }),
    );
  }
  if (!originAllowed(endpoint, mount, request, context)) return refuseUpgrade(socket, 403);
  if (mount.connections !== null) {
    // The slot is held while the TCP connection is open: from here, through connect, until it closes.
    const release = mount.connections.take(context.address ?? "unknown");
    if (release === null) {
      return refuse(
        endpoint,
        context,
        socket,
        new ServerError(
          ServerErrorCode.TOO_MANY_CONNECTIONS,
          `The client address already had ${mount.connections.max} connections open (maxConnectionsPerAddress).`,
          { status: 429 },
        ),
      );
    }
    if (socket.destroyed) return release();
    socket.once("close", release);
  }

  const protocolHeader = headers["sec-websocket-protocol"];
  const offer = parseSubprotocols(protocolHeader);
  if (offer.protocols.length > 0 && !offer.protocols.includes(PHOENIX_SUBPROTOCOL)) {
    return refuse(
      endpoint,
      context,
      socket,
      new ServerError(ServerErrorCode.BAD_SUBPROTOCOL, `Offered subprotocols ${offer.protocols.join(", ")} do not include "phoenix".`, {
        status: 403,
      }),
    );
  }
  // The token entry may hold characters the handshake parser rejects; it has been read, so drop it.
  if (offer.protocols.length > 0) headers["sec-websocket-protocol"] = offer.protocols.join(", ");
  else if (protocolHeader !== undefined) delete headers["sec-websocket-protocol"];

  const result = connectSocket(endpoint, mount, request, "websocket", offer.authToken, context);
  if (result instanceof Promise) return result.then((settled) => finishUpgrade(endpoint, mount, request, socket, head, context, offer.protocols, settled));
  finishUpgrade(endpoint, mount, request, socket, head, context, offer.protocols, result);
}

/** Reports `error` as a client error of `context` and answers the upgrade with its HTTP status. */
function refuse(endpoint: EndpointContext, context: ClientErrorContext, socket: Duplex, error: ServerError): void {
  endpoint.reportClientError(error, context);
  refuseUpgrade(socket, error.status ?? 400);
}

/** A key as the handshake sends it: 16 bytes in base64. */
const WEBSOCKET_KEY = /^[+/0-9A-Za-z]{22}==$/;

/** Completes an upgrade whose socket `connect` has answered: the refusal, or the upgrade and the connection's process. */
function finishUpgrade(
  endpoint: EndpointContext,
  mount: WebSocketMount,
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  context: ClientErrorContext,
  protocols: readonly string[],
  result: AcceptedSocket | RefusedSocket,
): void {
  if (!isAccepted(result)) {
    // A browser cannot read a refused upgrade: a client that asks is told the reason in a close frame.
    if (result.reason !== undefined && protocols.includes(REFUSAL_SUBPROTOCOL) && !socket.destroyed) {
      const reason = result.reason;
      mount.wss.handleUpgrade(request, socket, head, (ws) => ws.close(REFUSED_CLOSE_CODE, reason));
      return;
    }
    return refuseUpgrade(socket, result.status, result.reason);
  }
  if (socket.destroyed) return;

  const supervisor = mount.supervisor;
  // Not started, stopping, or the endpoint's tree gave up: no process could serve the connection.
  if (supervisor === null || !endpoint.runtime.isAlive(supervisor)) return refuseUpgrade(socket, 503);
  mount.wss.handleUpgrade(request, socket, head, (ws) => {
    // The transport buffers what arrives until the connection's process is attached.
    const transport = new WebSocketTransport(ws, socket, mount.maxBufferedBytes);
    if (startConnection(endpoint, mount, transport, result, context) === null) transport.close(CloseCode.SERVICE_RESTART, "server restart");
  });
}
