/**
 * The chat demo that `npm start` runs: an endpoint serving the chat page and the official `phoenix`
 * browser client, with the chat socket at `/socket`, a room server per room keeping its recent
 * messages, and presence showing who is in each room. Import `startChatServer` to run it from tests.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Endpoint, Presence, PubSub, consoleLogger, type Logger, type SocketOptions } from "../../src/index.js";
import { chatSocket } from "./chat-socket.js";
import { RoomDirectory } from "./room-directory.js";

const here = dirname(fileURLToPath(import.meta.url));
/** The folder holding the official client's browser builds (`phoenix.mjs`, `phoenix.min.js`). */
const phoenixStatic = dirname(createRequire(import.meta.url).resolve("phoenix"));

/** A running chat server. */
export interface ChatServer {
  /** Base URL, such as `http://127.0.0.1:4000`. */
  readonly url: string;
  readonly endpoint: Endpoint;
  /** The room servers (one GenServer per room, holding its recent messages). */
  readonly rooms: RoomDirectory;
  /** Who is in each room (the presence key is the display name; one meta per open tab). */
  readonly presence: Presence;
  stop(): Promise<void>;
}

/** Options of {@link startChatServer}. */
export interface ChatServerOptions {
  /** @defaultValue `PORT` from the environment, else 4000 */
  port?: number;
  /** @defaultValue all interfaces */
  host?: string;
  logger?: Logger;
  /**
   * The socket's `websocket` option. Tests pass a function that refuses chosen clients' upgrades, to see
   * the page fall back to LongPoll. @defaultValue true
   */
  websocket?: SocketOptions["websocket"];
}

/** Starts the chat demo. */
export async function startChatServer(options: ChatServerOptions = {}): Promise<ChatServer> {
  const rooms = new RoomDirectory();
  const pubsub = new PubSub();
  const presence = new Presence(pubsub);
  const endpoint = new Endpoint({
    pubsub,
    port: options.port ?? Number(process.env.PORT ?? 4000),
    ...(options.host !== undefined ? { host: options.host } : {}),
    staticDir: join(here, "public"),
    logger: options.logger ?? consoleLogger("info"),
    children: [pubsub.childSpec(), rooms.childSpec(), presence.childSpec()],
  });
  endpoint.static("/vendor", phoenixStatic);
  endpoint.socket("/socket", chatSocket(rooms, presence), { longpoll: true, ...(options.websocket !== undefined ? { websocket: options.websocket } : {}) });
  await endpoint.start();
  return {
    url: endpoint.url,
    endpoint,
    rooms,
    presence,
    stop: async () => {
      await endpoint.stop();
      await pubsub.stop();
    },
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const chat = await startChatServer();
  console.log(`Fenix chat listening on ${chat.url}`);
  const shutdown = () => {
    chat.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}
