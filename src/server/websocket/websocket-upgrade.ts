/**
 * The WebSocket connect pipeline, run on each HTTP upgrade to `<mount>/websocket`: origin check,
 * subprotocol and auth token, serializer negotiation, the socket's `connect` and `id`, then the upgrade
 * and the connection's process. Every refusal is an HTTP status, never a half-open connection.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { WebSocketServer } from "ws";
import type { FenixError } from "../../errors/fenix-error.js";
import { negotiateSerializer } from "../../protocol/vsn.js";
import { DynamicSupervisor } from "../../runtime/dynamic-supervisor.js";
import type { Pid } from "../../runtime/pid.js";
import { parseSubprotocols, PHOENIX_SUBPROTOCOL } from "../auth-token.js";
import type { ChannelClass } from "../channel.js";
import { connectInfoOf } from "../connect-info.js";
import type { ClientErrorContext, EndpointContext } from "../endpoint-context.js";
import { ServerError, ServerErrorCode } from "../errors.js";
import { parseQueryParams } from "../query-params.js";
import type { SocketClass } from "../socket.js";
import { SocketServer, type SocketLimits } from "../socket-server.js";
import type { TopicRouter } from "../topic-pattern.js";
import { CloseCode } from "../transport.js";
import { WebSocketTransport } from "./websocket-transport.js";

/** How long a connection may take to close when its supervisor shuts down. */
const CONNECTION_SHUTDOWN_MS = 5_000;

/** @internal One socket mount's WebSocket settings, resolved. */
export interface WebSocketMount {
  readonly path: string;
  readonly socketClass: SocketClass;
  readonly router: TopicRouter<ChannelClass>;
  readonly limits: SocketLimits;
  readonly authToken: boolean;
  readonly maxBufferedBytes: number;
  readonly checkOrigin: (request: IncomingMessage) => boolean;
  readonly wss: WebSocketServer;
  /** The supervisor of this mount's connections, once the endpoint has started. */
  supervisor: Pid | null;
}

const STATUS_TEXT: Record<number, string> = { 400: "Bad Request", 403: "Forbidden", 500: "Internal Server Error", 503: "Service Unavailable" };

/** Answers a refused upgrade with a bare HTTP status and closes the connection. */
export function refuseUpgrade(socket: Duplex, status: number): void {
  if (socket.destroyed) return;
  socket.end(`HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? "Error"}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, () =>
    socket.destroy(),
  );
}

/** @internal Runs the connect pipeline for one upgrade request. */
export async function upgradeWebSocket(
  endpoint: EndpointContext,
  mount: WebSocketMount,
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): Promise<void> {
  const context: ClientErrorContext = {
    path: mount.path,
    transport: "websocket",
    address: request.socket.remoteAddress,
    socketId: null,
  };
  const refuse = (status: number, error?: FenixError) => {
    if (error !== undefined) endpoint.reportClientError(error, context);
    refuseUpgrade(socket, status);
  };

  if (request.method !== "GET" || request.headers.upgrade?.toLowerCase() !== "websocket") {
    return refuse(400, new ServerError(ServerErrorCode.BAD_UPGRADE, "Expected a WebSocket upgrade (GET with Upgrade: websocket).", { status: 400 }));
  }
  const key = request.headers["sec-websocket-key"];
  const version = request.headers["sec-websocket-version"];
  if (typeof key !== "string" || !/^[+/0-9A-Za-z]{22}==$/.test(key) || (version !== "13" && version !== "8")) {
    return refuse(
      400,
      new ServerError(ServerErrorCode.BAD_UPGRADE, "The upgrade lacks a valid Sec-WebSocket-Key or Sec-WebSocket-Version (13).", { status: 400 }),
    );
  }
  if (!mount.checkOrigin(request)) {
    return refuse(
      403,
      new ServerError(ServerErrorCode.ORIGIN_REFUSED, `Origin ${request.headers.origin} is not allowed by checkOrigin.`, { status: 403 }),
    );
  }

  const offer = parseSubprotocols(request.headers["sec-websocket-protocol"]);
  if (offer.protocols.length > 0 && !offer.protocols.includes(PHOENIX_SUBPROTOCOL)) {
    return refuse(
      403,
      new ServerError(ServerErrorCode.BAD_SUBPROTOCOL, `Offered subprotocols ${offer.protocols.join(", ")} do not include "phoenix".`, {
        status: 403,
      }),
    );
  }
  // The token entry may hold characters the handshake parser rejects; it has been read, so drop it.
  if (offer.protocols.length > 0) request.headers["sec-websocket-protocol"] = offer.protocols.join(", ");
  else delete request.headers["sec-websocket-protocol"];

  const url = request.url ?? "/";
  const query = url.indexOf("?");
  const params = parseQueryParams(query === -1 ? "" : url.slice(query + 1));
  const serializer = negotiateSerializer(params.vsn);
  if (serializer === null) {
    return refuse(
      403,
      new ServerError(ServerErrorCode.UNSUPPORTED_VSN, `Unsupported vsn ${JSON.stringify(params.vsn)}; this server speaks 1.0.x and 2.0.x.`, {
        status: 403,
      }),
    );
  }

  const info = connectInfoOf(request, "websocket", mount.authToken ? offer.authToken : undefined);
  const userSocket = new mount.socketClass();
  let accepted: boolean;
  let socketId: string | null;
  try {
    accepted = await userSocket.connect(params, info);
    socketId = accepted ? userSocket.id() : null;
  } catch (err) {
    endpoint.logger.error(`connect of ${mount.socketClass.name} threw`, { error: err, path: mount.path });
    return refuse(500, new ServerError(ServerErrorCode.CONNECT_CRASHED, "The socket's connect() threw.", { cause: err, status: 500 }));
  }
  if (accepted !== true) {
    endpoint.logger.info(`refused connection to ${mount.path}`, { address: context.address });
    return refuse(403);
  }
  if (socketId !== null && (typeof socketId !== "string" || socketId.length === 0)) {
    endpoint.logger.error(`${mount.socketClass.name}.id() must return a non-empty string or null`, { got: socketId });
    return refuse(
      500,
      new ServerError(ServerErrorCode.BAD_SOCKET_ID, `${mount.socketClass.name}.id() must return a non-empty string or null.`, { status: 500 }),
    );
  }
  if (socket.destroyed) return;

  const supervisor = mount.supervisor;
  // Not started, stopping, or the endpoint's tree gave up: no process could serve the connection.
  if (supervisor === null || !endpoint.runtime.isAlive(supervisor)) return refuse(503);
  mount.wss.handleUpgrade(request, socket, head, (ws) => {
    // The transport buffers what arrives until the connection's process is attached.
    const transport = new WebSocketTransport(ws, mount.maxBufferedBytes);
    const init = { endpoint, transport, serializer, socket: userSocket, socketId, router: mount.router, limits: mount.limits, errorContext: context };
    DynamicSupervisor.startChild(supervisor, {
      restart: "temporary",
      shutdown: CONNECTION_SHUTDOWN_MS,
      start: (parent) => {
        const server = new SocketServer({ ...init, parent });
        transport.attach(server);
        return server.pid;
      },
    }).catch((err: unknown) => {
      endpoint.logger.error("could not start a connection process", { error: err, path: mount.path });
      transport.close(CloseCode.SERVICE_RESTART, "server restart");
    });
  });
}
