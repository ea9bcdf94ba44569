// A program that loads Fenix and then fails to start (a rejected top-level await: a port in use, a bad
// option) exits with code 1 and says why, although Fenix listens for escaped errors to keep servers up.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

describe("a program whose start fails", () => {
  it("exits with code 1 and prints the error", () => {
    const result = spawnSync(process.execPath, ["--import", "tsx", "test/support/nodes/failed-start.ts"], { cwd: root, encoding: "utf8", timeout: 20_000 });
    expect(result.stderr).toContain("the start failed (test)");
    expect(result.status).toBe(1);
  });
});
