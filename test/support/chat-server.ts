/**
 * Runs the chat demo once for a test file (port 0, silent) and closes every official client and the
 * server after it. The returned object reads the running server.
 */
import { afterAll, beforeAll } from "vitest";
import { silentLogger } from "../../src/index.js";
import { startChatServer, type ChatServer } from "../../examples/chat/server.js";
import { closeAllClients } from "./phoenix-client.js";

/** The chat server of the current test file, and its socket URL for the official client. */
export interface ChatFixture {
  readonly server: ChatServer;
  readonly socketUrl: string;
}

/** Starts the chat demo before the file's tests and stops it after them. */
export function useChatServer(): ChatFixture {
  let server: ChatServer | undefined;
  beforeAll(async () => {
    server = await startChatServer({ port: 0, host: "127.0.0.1", logger: silentLogger });
  });
  afterAll(async () => {
    await closeAllClients();
    await server?.stop();
  });
  const current = (): ChatServer => {
    if (server === undefined) throw new Error("useChatServer(): the chat server runs only while the file's tests run");
    return server;
  };
  return {
    get server() {
      return current();
    },
    get socketUrl() {
      return `${current().url.replace(/^http/, "ws")}/socket`;
    },
  };
}
