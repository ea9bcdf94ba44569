/**
 * The package as a user installs it: `npm pack` on the working tree (its prepack builds), the tarball's
 * contents, and a scratch application outside the repository that installs the tarball, starts an
 * endpoint, fetches `/fenix/client.js` and connects a client — so packaging cannot silently break.
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { join } from "node:path";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanup, packFenix, repoRoot, runCommand, type Packed } from "../support/package.js";

let packed: Packed | undefined;
let app: string;

beforeAll(async () => {
  packed = await packFenix();
  app = join(packed.scratch, "app");
  mkdirSync(app);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "scratch-app", private: true, type: "module", dependencies: { fenix: `file:${packed.tarball}` } }, null, 2));
  const install = await runCommand("npm", ["install", "--no-audit", "--no-fund"], app);
  expect(install.code, install.stderr).toBe(0);
}, 240_000);

afterAll(() => cleanup(packed));

describe("the packed tarball", () => {
  const has = (file: string) => packed!.files.includes(file);

  it("holds the build, the browser bundle with its map, types, templates, docs and the license", () => {
    for (const file of [
      "package.json",
      "README.md",
      "LICENSE",
      "dist/src/index.js",
      "dist/src/index.d.ts",
      "dist/src/client/index.js",
      "dist/src/client/index.d.ts",
      "dist/src/pubsub/redis/index.js",
      "dist/src/testing/adapter.js",
      "dist/src/cli/main.js",
      "dist/client/client.js",
      "dist/client/client.js.map",
      "dist/dashboard/index.html",
      "dist/dashboard/assets/dashboard.js",
      "dist/src/metrics/index.js",
      "dist/src/dashboard/index.js",
      "docs/channels.md",
      "templates/new/package.json.tpl",
      "templates/new/gitignore.tpl",
    ]) {
      expect(has(file), file).toBe(true);
    }
  });

  it("ships no sources, tests, benchmarks or examples", () => {
    const stray = packed!.files.filter((f) => /^(src|test|bench|examples|scripts)\//.test(f) || /^dist\/(test|bench|examples)/.test(f));
    expect(stray).toEqual([]);
  });

  it("has source maps that carry their sources, so no map points at a file left out", () => {
    const root = join(app, "node_modules", "fenix");
    const maps = packed!.files.filter((f) => f.endsWith(".map"));
    expect(maps.length).toBeGreaterThan(50);
    for (const map of maps) {
      const parsed = JSON.parse(readFileSync(join(root, map), "utf8")) as { sources: string[]; sourcesContent?: (string | null)[] };
      expect(parsed.sourcesContent?.length, map).toBe(parsed.sources.length);
      expect(parsed.sourcesContent!.every((s) => typeof s === "string" && s.length > 0), map).toBe(true);
    }
  });

  it("depends at run time on exactly what dist imports", () => {
    const manifest = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
      peerDependencies?: Record<string, string>;
      peerDependenciesMeta?: Record<string, { optional?: boolean }>;
    };
    const root = join(app, "node_modules", "fenix");
    const imported = new Set<string>();
    for (const file of readdirSync(join(root, "dist"), { recursive: true, encoding: "utf8" })) {
      if (!file.endsWith(".js")) continue;
      const code = readFileSync(join(root, "dist", file), "utf8");
      // TypeScript's own scanner: imports and dynamic imports, not words in comments or strings.
      for (const { fileName: spec } of ts.preProcessFile(code, true, true).importedFiles) {
        if (spec.startsWith(".") || spec.startsWith("/")) continue;
        const name = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!;
        if (name.startsWith("node:") || builtinModules.includes(name) || name === "fenix") continue;
        imported.add(name);
      }
    }
    const optionalPeers = Object.keys(manifest.peerDependencies ?? {}).filter((p) => manifest.peerDependenciesMeta?.[p]?.optional === true);
    expect([...imported].sort()).toEqual([...Object.keys(manifest.dependencies), ...optionalPeers].sort());
    expect(manifest.dependencies).not.toHaveProperty("phoenix");
  });
});

describe("a scratch application with the tarball installed", () => {
  it("starts an endpoint that serves /fenix/client.js, and a client joins and gets a reply", async () => {
    writeFileSync(
      join(app, "app.mjs"),
      `import { Channel, Endpoint, Socket, ok, reply } from "fenix";
import { Socket as Client } from "fenix/client";
import { adapterConformance } from "fenix/testing/adapter";

class Echo extends Channel {
  join() { return ok({ hello: "world" }); }
  handleIn(event, payload) { return reply("ok", { event, payload }); }
}
class UserSocket extends Socket { static channels = [["echo:*", Echo]]; }

const endpoint = new Endpoint({ port: 0, host: "127.0.0.1" });
endpoint.socket("/socket", UserSocket);
await endpoint.start();
const res = await fetch(endpoint.url + "/fenix/client.js");
const bundle = await res.text();
const client = new Client(endpoint.url.replace("http", "ws") + "/socket");
client.connect();
const channel = client.channel("echo:1");
const joined = await channel.join();
const answer = await channel.push("ping", { n: 1 });
console.log(JSON.stringify({ status: res.status, type: res.headers.get("content-type"), bundleBytes: bundle.length, exportsSocket: /export\\s*\\{[^}]*Socket/.test(bundle), joined, answer, conformance: typeof adapterConformance }));
await client.disconnect();
await endpoint.stop();
`,
    );
    const result = await runCommand(process.execPath, ["app.mjs"], app, {}, 30_000);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout.trim().split("\n").at(-1)!) as Record<string, unknown>;
    expect(report).toMatchObject({
      status: 200,
      type: "text/javascript; charset=utf-8",
      exportsSocket: true,
      joined: { hello: "world" },
      answer: { event: "ping", payload: { n: 1 } },
      conformance: "function",
    });
    expect(report.bundleBytes).toBeGreaterThan(10_000);
  }, 60_000);

  it("serves the dashboard and the metrics from the installed package", async () => {
    writeFileSync(
      join(app, "ops.mjs"),
      `import { Endpoint } from "fenix";
import { enableDashboard } from "fenix/dashboard";
import { enableMetrics } from "fenix/metrics";

const endpoint = new Endpoint({ port: 0, host: "127.0.0.1" });
enableDashboard(endpoint);
enableMetrics(endpoint, { path: "/metrics" });
await endpoint.start();
const page = await fetch(endpoint.url + "/dashboard");
const html = await page.text();
const script = html.match(/src="([^"]+\\.js)"/)?.[1];
const asset = script === undefined ? null : await fetch(new URL(script, endpoint.url + "/dashboard/"));
const metrics = await fetch(endpoint.url + "/metrics");
const text = await metrics.text();
console.log(JSON.stringify({ page: page.status, asset: asset?.status ?? null, metrics: metrics.status, hasConnections: /^fenix_connections/m.test(text) }));
await endpoint.stop();
`,
    );
    const result = await runCommand(process.execPath, ["ops.mjs"], app, {}, 30_000);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout.trim().split("\n").at(-1)!)).toEqual({ page: 200, asset: 200, metrics: 200, hasConnections: true });
  }, 60_000);

  it("links the fenix command: npx fenix --version and --help", async () => {
    const version = await runCommand("npx", ["--no-install", "fenix", "--version"], app, {}, 30_000);
    expect(version.code, version.stderr).toBe(0);
    expect(version.stdout.trim()).toBe((JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string }).version);
    const help = await runCommand("npx", ["--no-install", "fenix", "--help"], app, {}, 30_000);
    expect(help.code).toBe(0);
    for (const command of ["new", "server", "routes", "gen channel", "gen socket", "gen presence", "gen secret", "connect"]) expect(help.stdout).toContain(command);
  }, 60_000);

  it("refuses a missing static folder with a typed error instead of a raw ENOENT", async () => {
    writeFileSync(
      join(app, "static.mjs"),
      `import { Endpoint } from "fenix";
try { new Endpoint({ staticDir: "public" }); console.log("no error"); }
catch (err) { console.log(JSON.stringify({ code: err.code, message: err.message })); }
`,
    );
    const result = await runCommand(process.execPath, ["static.mjs"], app, {}, 30_000);
    const report = JSON.parse(result.stdout.trim()) as { code: string; message: string };
    expect(report.code).toBe("FENIX_ERR_SERVER_BAD_OPTION");
    expect(report.message).toContain('"public"');
    expect(report.message).toContain("does not exist");
  }, 30_000);
});
