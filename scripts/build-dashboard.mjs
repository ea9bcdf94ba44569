// Builds the dashboard page of fenix/dashboard into dist/dashboard/: index.html, and assets/ with one
// minified ES module (the page's code and uPlot; fenix/client stays external, imported from
// /fenix/client.js, which every endpoint serves) and one stylesheet, both with source maps. Prints sizes.
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const page = join(root, "src", "dashboard", "page");
const out = join(root, "dist", "dashboard");
const assets = join(out, "assets");

mkdirSync(assets, { recursive: true });
await build({
  entryPoints: { dashboard: join(page, "main.js") },
  outdir: assets,
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  minify: true,
  sourcemap: true,
  legalComments: "none",
  // The page runs on the client bundle its endpoint serves.
  external: ["/fenix/client.js"],
  logLevel: "warning",
});
await build({
  entryPoints: { dashboard: join(page, "dashboard.css") },
  outdir: assets,
  bundle: true,
  minify: true,
  sourcemap: true,
  logLevel: "warning",
});
copyFileSync(join(page, "index.html"), join(out, "index.html"));

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} kB`;
for (const name of ["dashboard.js", "dashboard.css"]) {
  const code = readFileSync(join(assets, name));
  console.log(`dist/dashboard/assets/${name}: ${kb(code.length)} minified, ${kb(gzipSync(code, { level: 9 }).length)} min+gz`);
}
