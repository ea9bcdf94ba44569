/**
 * The logger the server writes to: four levels, a message and structured metadata. Any object with these
 * methods works (pino, winston and console all fit).
 */

/** Where the server's log lines go. */
export interface Logger {
  debug(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

/** Log levels, lowest first. */
export const LogLevel = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 } as const;
/** One of the {@link LogLevel} names. */
export type LogLevel = keyof typeof LogLevel;

/** A logger writing to the console, dropping lines below `level`. @defaultValue level `"warn"` */
export function consoleLogger(level: LogLevel = "warn"): Logger {
  const min = LogLevel[level];
  const line =
    (lvl: Exclude<LogLevel, "silent">, write: (...args: unknown[]) => void) =>
    (message: string, meta?: Record<string, unknown>) => {
      if (LogLevel[lvl] < min) return;
      if (meta === undefined) write(`[fenix] ${lvl} ${message}`);
      else write(`[fenix] ${lvl} ${message}`, meta);
    };
  /* eslint-disable no-console */
  return {
    debug: line("debug", console.debug),
    info: line("info", console.info),
    warn: line("warn", console.warn),
    error: line("error", console.error),
  };
  /* eslint-enable no-console */
}

/** A logger that drops everything. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
