/**
 * A case-database failure the caller can explain to the user: a database made by a newer
 * version, an unknown id, an operation that does not fit the current state.
 */
export type StoreErrorCode = 'SCHEMA_TOO_NEW' | 'SCHEMA_OUTDATED' | 'NOT_FOUND' | 'NO_CASE' | 'INVALID' | 'CONFLICT';

export class StoreError extends Error {
  readonly code: StoreErrorCode;
  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
    this.code = code;
  }
}
