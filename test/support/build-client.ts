/**
 * Vitest global setup: builds the browser bundle of fenix/client (dist/client/client.js) and the
 * dashboard page (dist/dashboard/) before the tests, so that pages served by test endpoints can import
 * `/fenix/client.js` and `/dashboard` can be served. Both take well under a second.
 */
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export default function setup(): void {
  const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
  for (const script of ["build-client.mjs", "build-dashboard.mjs"]) {
    execFileSync(process.execPath, [join(root, "scripts", script)], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
  }
}
