import type { RunParameters } from '../../contract/case';
import type { AnalysisRecord, ElaParameters } from '../../contract/evidence';
import { DEFAULT_ELA_PARAMETERS } from '../analysis';
import { DEFAULT_INGEST_OPTIONS } from '../ingest';
import type { JobProgress } from '../jobs/progress';
import { analyzeBatch, type BatchSummary } from '../pipeline/analyzeBatch';
import { openDetectors } from '../pipeline/detectors';
import { defaultPrepareWorkers } from '../pipeline/preparePool';
import { ensureDerivedFolders, type AnchorBook, type CaseStore } from '../store';
import { canonicalJson } from '../store/canonicalJson';
import { SOFTWARE_VERSION } from '../version';

export interface ImportOptions {
  paths: string[];
  models?: string[];
  elaQuality?: number;
  modelsDir?: string;
  /** Prepare worker threads (default: defaultPrepareWorkers()). */
  workers?: number;
  signal?: AbortSignal;
  onProgress?: (p: JobProgress) => void;
  onFileError?: (path: string, code: string, message: string) => void;
  /** Images above this many pixels are refused from their header (default DEFAULT_MAX_PIXELS). */
  maxPixels?: number;
  /** Memory the files in flight may take together (default: defaultMemoryBudget()). */
  memoryBudgetBytes?: number;
  /** This installation's anchors: the head is anchored when the import ends (cancelled included). */
  anchorBook?: AnchorBook;
}

export interface ImportSummary extends BatchSummary {
  runId: number;
  resumed: boolean;
}

/**
 * Imports files into the open case and analyses them in one pass: each file becomes an evidence
 * item (hash, metadata) with its result (ELA, scores) committed in one transaction, so a run
 * killed at any moment keeps every finished file. If the newest run was interrupted (crash,
 * kill -9, cancel) and used the same models and ELA settings, it is resumed: files it finished
 * are skipped, never analysed or stored twice. Files that are not images at all cannot become
 * evidence items; they are recorded in the audit log with the reason.
 */
export async function importIntoCase(store: CaseStore, opts: ImportOptions): Promise<ImportSummary> {
  const { detectors } = await openDetectors({ ids: opts.models, modelsDir: opts.modelsDir });
  try {
    const ela: ElaParameters = { ...DEFAULT_ELA_PARAMETERS, quality: opts.elaQuality ?? DEFAULT_ELA_PARAMETERS.quality };
    const parameters: RunParameters = {
      ela,
      models: detectors.map((d) => ({ id: d.model.manifest.id, version: d.model.manifest.version, onnxSha256: d.model.manifest.sha256 })),
      provider: 'auto',
    };
    const previous = store.resumableRun();
    const resumed = previous !== null && canonicalJson(previous.parameters) === canonicalJson(parameters);
    const run = resumed ? store.resumeRun(previous.id) : store.startRun({ parameters, softwareVersion: SOFTWARE_VERSION });
    const donePaths = new Set(store.finishedEvidenceIds(run.id).map((id) => store.getEvidence(id)?.path));
    if (resumed) {
      for (const e of store.auditLog({ entity: 'file' })) {
        const d = e.details as { runId?: number; path?: string };
        if (e.action === 'import.rejected' && d.runId === run.id && d.path) donePaths.add(d.path);
      }
    }

    const onRecord = (record: AnalysisRecord): void => {
      if (record.metadata) {
        store.transaction(() => {
          const item = store.addEvidence(record.metadata!);
          store.recordResult(run.id, item.id, record);
        });
      } else {
        store.audit({ action: 'import.rejected', entity: 'file', entityId: record.path, details: { path: record.path, runId: run.id, error: record.error } });
      }
      if (record.error) opts.onFileError?.(record.path, record.error.code, record.error.message);
    };

    const summary = await analyzeBatch(opts.paths, {
      detectors,
      ingest: { ...DEFAULT_INGEST_OPTIONS, maxPixels: opts.maxPixels ?? DEFAULT_INGEST_OPTIONS.maxPixels },
      memoryBudgetBytes: opts.memoryBudgetBytes,
      ela,
      ...ensureDerivedFolders(store.derivedDir),
      workers: opts.workers ?? defaultPrepareWorkers(),
      signal: opts.signal,
      alreadyDone: (p) => donePaths.has(p),
      onRecord,
      onProgress: opts.onProgress,
    });
    store.finishRun(run.id, summary.cancelled ? 'cancelled' : 'completed');
    opts.anchorBook?.record(store, 'import', String(run.id));
    return { ...summary, runId: run.id, resumed };
  } finally {
    await Promise.all(detectors.map((d) => d.close()));
  }
}
