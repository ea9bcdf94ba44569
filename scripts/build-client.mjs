// Builds the browser bundle of fenix/client: one minified ESM file with a source map at
// dist/client/client.js, served by every endpoint at /fenix/client.js. Prints its size, raw and gzipped,
// next to the official phoenix client's minified build.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outfile = join(root, "dist", "client", "client.js");

await build({
  entryPoints: [join(root, "src", "client", "index.ts")],
  outfile,
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  minify: true,
  sourcemap: true,
  legalComments: "none",
  // Loaded only in Node, where no global WebSocket exists; a browser never reaches that import.
  external: ["ws"],
  logLevel: "warning",
});

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} kB`;
const size = (file) => {
  const code = readFileSync(file);
  return `${kb(code.length)} minified, ${kb(gzipSync(code, { level: 9 }).length)} min+gz`;
};
console.log(`dist/client/client.js: ${size(outfile)}`);
const official = join(root, "node_modules", "phoenix", "priv", "static", "phoenix.min.js");
try {
  console.log(`official phoenix client (phoenix.min.js): ${size(official)}`);
} catch {
  // The comparison is informative only.
}
