/**
 * Starts {{appName}}: `npm start` (or `npm run dev`, which restarts on changes) runs this file.
 * PORT chooses the port (default 4000), HOST the interface; SECRET_KEY_BASE (from `npx fenix gen secret`)
 * signs LongPoll sessions and must be the same on every node serving them. SIGINT and SIGTERM close every connection cleanly (clients
 * reconnect, to another node if there is one) before the process exits.
 */
import { createEndpoint } from "./endpoint.js";

const port = Number(process.env.PORT ?? 4000);
const endpoint = createEndpoint({
  port,
  ...(process.env.HOST ? { host: process.env.HOST } : {}),
  ...(process.env.SECRET_KEY_BASE ? { secretKeyBase: process.env.SECRET_KEY_BASE } : {}),
});
await endpoint.start();
console.log(`{{appName}} is listening on ${endpoint.url}`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    console.log(`${signal}: closing connections`);
    void endpoint.stop().then(() => process.exit(0));
  });
}
