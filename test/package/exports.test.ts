// The package entry exports exactly the list documented in docs/api.md (values and types alike, read by
// the TypeScript compiler), and every subpath named in package.json's exports resolves to a module.
import { readFileSync } from "node:fs";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const root = new URL("../../", import.meta.url);

let cached: string[] | null = null;

/** Every name src/index.ts exports, as the compiler sees it (one program for the file). */
function entryExports(): string[] {
  return (cached ??= compileExports());
}

function compileExports(): string[] {
  const file = new URL("src/index.ts", root).pathname;
  const program = ts.createProgram([file], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const module = checker.getSymbolAtLocation(program.getSourceFile(file)!)!;
  return checker.getExportsOfModule(module).map((symbol) => symbol.getName()).sort();
}

/** The names the `fenix` section of docs/api.md lists. */
function documentedExports(): string[] {
  const doc = readFileSync(new URL("docs/api.md", root), "utf8");
  const section = doc.slice(doc.indexOf("## `fenix`"));
  const names = [...section.matchAll(/^- \*\*[^*]+\*\*: (.+)$/gm)].flatMap((line) => [...line[1]!.matchAll(/`(\w+)`/g)].map((m) => m[1]!));
  return names.sort();
}

describe("the package entry", () => {
  it("exports exactly the names docs/api.md lists", () => {
    const exported = entryExports();
    const documented = documentedExports();
    expect(documented.length).toBeGreaterThan(100);
    expect(new Set(documented).size).toBe(documented.length);
    expect(exported.filter((name) => !documented.includes(name)), "exported but not documented").toEqual([]);
    expect(documented.filter((name) => !exported.includes(name)), "documented but not exported").toEqual([]);
  });

  it("keeps internals out: codecs, dispatchers, CRDT helpers and clock internals live in their subpaths", () => {
    const exported = new Set(entryExports());
    for (const internal of ["FastlaneSubscription", "fastlaneDispatcher", "TopicRouter", "parseQueryParams", "encodeTerm", "PresenceCrdt", "mergeClocks", "V2JsonSerializer", "MemoryBus"]) {
      expect(exported.has(internal), internal).toBe(false);
    }
  });

  it("has a module behind every subpath of package.json", async () => {
    const pkg = JSON.parse(readFileSync(new URL("package.json", root), "utf8")) as { exports: Record<string, string | { types: string }> };
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      if (typeof target === "string") continue;
      const source = target.types.replace("./dist/", "").replace(/\.d\.ts$/, ".ts");
      const module = (await import(new URL(source, root).href)) as object;
      expect(Object.keys(module).length, subpath).toBeGreaterThan(0);
    }
  });
});
