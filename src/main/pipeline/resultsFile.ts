import { closeSync, existsSync, fsyncSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs';
import type { AnalysisRecord } from '../../contract/evidence';

/** Error codes that do not count as finished: a re-run should try those files again. */
const RETRYABLE = new Set(['CANCELLED', 'INTERNAL', 'MODEL_FAILED']);

/**
 * An append-only JSON Lines results file that survives being killed: each record is one
 * `write` of a whole line, and on re-open a torn last line (the process died mid-write) is cut
 * off, so resuming never leaves a corrupt line in the middle of the file.
 */
export class ResultsFile {
  private fd: number;
  /** Paths with a finished record (ok, or an error that a re-run would repeat). */
  readonly finished = new Set<string>();
  /** Records read back from an earlier run. */
  readonly previous: AnalysisRecord[] = [];

  constructor(readonly path: string, opts: { resume: boolean }) {
    if (opts.resume && existsSync(path)) this.load();
    this.fd = openSync(path, opts.resume ? 'a' : 'w');
  }

  private load(): void {
    const text = readFileSync(this.path, 'utf8');
    const end = text.lastIndexOf('\n') + 1;
    if (end < text.length) truncateSync(this.path, Buffer.byteLength(text.slice(0, end)));
    for (const line of text.slice(0, end).split('\n')) {
      if (!line.trim()) continue;
      let record: AnalysisRecord;
      try {
        record = JSON.parse(line) as AnalysisRecord;
      } catch {
        continue; // a damaged line in the middle is ignored; that file is simply analysed again
      }
      if (record.status === 'ok' || (record.error && !RETRYABLE.has(record.error.code))) {
        this.finished.add(record.path);
        this.previous.push(record);
      }
    }
  }

  append(record: AnalysisRecord): void {
    writeSync(this.fd, JSON.stringify(record) + '\n');
  }

  close(): void {
    fsyncSync(this.fd);
    closeSync(this.fd);
  }
}
