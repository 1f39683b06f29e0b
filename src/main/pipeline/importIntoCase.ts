import type { RunParameters } from '../../contract/case';
import type { AnalysisRecord, ElaParameters } from '../../contract/evidence';
import type { ImportSummary } from '../../contract/jobs';
import { DEFAULT_ELA_PARAMETERS } from '../analysis';
import type { Detector } from '../inference/detector';
import type { ModelCatalogue, ModelSelection } from '../inference/catalogue';
import type { IngestOptions } from '../ingest';
import type { JobProgress } from '../jobs/progress';
import { ensureDerivedFolders, type AnchorBook, type CaseStore } from '../store';
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

/**
 * Imports files into the open case and analyses them in one pass: each file becomes an evidence
 * item (hash, metadata) with its result (ELA, scores) committed in one transaction, so a run
 * killed at any moment keeps every finished file. If the newest run was interrupted (crash,
 * kill -9, cancel) and used the same models and ELA settings, it is resumed: files it finished
 * are skipped, never analysed or stored twice. Files that are not images at all cannot become
 * evidence items; they are recorded in the audit log with the reason.
 */
export async function importIntoCase(store: CaseStore, opts: ImportOptions): Promise<ImportSummary> {
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
      ingest: opts.ingest,
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
