import type { FileError } from '../contract/evidence';

/**
 * An error the user can act on, tied to one file. Engine modules throw it; the batch runner
 * turns it into a per-file `FileError` record and carries on with the next file.
 */
export class EvidenceError extends Error {
  readonly code: FileError['code'];
  constructor(code: FileError['code'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EvidenceError';
    this.code = code;
  }
}

/** Any thrown value as a FileError; unknown failures keep their message under INTERNAL. */
export function toFileError(err: unknown): FileError {
  if (err instanceof EvidenceError) return { code: err.code, message: err.message };
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'INTERNAL', message: `Unexpected failure: ${message}` };
}
