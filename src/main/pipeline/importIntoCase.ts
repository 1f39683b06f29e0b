import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RunParameters } from '../../contract/case';
import type { AnalysisRecord, ElaParameters, EvidenceMetadata } from '../../contract/evidence';
import type { ImportSummary } from '../../contract/jobs';
import { DEFAULT_ELA_PARAMETERS } from '../analysis';
import type { Detector } from '../inference/detector';
import type { ModelCatalogue, ModelSelection } from '../inference/catalogue';
import { sha256File, type IngestOptions } from '../ingest';
import type { JobProgress } from '../jobs/progress';
import { ensureDerivedFolders, recordFindings, type AnchorBook, type CaseStore } from '../store';
import { canonicalJson } from '../store/canonicalJson';
import { SOFTWARE_VERSION } from '../version';
import { analyzeBatch } from './analyzeBatch';
import { defaultPrepareWorkers } from './preparePool';

export type { ImportSummary };

export interface ImportOptions {
  paths: string[];
  /** Model ids; default: every model the catalogue lists. */
  models?: string[];
  elaQuality?: number;
  /** Which models, which files, and the configured execution provider. */
  catalogue: ModelCatalogue;
  /** The configured limits (config.maxPixels, config.maxFileBytes). */
  ingest: IngestOptions;
  /** Told which models were opened (on which provider), skipped or hidden, before any file. */
  onDetectors?: (opened: ModelSelection & { detectors: Detector[] }) => void;
  /**
   * Copy every image into the case folder (evidence/<sha256>/<name>, read-only) and read it from
   * there from then on; the copy is hashed again and must match the bytes analysed.
   */
  copyEvidence?: boolean;
  /** Prepare worker threads (default: defaultPrepareWorkers()). */
  workers?: number;
  signal?: AbortSignal;
  onProgress?: (p: JobProgress) => void;
  onFileError?: (path: string, code: string, message: string) => void;
  /** Memory the files in flight may take together (default: defaultMemoryBudget()). */
  memoryBudgetBytes?: number;
  /** This installation's anchors: the head is anchored when the import ends (cancelled included). */
  anchorBook?: AnchorBook;
}

/** Folder of a case that holds copies of its evidence (copyEvidence). */
export const EVIDENCE_COPY_DIR = 'evidence';

/** A refusal of the whole import, before anything was started or written. */
export class ImportError extends Error {
  constructor(readonly code: 'PATH_NOT_FOUND', message: string) {
    super(message);
    this.name = 'ImportError';
  }
}

/**
 * Paths given to an import that do not exist (not even as a broken symbolic link: a link is
 * submitted evidence and becomes a refused item). Checked before a job, run or audit entry.
 */
export function missingImportPaths(paths: readonly string[]): string[] {
  return paths.filter((p) => {
    try {
      lstatSync(p);
      return false;
    } catch {
      // lstat fails only when nothing is there, not even a (broken) link: that is the answer.
      return true;
    }
  });
}

export function assertImportPathsExist(paths: readonly string[]): void {
  const missing = missingImportPaths(paths);
  if (missing.length === 0) return;
  throw new ImportError(
    'PATH_NOT_FOUND',
    missing.length === 1
      ? `${missing[0]} does not exist: check the path. Nothing was imported.`
      : `${missing.length} paths do not exist (${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''}): check them. Nothing was imported.`,
  );
}

/**
 * Copies one image into the case folder and checks the copy's SHA-256 against the hash of the
 * bytes that were analysed: a mismatch (the source changed meanwhile, a bad disk) deletes the
 * copy and keeps the item at its submitted path. The copy is made read-only.
 */
export async function copyIntoCase(caseDir: string, metadata: EvidenceMetadata): Promise<{ path: string } | { problem: string }> {
  const dir = join(caseDir, EVIDENCE_COPY_DIR, metadata.sha256);
  const target = join(dir, metadata.fileName);
  try {
    if (existsSync(target) && (await sha256File(target)) === metadata.sha256) return { path: target };
    mkdirSync(dir, { recursive: true });
    rmSync(target, { force: true });
    copyFileSync(metadata.path, target);
    const copied = await sha256File(target);
    if (copied !== metadata.sha256) {
      rmSync(target, { force: true });
      return { problem: `the copy into the case folder hashed to ${copied}, not ${metadata.sha256} (did the file change while it was imported?); the copy was deleted and the item is read from ${metadata.path}` };
    }
    chmodSync(target, 0o444);
    return { path: target };
  } catch (err) {
    rmSync(target, { force: true });
    return { problem: `the file could not be copied into the case folder (${(err as Error).message}); the item is read from ${metadata.path}` };
  }
}

/**
 * Imports files into the open case and analyses them in one pass: each file becomes an evidence
 * item (hash, metadata) with its result (ELA, scores) committed in one transaction, so a run
 * killed at any moment keeps every finished file. If the newest run was interrupted (crash,
 * kill -9, cancel) and used the same models and ELA settings, it is resumed: files it finished
 * are skipped, never analysed or stored twice. A file refused at import (empty, not an image,
 * unreadable, a loop) becomes a refused item with its reason, so nothing submitted disappears.
 * A path that does not exist refuses the whole import before any run or audit entry exists.
 */
export async function importIntoCase(store: CaseStore, opts: ImportOptions): Promise<ImportSummary> {
  assertImportPathsExist(opts.paths);
  const opened = await opts.catalogue.openDetectors({ ids: opts.models });
  const { detectors } = opened;
  try {
    opts.onDetectors?.(opened);
    const ela: ElaParameters = { ...DEFAULT_ELA_PARAMETERS, quality: opts.elaQuality ?? DEFAULT_ELA_PARAMETERS.quality };
    const parameters: RunParameters = {
      ela,
      models: detectors.map((d) => ({ id: d.model.manifest.id, version: d.model.manifest.version, onnxSha256: d.model.manifest.sha256 })),
      provider: opts.catalogue.provider,
    };
    const previous = store.resumableRun();
    const resumed = previous !== null && canonicalJson(previous.parameters) === canonicalJson(parameters);
    const run = resumed ? store.resumeRun(previous.id) : store.startRun({ parameters, softwareVersion: SOFTWARE_VERSION });
    const donePaths = new Set(store.finishedEvidenceIds(run.id).map((id) => store.getEvidence(id)?.importedPath));
    if (resumed) {
      // Cases imported before refused files became items recorded them in the audit log only.
      for (const e of store.auditLog({ entity: 'file' })) {
        const d = e.details as { runId?: number; path?: string };
        if (e.action === 'import.rejected' && d.runId === run.id && d.path) donePaths.add(d.path);
      }
    }

    let copied = 0;
    let copyFailed = 0;
    const onRecord = async (record: AnalysisRecord): Promise<void> => {
      if (record.metadata) {
        let stored = record;
        let copy: { path: string } | undefined;
        if (opts.copyEvidence) {
          const outcome = await copyIntoCase(store.caseDir, record.metadata);
          if ('path' in outcome) {
            copy = outcome;
            copied += 1;
          } else {
            copyFailed += 1;
            stored = { ...record, warnings: [...(record.warnings ?? []), `Not copied: ${outcome.problem}.`] };
            opts.onFileError?.(record.path, 'COPY_FAILED', `${record.metadata.fileName}: ${outcome.problem}.`);
          }
        }
        store.transaction(() => {
          const item = store.addEvidence(record.metadata!, copy);
          store.recordResult(run.id, item.id, stored);
          if (record.analyses?.length) recordFindings(store, item.id, record.analyses, record.analysedAt);
        });
      } else {
        store.transaction(() => {
          const item = store.addRefusedFile({
            path: record.path,
            sha256: record.sha256,
            sizeBytes: record.sizeBytes,
            reason: record.error ?? { code: 'INTERNAL', message: 'refused without a reason' },
          });
          store.recordResult(run.id, item.id, record);
        });
      }
      if (record.error) opts.onFileError?.(record.path, record.error.code, record.error.message);
    };

    const summary = await analyzeBatch(opts.paths, {
      detectors,
      ingest: opts.ingest,
      memoryBudgetBytes: opts.memoryBudgetBytes,
      ela,
      forensics: true,
      ...ensureDerivedFolders(store.derivedDir),
      workers: opts.workers ?? defaultPrepareWorkers(),
      signal: opts.signal,
      alreadyDone: (p) => donePaths.has(p),
      onRecord,
      onProgress: opts.onProgress,
    });
    store.finishRun(run.id, summary.cancelled ? 'cancelled' : 'completed');
    opts.anchorBook?.record(store, 'import', String(run.id));
    return { ...summary, runId: run.id, resumed, copied, copyFailed };
  } finally {
    await Promise.all(detectors.map((d) => d.close()));
  }
}
