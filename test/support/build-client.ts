/**
 * Vitest global setup: builds the browser bundle of fenix/client (dist/client/client.js) before the
 * tests, so that pages served by test endpoints can import `/fenix/client.js`. It takes well under a second.
 */
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export default function setup(): void {
  const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
  execFileSync(process.execPath, [join(root, "scripts", "build-client.mjs")], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
}
