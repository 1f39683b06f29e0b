import { format } from 'node:util';
import type { JobProgress } from '../jobs/progress';

/**
 * Characters a terminal acts on instead of showing: C0 controls but tab and newline (ESC starts
 * escape sequences that can retitle the window, move the cursor, rewrite earlier lines or, on
 * some terminals, answer back; CR overwrites the line), DEL, C1 controls (U+009B is a one-byte
 * CSI), and the Unicode bidirectional controls that make text display in another order.
 */
// eslint-disable-next-line no-control-regex
const TERMINAL_UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` with every character a terminal would act on written as \uXXXX: a file named
 * "a\u001b[2Jb.jpg" prints as that, not as a cleared screen. The same notation is a valid JSON
 * escape, so --json output stays parseable.
 */
export function escapeForTerminal(text: string): string {
  return text.replace(TERMINAL_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Runs `fn` with console.log, .error and .warn printing through escapeForTerminal: whatever a
 * command prints (file names, paths, messages quoting them, JSON) reaches the terminal inert.
 * The progress line writes to the stream itself and prints no names.
 */
export async function withTerminalGuard<T>(fn: () => Promise<T>): Promise<T> {
  const saved = { log: console.log, error: console.error, warn: console.warn };
  console.log = (...args: unknown[]) => saved.log(escapeForTerminal(format(...args)));
  console.error = (...args: unknown[]) => saved.error(escapeForTerminal(format(...args)));
  console.warn = (...args: unknown[]) => saved.warn(escapeForTerminal(format(...args)));
  try {
    return await fn();
  } finally {
    Object.assign(console, saved);
  }
}

/** Seconds as "1h02m", "3m05s" or "12s". */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '--';
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/**
 * A one-line progress bar redrawn in place on a TTY; on a pipe or in CI it prints a plain
 * line every `plainEverySeconds` instead, so logs stay readable.
 */
export class ProgressLine {
  private lastPlain = 0;
  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly label = 'analysing',
    private readonly plainEverySeconds = 5,
  ) {}

  update(p: JobProgress): void {
    const processed = p.done + p.failed + p.skipped;
    const total = p.total ?? 0;
    const fraction = total > 0 ? Math.min(1, processed / total) : 0;
    const stats = `${processed}/${p.total ?? '?'}  ${p.failed} failed  ${p.skipped} skipped  ${p.rate.toFixed(1)}/s  ETA ${formatDuration(p.etaSeconds)}`;
    if (this.stream.isTTY) {
      const width = 24;
      const filled = Math.round(fraction * width);
      const line = `${this.label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.round(fraction * 100)}%  ${stats}`;
      this.stream.write(`\r${line.slice(0, (this.stream.columns || 120) - 1).padEnd(Math.min(this.stream.columns || 120, 120) - 1)}`);
    } else if (p.elapsedSeconds - this.lastPlain >= this.plainEverySeconds || (total > 0 && processed === total)) {
      this.lastPlain = p.elapsedSeconds;
      this.stream.write(`${this.label}: ${stats}\n`);
    }
  }

  end(): void {
    if (this.stream.isTTY) this.stream.write('\n');
  }
}

/** A plain-text table with aligned columns (numbers right-aligned). */
export function formatTable(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  const numeric = header.map((_, c) => rows.length > 0 && rows.every((r) => typeof r[c] === 'number' || /^[-+]?\d[\d.,%]*$/.test(String(r[c]))));
  const line = (r: string[]) => r.map((v, c) => (numeric[c] ? v.padStart(widths[c]) : v.padEnd(widths[c]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}
