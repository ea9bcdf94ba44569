/**
 * Keeps docs/errors.md in step with the code. The codes are read from every `src/**\/errors.ts` at test
 * time (each `*ErrorCode` object it exports), so a new layer or a new code is checked without touching
 * this file: every code must be documented, every code the page names must exist, and every code must be
 * unique and named `FENIX_ERR_<AREA>_<PROBLEM>` after its layer.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const srcDir = join(root, "src");
const doc = readFileSync(join(root, "docs", "errors.md"), "utf8");

/** One code of one `*ErrorCode` object. */
interface CodeEntry {
  /** Path from the repository root, with forward slashes: `src/server/errors.ts`. */
  readonly file: string;
  /** The top folder under src/: `server`. */
  readonly layer: string;
  /** The exported object: `ServerErrorCode`. */
  readonly object: string;
  /** The key in that object: `BAD_PATH`. */
  readonly key: string;
  /** The value: `FENIX_ERR_SERVER_BAD_PATH`. */
  readonly code: unknown;
}

interface ErrorsFile {
  readonly file: string;
  readonly layer: string;
  readonly objects: readonly string[];
}

function findErrorsFiles(): string[] {
  return readdirSync(srcDir, { recursive: true, encoding: "utf8" })
    .filter((path) => path.split(sep).at(-1) === "errors.ts")
    .map((path) => join(srcDir, path))
    .sort();
}

async function loadCodes(): Promise<{ files: ErrorsFile[]; entries: CodeEntry[] }> {
  const files: ErrorsFile[] = [];
  const entries: CodeEntry[] = [];
  for (const path of findErrorsFiles()) {
    const file = relative(root, path).split(sep).join("/");
    const layer = file.split("/")[1]!;
    const module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
    const objects: string[] = [];
    for (const [name, value] of Object.entries(module)) {
      if (!name.endsWith("ErrorCode") || typeof value !== "object" || value === null) continue;
      objects.push(name);
      for (const [key, code] of Object.entries(value)) entries.push({ file, layer, object: name, key, code });
    }
    files.push({ file, layer, objects });
  }
  return { files, entries };
}

const { files, entries } = await loadCodes();
const codesInCode = new Set(entries.map((e) => e.code));
const codesInDoc = new Set(doc.match(/FENIX_ERR_[A-Z0-9_]+/g) ?? []);
const label = (e: CodeEntry) => `${e.object}.${e.key} (${e.file})`;

describe("the errors.ts files", () => {
  it("are found under src/", () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files.map((f) => [f.file, f] as const))("%s exports at least one *ErrorCode object", (_file, f) => {
    expect(f.objects.length).toBeGreaterThan(0);
  });
});

describe("error codes", () => {
  it.each(entries.map((e) => [label(e), e] as const))("%s is named FENIX_ERR_<AREA>_<KEY> after its layer", (_label, e) => {
    const area = e.layer.toUpperCase().replace(/-/g, "_");
    expect(typeof e.code).toBe("string");
    expect(e.code).toMatch(/^FENIX_ERR_[A-Z0-9]+(?:_[A-Z0-9]+)+$/);
    expect(e.code).toBe(`FENIX_ERR_${area}_${e.key}`);
  });

  it("are unique across all layers", () => {
    const seen = new Map<unknown, string>();
    const duplicates: string[] = [];
    for (const e of entries) {
      const first = seen.get(e.code);
      if (first === undefined) seen.set(e.code, label(e));
      else duplicates.push(`${String(e.code)}: ${first} and ${label(e)}`);
    }
    expect(duplicates).toEqual([]);
  });
});

describe("docs/errors.md", () => {
  it.each(entries.map((e) => [String(e.code), e] as const))("documents %s", (code) => {
    expect(codesInDoc.has(code), `${code} is missing from docs/errors.md`).toBe(true);
  });

  it("names only codes that exist in the code", () => {
    expect([...codesInDoc].filter((code) => !codesInCode.has(code))).toEqual([]);
  });

  it.each(files.map((f) => [f.file] as const))("has a section for %s", (file) => {
    expect(doc).toContain(`\`${file}\``);
  });
});
