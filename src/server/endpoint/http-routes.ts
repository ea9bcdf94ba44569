/**
 * The HTTP side of an endpoint: where each request and upgrade goes. Requests: LongPoll handlers, the
 * client bundle, a plain GET to a WebSocket path (400), routes, static folders, then 404 (or `next`).
 * Upgrades: upgrade handlers, then socket mounts. The endpoint fills the tables; this only routes.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { isClientBundlePath, serveClientBundle } from "./client-bundle.js";
import type { EndpointContext } from "./endpoint-context.js";
import type { RequestHandler, UpgradeHandler } from "./endpoint-options.js";
import type { LongPollHandler } from "../longpoll/longpoll-handler.js";
import type { StaticMount } from "./static-files.js";
import { refuseUpgrade, upgradeWebSocket, type WebSocketMount } from "../websocket/websocket-upgrade.js";

/** A route added with `endpoint.route`: an exact path, or a prefix (`"/admin/*"`). */
export interface HttpRoute {
  readonly path: string;
  readonly prefix: boolean;
  readonly handler: RequestHandler;
}

/** @internal The routing tables of one endpoint. */
export class HttpRoutes {
  /** Socket mounts by their WebSocket path (`/socket/websocket`). */
  readonly mounts = new Map<string, WebSocketMount>();
  /** LongPoll handlers by path (`/socket/longpoll`). */
  readonly longpolls = new Map<string, LongPollHandler>();
  readonly routes: HttpRoute[] = [];
  readonly upgrades = new Map<string, UpgradeHandler>();
  readonly statics: StaticMount[] = [];

  /** Handles a plain HTTP request (see the module header). */
  handleRequest(req: IncomingMessage, res: ServerResponse, next?: () => void): void {
    const path = (req.url ?? "/").split("?", 1)[0]!;
    const longpoll = this.longpolls.get(path);
    if (longpoll !== undefined) {
      longpoll.handle(req, res);
      return;
    }
    if (isClientBundlePath(path) && (req.method === "GET" || req.method === "HEAD")) {
      serveClientBundle(path, req, res);
      return;
    }
    const mount = this.mounts.get(path);
    if (mount !== undefined && mount.acceptsWebSocket(req)) {
      res.writeHead(400, { "content-type": "text/plain; charset=utf-8" }).end("Expected a WebSocket upgrade.\n");
      return;
    }
    for (const route of this.routes) {
      if (path === route.path || (route.prefix && (route.path === "" || path.startsWith(`${route.path}/`)))) {
        route.handler(req, res);
        return;
      }
    }
    let i = 0;
    const step = (): void => {
      const mount = this.statics[i++];
      if (mount !== undefined) return mount.handle(req, res, step);
      if (next !== undefined) return next();
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("Not found\n");
    };
    step();
  }
  /**
   * Handles an upgrade request: an upgrade handler's path, else a socket mount's `<path>/websocket`.
   * @param accepting - whether the endpoint is started (else 503)
   * @param leaveOthers - leave requests to unknown paths alone (another upgrade handler owns them)
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, endpoint: EndpointContext, accepting: boolean, leaveOthers: boolean): void {
    const url = req.url ?? "/";
    const query = url.indexOf("?");
    const path = query === -1 ? url : url.slice(0, query);
    const handler = this.upgrades.get(path);
    if (handler !== undefined) {
      socket.on("error", ignoreError);
      if (!accepting) {
        refuseUpgrade(socket, 503);
        return;
      }
      handler(req, socket, head);
      return;
    }
    const mount = this.mounts.get(path);
    if (mount === undefined) {
      if (leaveOthers) return;
      refuseUpgrade(socket, 400);
      return;
    }
    socket.on("error", ignoreError);
    if (!mount.acceptsWebSocket(req)) {
      refuseUpgrade(socket, 404);
      return;
    }
    if (!accepting) {
      refuseUpgrade(socket, 503);
      return;
    }
    try {
      upgradeWebSocket(endpoint, mount, req, socket, head)?.catch((err: unknown) => upgradeFailed(endpoint, socket, err));
    } catch (err) {
      upgradeFailed(endpoint, socket, err);
    }
  }
}

/** The `error` listener of an upgrading socket: errors end it, and its close does the cleanup. */
function ignoreError(): void {}

/** An upgrade that threw: logged, answered with 500. */
function upgradeFailed(endpoint: EndpointContext, socket: Duplex, err: unknown): void {
  endpoint.log("error", "WebSocket upgrade failed", { error: err });
  refuseUpgrade(socket, 500);
}
