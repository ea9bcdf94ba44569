/**
 * The names a generator derives from what the user typed (`Room`, `chat_room`, `ChatRoom`, `chat-room`):
 * a class name, a camelCase value name, a kebab-case file name and a snake_case topic prefix.
 */
import { CliError, CliErrorCode } from "./errors.js";

/** Every spelling of one name. */
export interface Names {
  /** `ChatRoom` */
  readonly pascal: string;
  /** `chatRoom` */
  readonly camel: string;
  /** `chat-room` */
  readonly kebab: string;
  /** `chat_room` */
  readonly snake: string;
}

/**
 * Splits a name into words and spells it every way.
 * @throws CliError `FENIX_ERR_CLI_BAD_NAME` for a name that is empty, does not start with a letter, or
 * holds characters other than letters, digits, `_` and `-`.
 */
export function namesOf(input: string): Names {
  if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(input)) {
    throw new CliError(
      CliErrorCode.BAD_NAME,
      `"${input}" is not a usable name: start with a letter and use letters, digits, "_" or "-" (for example Room or chat_room).`,
    );
  }
  const words = input
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .split(/[\s_-]+/)
    .filter((word) => word.length > 0)
    .map((word) => word.toLowerCase());
  const capital = (word: string): string => word.charAt(0).toUpperCase() + word.slice(1);
  const pascal = words.map(capital).join("");
  return {
    pascal,
    camel: pascal.charAt(0).toLowerCase() + pascal.slice(1),
    kebab: words.join("-"),
    snake: words.join("_"),
  };
}

/**
 * Checks an application name for `fenix new`: it becomes the folder and the npm package name.
 * @throws CliError `FENIX_ERR_CLI_BAD_NAME` unless it is lower case letters, digits, `-` and `_`, starting with a letter.
 */
export function checkAppName(name: string): void {
  if (!/^[a-z][a-z0-9_-]{0,213}$/.test(name)) {
    throw new CliError(
      CliErrorCode.BAD_NAME,
      `"${name}" is not a valid application name: use lower case letters, digits, "-" and "_", starting with a letter (for example my_app).`,
    );
  }
}
