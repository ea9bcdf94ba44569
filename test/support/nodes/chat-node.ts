/**
 * The program of a chat node that tests run as a separate process: the chat demo started with the
 * options in the `CHAT_NODE_OPTIONS` environment variable (JSON), on 127.0.0.1. Prints `READY <url>`
 * once it serves, and stops on SIGTERM (SIGKILL, of course, it cannot see). Logs go to stderr, at info.
 */
import { consoleLogger } from "../../../src/index.js";
import { startChatServer, type ChatServerOptions } from "../../../examples/chat/server.js";

const options = JSON.parse(process.env.CHAT_NODE_OPTIONS ?? "{}") as ChatServerOptions;
const chat = await startChatServer({ host: "127.0.0.1", ...options, logger: consoleLogger("info") });
process.stdout.write(`READY ${chat.url}\n`);
process.once("SIGTERM", () => {
  const exit = () => process.exit(0);
  chat.stop().then(exit, exit);
  setTimeout(exit, 3_000).unref();
});
