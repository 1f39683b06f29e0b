/** Why a report could not be made, as a sentence the user can act on. */
export type ReportErrorCode = 'NO_CASE' | 'NO_EXAMINER' | 'TEMPLATE_MISSING' | 'UNKNOWN_ITEMS' | 'UNKNOWN_EVALUATION' | 'PRINT_FAILED' | 'CANCELLED' | 'BAD_TARGET' | 'NO_BROWSER';

export class ReportError extends Error {
  constructor(readonly code: ReportErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReportError';
  }
}
