/**
 * The transport-neutral part of connecting a client: the origin check, connect params and `vsn`, the
 * socket's `connect` and `id`, and starting the connection's process under its mount's supervisor. The
 * WebSocket upgrade and the LongPoll handler both run it, so a socket connects the same way over either.
 */
import type { IncomingMessage } from "node:http";
import type { FenixError } from "../../errors/fenix-error.js";
import type { Serializer } from "../../protocol/serializer.js";
import { negotiateSerializer } from "../../protocol/vsn.js";
import { DynamicSupervisor, startTemporaryChildNow, temporaryChildSpec } from "../../runtime/supervisor/dynamic-supervisor.js";
import type { ChildSpec } from "../../runtime/supervisor/child-spec.js";
import type { Pid } from "../../runtime/process/pid.js";
import type { Runtime } from "../../runtime/process/runtime.js";
import type { RouteTarget } from "../channel/channel-route.js";
import { RequestConnectInfo, type ConnectInfo } from "./connect-info.js";
import { ConnectRefusal } from "./connect-refusal.js";
import type { ClientErrorContext, EndpointContext } from "../endpoint/endpoint-context.js";
import { ServerError, ServerErrorCode } from "../errors.js";
import { parseQueryParams, type Params } from "./query-params.js";
import type { Socket, SocketClass } from "./socket.js";
import { SocketServer, type SocketLimits, type SocketServerInit } from "./socket-server.js";
import { isThenable } from "../../runtime/process/thenable.js";
import type { AddressConnections } from "./rate-limit.js";
import type { TopicRouter } from "../channel/topic-pattern.js";
import type { Transport, TransportListener } from "./transport.js";
import { TelemetryEvent, telemetryChannels, type SocketConnected } from "../../telemetry/events.js";

const CONNECTS = telemetryChannels[TelemetryEvent.SOCKET_CONNECT];

/** How long a connection may take to close when its supervisor shuts down. */
const CONNECTION_SHUTDOWN_MS = 5_000;
/** What the mount's supervisor keeps of each connection: one spec shared by all of them. */
const CONNECTION_SPEC = temporaryChildSpec("worker", CONNECTION_SHUTDOWN_MS);

/** @internal One socket mount's settings, resolved; shared by every transport of the mount. */
export interface SocketMount {
  readonly path: string;
  readonly socketClass: SocketClass;
  readonly router: TopicRouter<RouteTarget>;
  readonly limits: SocketLimits;
  readonly authToken: boolean;
  readonly maxBufferedBytes: number;
  readonly maxFrameBytes: number;
  readonly checkOrigin: (request: IncomingMessage) => boolean;
  /** Open connections per client address, with the `maxConnectionsPerAddress` limit; `null` when off. */
  readonly connections: AddressConnections | null;
  /** The supervisor of this mount's connections, once the endpoint has started. */
  supervisor: Pid | null;
}

/**
 * @internal The child spec of a mount's connection supervisor: a DynamicSupervisor (its connections are
 * temporary children) whose pid is kept in `mount.supervisor` each time it starts.
 */
export function connectionSupervisorSpec(id: string, runtime: Runtime, mount: SocketMount): ChildSpec {
  return {
    id,
    type: "supervisor",
    restart: "permanent",
    start: async (parent) => {
      const pid = await DynamicSupervisor.startLink(parent, { runtime, maxRestarts: 3, maxSeconds: 5 });
      mount.supervisor = pid;
      return pid;
    },
  };
}

/** A socket whose `connect` accepted the client. */
export interface AcceptedSocket {
  readonly serializer: Serializer;
  readonly socket: Socket<object>;
  readonly socketId: string | null;
}

/** Why a connect attempt was refused: the HTTP status to answer with and, if any, the client error to report. */
export interface RefusedSocket {
  readonly status: 403 | 500;
  readonly error: FenixError | undefined;
  /** The reason `connect` gave with `refuse(reason)`, told to the client. */
  readonly reason?: string;
}

/** @internal The origin check; a refusal is reported as `FENIX_ERR_SERVER_ORIGIN_REFUSED`. */
export function originAllowed(endpoint: EndpointContext, mount: SocketMount, request: IncomingMessage, context: ClientErrorContext): boolean {
  if (mount.checkOrigin(request)) return true;
  endpoint.reportClientError(
    new ServerError(ServerErrorCode.ORIGIN_REFUSED, `Origin ${request.headers.origin} is not allowed by checkOrigin.`, { status: 403 }),
    context,
  );
  return false;
}

/** A result now, or a promise of it: the pipeline only waits where a user callback returned a promise. */
export type Eventually<T> = T | Promise<T>;

/**
 * @internal Parses the connect params from the request's query, negotiates the serializer, and runs the
 * socket's `connect` and `id`. Reports the client errors of a refusal; the caller answers with its status.
 * Synchronous when `connect` is: a promise only when `connect` returned one.
 */
export function connectSocket(
  endpoint: EndpointContext,
  mount: SocketMount,
  request: IncomingMessage,
  transport: string,
  authToken: string | undefined,
  context: ClientErrorContext,
): Eventually<AcceptedSocket | RefusedSocket> {
  const url = request.url ?? "/";
  const query = url.indexOf("?");
  const params = parseQueryParams(query === -1 ? "" : url.slice(query + 1));
  const serializer = negotiateSerializer(params.vsn);
  if (serializer === null) {
    const error = new ServerError(ServerErrorCode.UNSUPPORTED_VSN, `Unsupported vsn ${JSON.stringify(params.vsn)}; this server speaks 1.0.x and 2.0.x.`, {
      status: 403,
    });
    endpoint.reportClientError(error, context);
    return { status: 403, error };
  }
  const info = new RequestConnectInfo(request, transport, mount.authToken ? authToken : undefined);
  const result = runSocketConnect(endpoint, mount.socketClass, mount.path, params, info, context);
  if (result instanceof Promise) return result.then((settled) => withSerializer(settled, serializer));
  return withSerializer(result, serializer);
}

function withSerializer(result: ConnectedSocket | RefusedSocket, serializer: Serializer): AcceptedSocket | RefusedSocket {
  return "status" in result ? result : { serializer, socket: result.socket, socketId: result.socketId };
}

/** A socket whose `connect` accepted, and its `id()`. */
export interface ConnectedSocket<S extends Socket<object> = Socket<object>> {
  readonly socket: S;
  readonly socketId: string | null;
}

/**
 * @internal Creates a `socketClass` instance and runs its `connect(params, info)` and `id()`, logging and
 * reporting refusals as every transport (and the channel test kit) must: 403 when `connect` does not
 * return `true` (with the reason of a `refuse(reason)`), 500 with `FENIX_ERR_SERVER_CONNECT_CRASHED` when it throws, 500 with
 * `FENIX_ERR_SERVER_BAD_SOCKET_ID` when `id()` is neither a non-empty string nor `null`. Synchronous
 * when `connect` is.
 */
export function runSocketConnect<S extends Socket<object>>(
  endpoint: EndpointContext,
  socketClass: new () => S,
  path: string,
  params: Params,
  info: ConnectInfo,
  context: ClientErrorContext,
): Eventually<ConnectedSocket<S> | RefusedSocket> {
  if (!CONNECTS.hasSubscribers) return connectOnce(endpoint, socketClass, path, params, info, context);
  const startedAt = performance.now();
  const result = connectOnce(endpoint, socketClass, path, params, info, context);
  const publish = (settled: ConnectedSocket<S> | RefusedSocket): ConnectedSocket<S> | RefusedSocket => {
    CONNECTS.publish({
      source: endpoint.api,
      node: endpoint.pubsub.nodeName,
      path,
      transport: info.transport,
      address: context.address,
      socketId: "status" in settled ? null : settled.socketId,
      result: "status" in settled ? (settled.status === 403 ? "refused" : "error") : "ok",
      durationMs: performance.now() - startedAt,
    } satisfies SocketConnected);
    return settled;
  };
  return result instanceof Promise ? result.then(publish) : publish(result);
}

function connectOnce<S extends Socket<object>>(
  endpoint: EndpointContext,
  socketClass: new () => S,
  path: string,
  params: Params,
  info: ConnectInfo,
  context: ClientErrorContext,
): Eventually<ConnectedSocket<S> | RefusedSocket> {
  const socket = new socketClass();
  let accepted: boolean | ConnectRefusal | PromiseLike<boolean | ConnectRefusal>;
  try {
    accepted = socket.connect(params, info);
    if (isThenable<boolean | ConnectRefusal>(accepted)) {
      return Promise.resolve(accepted).then(
        (settled) => connected(endpoint, socketClass, socket, settled, path, info, context),
        (err: unknown) => connectCrashed(endpoint, socketClass, err, path, context),
      );
    }
  } catch (err) {
    return connectCrashed(endpoint, socketClass, err, path, context);
  }
  return connected(endpoint, socketClass, socket, accepted, path, info, context);
}

function connectCrashed(endpoint: EndpointContext, socketClass: new () => unknown, err: unknown, path: string, context: ClientErrorContext): RefusedSocket {
  endpoint.log("error", `connect of ${socketClass.name} threw`, { error: err, path });
  const error = new ServerError(ServerErrorCode.CONNECT_CRASHED, "The socket's connect() threw.", { cause: err, status: 500 });
  endpoint.reportClientError(error, context);
  return { status: 500, error };
}

/** What `connect` answered, turned into the connected socket and its id, or a refusal. */
function connected<S extends Socket<object>>(
  endpoint: EndpointContext,
  socketClass: new () => S,
  socket: S,
  accepted: boolean | ConnectRefusal,
  path: string,
  info: ConnectInfo,
  context: ClientErrorContext,
): ConnectedSocket<S> | RefusedSocket {
  if (accepted !== true) {
    const reason = accepted instanceof ConnectRefusal ? accepted.reason : undefined;
    endpoint.log("info", `refused connection to ${path}`, { address: context.address, transport: info.transport, reason });
    return reason === undefined ? { status: 403, error: undefined } : { status: 403, error: undefined, reason };
  }
  let socketId: string | null;
  try {
    socketId = socket.id();
  } catch (err) {
    return connectCrashed(endpoint, socketClass, err, path, context);
  }
  if (socketId !== null && (typeof socketId !== "string" || socketId.length === 0)) {
    endpoint.log("error", `${socketClass.name}.id() must return a non-empty string or null`, { got: socketId });
    const error = new ServerError(ServerErrorCode.BAD_SOCKET_ID, `${socketClass.name}.id() must return a non-empty string or null.`, { status: 500 });
    endpoint.reportClientError(error, context);
    return { status: 500, error };
  }
  return { socket, socketId };
}

/** Whether {@link connectSocket} accepted the client. */
export function isAccepted(result: AcceptedSocket | RefusedSocket): result is AcceptedSocket {
  return "serializer" in result;
}

/** A transport that forwards its events to the connection's process once it exists. */
export interface AttachableTransport extends Transport {
  attach(listener: TransportListener): void;
}

/**
 * @internal Starts the connection's process (a {@link SocketServer}) as a temporary child of the mount's
 * supervisor, behind `transport`, at once: the connection is adopted by its supervisor in this turn,
 * without a request to the supervisor's process.
 *
 * @returns the process, or `null` when no process can serve the connection (the endpoint is not started,
 * is stopping, or its tree gave up) — the caller answers 503 or closes the transport. `release` is called
 * when the process ends, or at once when none starts.
 */
export function startConnection(
  endpoint: EndpointContext,
  mount: SocketMount,
  transport: AttachableTransport,
  accepted: AcceptedSocket,
  context: ClientErrorContext,
  limits: SocketLimits = mount.limits,
  release?: () => void,
): SocketServer | null {
  const supervisor = mount.supervisor;
  if (supervisor === null || !endpoint.runtime.isAlive(supervisor)) {
    release?.();
    return null;
  }
  let server: SocketServer | null = null;
  const init: SocketServerInit = {
    endpoint,
    transport,
    serializer: accepted.serializer,
    socket: accepted.socket,
    socketId: accepted.socketId,
    router: mount.router,
    limits,
    errorContext: context,
    parent: supervisor,
    release,
  };
  const start = (): Pid => {
    server = new SocketServer(init);
    transport.attach(server);
    return server.pid;
  };
  try {
    startTemporaryChildNow(supervisor, CONNECTION_SPEC, start);
  } catch (err) {
    endpoint.log("error", "could not start a connection process", { error: err, path: mount.path });
    release?.();
    return null;
  }
  return server;
}
