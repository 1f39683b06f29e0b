// The engine's logger: four levels, one line per event, to a file in the app's state folder
// and/or to stderr. Entry points create it from the configuration (the app: a file plus
// warnings on stderr; the CLI: stderr, with --verbose for debug) and pass it down; code that
// is handed none logs nowhere (silentLogger), which is what unit tests want.
import { appendFileSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { LOG_LEVELS, type LogLevel } from '../contract/settings';

export type { LogLevel };

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

export interface Logger {
  readonly level: LogLevel;
  error(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  debug(message: string, fields?: Record<string, unknown>): void;
  /** The same sinks, lines tagged with `scope` (e.g. "media", "import"). */
  child(scope: string): Logger;
  /** True when a message at `level` would be written anywhere. */
  enabled(level: LogLevel): boolean;
}

export interface LoggerOptions {
  /** Least severe level written to the file. */
  level: LogLevel;
  /** Appended to; created with its folder. Null: no file. */
  file?: string | null;
  /** Least severe level also written to stderr; null: nothing on stderr. Default null. */
  stderrLevel?: LogLevel | null;
  /** The file is moved to `<file>.1` (replacing it) once it grows past this. Default 5 MB. */
  maxFileBytes?: number;
  /** Start stderr lines with the time, as in the file (default true; the CLI prints plain lines). */
  stderrTimestamps?: boolean;
  /** Where stderr lines go (tests capture them). */
  stderr?: { write(text: string): unknown };
  now?: () => Date;
}

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value);
}

/** Error objects become their message (and code); everything else is kept as JSON can. */
function fieldsText(fields: Record<string, unknown> | undefined): string {
  if (!fields || Object.keys(fields).length === 0) return '';
  const plain = Object.fromEntries(
    Object.entries(fields).map(([k, v]) => [k, v instanceof Error ? { message: v.message, ...((v as NodeJS.ErrnoException).code ? { code: (v as NodeJS.ErrnoException).code } : {}) } : v]),
  );
  try {
    return ` ${JSON.stringify(plain)}`;
  } catch {
    // A cyclic or BigInt field: the message alone still says what happened.
    return ' {"fields":"unserialisable"}';
  }
}

class Sinks {
  private bytesSinceCheck = 0;
  /** Set once the file could not be written, so a full disk is reported once, not per line. */
  private fileBroken = false;

  constructor(readonly options: LoggerOptions) {
    if (options.file) {
      try {
        mkdirSync(dirname(options.file), { recursive: true });
      } catch (err) {
        this.fileFailed(err);
      }
    }
  }

  write(level: LogLevel, scope: string, message: string, fields?: Record<string, unknown>): void {
    const toFile = Boolean(this.options.file) && !this.fileBroken && RANK[level] <= RANK[this.options.level];
    const toStderr = this.options.stderrLevel != null && RANK[level] <= RANK[this.options.stderrLevel];
    if (!toFile && !toStderr) return;
    const stamp = (this.options.now ?? (() => new Date()))().toISOString();
    const body = `${scope ? `[${scope}] ` : ''}${message.replace(/\n/g, '\\n')}${fieldsText(fields)}\n`;
    const line = `${stamp} ${level.toUpperCase().padEnd(5)} ${body}`;
    if (toStderr) (this.options.stderr ?? process.stderr).write(this.options.stderrTimestamps === false ? `${level}: ${body}` : line);
    if (toFile) this.append(line);
  }

  private append(line: string): void {
    const file = this.options.file!;
    try {
      this.bytesSinceCheck += line.length;
      if (this.bytesSinceCheck > 64 * 1024) {
        this.bytesSinceCheck = 0;
        if ((statSync(file, { throwIfNoEntry: false })?.size ?? 0) > (this.options.maxFileBytes ?? 5 * 1024 * 1024)) renameSync(file, `${file}.1`);
      }
      appendFileSync(file, line);
    } catch (err) {
      this.fileFailed(err);
    }
  }

  private fileFailed(err: unknown): void {
    this.fileBroken = true;
    (this.options.stderr ?? process.stderr).write(`provenance: cannot write the log file ${this.options.file}: ${(err as Error).message}; logging to stderr only\n`);
  }
}

class SinkLogger implements Logger {
  constructor(
    private readonly sinks: Sinks,
    private readonly scope: string,
  ) {}

  /** The most verbose level any sink writes ('error' when none writes at all). */
  get level(): LogLevel {
    const { level, file, stderrLevel } = this.sinks.options;
    const active = [file ? level : null, stderrLevel ?? null].filter((l): l is LogLevel => l !== null);
    return active.reduce<LogLevel>((a, b) => (RANK[b] > RANK[a] ? b : a), 'error');
  }

  enabled(level: LogLevel): boolean {
    const { file, stderrLevel } = this.sinks.options;
    return (Boolean(file) || stderrLevel != null) && RANK[level] <= RANK[this.level];
  }

  error(message: string, fields?: Record<string, unknown>): void {
    this.sinks.write('error', this.scope, message, fields);
  }
  warn(message: string, fields?: Record<string, unknown>): void {
    this.sinks.write('warn', this.scope, message, fields);
  }
  info(message: string, fields?: Record<string, unknown>): void {
    this.sinks.write('info', this.scope, message, fields);
  }
  debug(message: string, fields?: Record<string, unknown>): void {
    this.sinks.write('debug', this.scope, message, fields);
  }
  child(scope: string): Logger {
    return new SinkLogger(this.sinks, this.scope ? `${this.scope}.${scope}` : scope);
  }
}

export function createLogger(options: LoggerOptions): Logger {
  return new SinkLogger(new Sinks(options), '');
}

/** Writes nothing: the default for engine code called without a logger (unit tests). */
export const silentLogger: Logger = createLogger({ level: 'error', file: null, stderrLevel: null });
