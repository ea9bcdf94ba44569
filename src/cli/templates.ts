/**
 * The generators' templates: files under the package's `templates/` folder, rendered with values and
 * flags, then written into a project without ever silently replacing a user's file.
 *
 * Template syntax: `{{name}}` is replaced by a value (an unknown name is an error); a line holding only
 * `{{#if flag}}` or `{{#unless flag}}` opens a block that `{{/if}}` / `{{/unless}}` closes, kept or dropped
 * whole. A template file ends in `.tpl`, which is dropped; a file named `gitignore` is written as
 * `.gitignore` (npm leaves `.gitignore` files out of packages). Paths may hold `{{name}}` too.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { CliError, CliErrorCode } from "./errors.js";

/** Values and flags a template is rendered with. */
export interface TemplateContext {
  readonly values: Readonly<Record<string, string>>;
  readonly flags: Readonly<Record<string, boolean>>;
}

/** What happened to one file. */
export type WriteOutcome = "created" | "unchanged" | "overwritten";

/** One rendered file: its path relative to the target folder and its content. */
export interface RenderedFile {
  readonly path: string;
  readonly content: string;
}

/** The package root: the nearest folder above this module holding `templates/`. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "templates")) && existsSync(join(dir, "package.json"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new CliError(CliErrorCode.BAD_PROJECT_FILE, "The fenix package's templates/ folder is missing; reinstall fenix.");
    dir = parent;
  }
}

/** The version of the installed fenix package. */
export function fenixVersion(): string {
  const manifest = JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version?: unknown };
  return typeof manifest.version === "string" ? manifest.version : "0.0.0";
}

/** Renders one template's text. */
export function renderText(text: string, context: TemplateContext, source = "template"): string {
  const out: string[] = [];
  const stack: { keep: boolean; kind: "if" | "unless" }[] = [];
  const lines = text.split("\n");
  for (const [index, line] of lines.entries()) {
    const open = /^\s*\{\{#(if|unless) ([A-Za-z]\w*)\}\}\s*$/.exec(line);
    if (open !== null) {
      const [, kind, flag] = open as unknown as [string, "if" | "unless", string];
      if (!(flag in context.flags)) throw new CliError(CliErrorCode.BAD_PROJECT_FILE, `${source}:${index + 1}: unknown flag "${flag}".`);
      const value = context.flags[flag] === true;
      stack.push({ kind, keep: kind === "if" ? value : !value });
      continue;
    }
    const close = /^\s*\{\{\/(if|unless)\}\}\s*$/.exec(line);
    if (close !== null) {
      if (stack.pop()?.kind !== close[1]) throw new CliError(CliErrorCode.BAD_PROJECT_FILE, `${source}:${index + 1}: unmatched {{/${close[1]}}}.`);
      continue;
    }
    if (stack.every((block) => block.keep)) out.push(substitute(line, context, `${source}:${index + 1}`));
  }
  if (stack.length > 0) throw new CliError(CliErrorCode.BAD_PROJECT_FILE, `${source}: a {{#${stack.at(-1)!.kind}}} block is not closed.`);
  return out.join("\n");
}

function substitute(text: string, context: TemplateContext, where: string): string {
  return text.replace(/\{\{([A-Za-z]\w*)\}\}/g, (_, name: string) => {
    const value = context.values[name];
    if (value === undefined) throw new CliError(CliErrorCode.BAD_PROJECT_FILE, `${where}: unknown value "${name}".`);
    return value;
  });
}

/** Renders every file of `templates/<set>/` (recursively), with paths relative to that folder. */
export function renderSet(set: string, context: TemplateContext): RenderedFile[] {
  const root = join(packageRoot(), "templates", set);
  if (!existsSync(root)) throw new CliError(CliErrorCode.BAD_PROJECT_FILE, `The template set "${set}" is missing from the fenix package.`);
  const files = readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name))
    .sort();
  return files.map((file) => {
    const rel = relative(root, file).split(sep).join("/");
    const target = substitute(rel, context, rel)
      .replace(/\.tpl$/, "")
      .replace(/(^|\/)gitignore$/, "$1.gitignore");
    return { path: target, content: renderText(readFileSync(file, "utf8"), context, `templates/${set}/${rel}`) };
  });
}

/**
 * Writes `file` under `dir`: a missing file is created, an identical one left alone, a different one
 * replaced only with `force`.
 * @throws CliError `FENIX_ERR_CLI_FILE_EXISTS` when the file exists with other content and `force` is false.
 */
export function writeFile(dir: string, file: RenderedFile, force: boolean): WriteOutcome {
  const path = join(dir, file.path);
  if (existsSync(path)) {
    if (readFileSync(path, "utf8") === file.content) return "unchanged";
    if (!force) {
      throw new CliError(CliErrorCode.FILE_EXISTS, `${file.path} already exists with other content; run again with --force to overwrite it.`);
    }
    writeFileSync(path, file.content);
    return "overwritten";
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, file.content);
  return "created";
}

/**
 * Checks that none of `files` would be refused, then writes them all: either every file is written or,
 * when one exists with other content and `force` is false, none is.
 */
export function writeFiles(dir: string, files: readonly RenderedFile[], force: boolean): Array<{ path: string; outcome: WriteOutcome }> {
  if (!force) {
    for (const file of files) {
      const path = join(dir, file.path);
      if (existsSync(path) && readFileSync(path, "utf8") !== file.content) {
        throw new CliError(CliErrorCode.FILE_EXISTS, `${file.path} already exists with other content; nothing was written. Run again with --force to overwrite it.`);
      }
    }
  }
  return files.map((file) => ({ path: file.path, outcome: writeFile(dir, file, force) }));
}
