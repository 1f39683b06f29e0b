import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { MAP_NAME, type AnalysisMapView } from '../../contract/analyses';
import type { EvidenceCheckStatus, ImageEvidenceItem, StoredResult } from '../../contract/case';
import type { ElaParameters } from '../../contract/evidence';
import type { ReportAnalysis, ReportData, ReportItemSection } from '../../contract/report';
import { ANALYSES } from '../analysis/catalogue';
import type { ModelCatalogue } from '../inference/catalogue';
import { ProgressTracker, type JobProgress } from '../jobs/progress';
import type { AuditAnchor } from '../../contract/case';
import { analysisFiles, findingsOf, verifyCase, type AnchorBook, type CaseStore } from '../store';
import { SOFTWARE_VERSION } from '../version';
import { ReportError } from './errors';
import { caseEvaluations } from './evaluations';
import { embedAnalysisMap, embedHeatmap, embedPhoto } from './images';
import { collectModels } from './models';
import { selectSections, type ItemSelection } from './select';
import { evidenceRow, summarise } from './summary';

export interface BuildReportOptions extends ItemSelection {
  /** Saved evaluations to print (default: every evaluation saved in the case). */
  evaluationIds?: string[];
  /** The examiner who exports and signs the report (settings, --examiner); else the case's examiner. Required. */
  generatedBy?: string;
  /** The installed models and active versions, to name the models the case's runs used. */
  catalogue: Pick<ModelCatalogue, 'entries'>;
  /** The configured pixel limit for the pictures embedded (config.maxPixels). */
  maxPixels: number;
  now?: () => Date;
  signal?: AbortSignal;
  /** Called after verification and after each item section is prepared. */
  onProgress?: (progress: JobProgress) => void;
  /** Steps the caller adds after the data is built (printing), counted in the progress total. */
  extraSteps?: number;
  /** This installation's anchors: the verification holds the log against them. */
  anchorBook?: AnchorBook;
  /** Signs the head the report describes (export.ts): the anchor the report prints and carries. */
  anchor?: (head: { seq: number; hash: string }, at: string, reportId: string) => AuditAnchor;
}

/** Item sections prepared at once: decoding and JPEG encoding are CPU-bound (sharp's threads). */
const CONCURRENCY = 2;

/**
 * Everything the report prints, from one case: re-verifies the case first (so the report states
 * what holds at report time), then prepares each selected item's section with its pictures.
 * Reads only; nothing is written to the case.
 */
export async function buildReportData(store: CaseStore, options: BuildReportOptions): Promise<ReportData> {
  const c = store.getCase();
  if (!c) throw new ReportError('NO_CASE', `${store.caseDir} holds no case yet: create it and import evidence first.`);
  const examiner = reportExaminer(options.generatedBy, c.examiner);
  const now = options.now ?? (() => new Date());
  const generatedAt = now().toISOString();

  const items = store.listEvidence({ sort: 'time' });
  const { mode, sections } = selectSections(items, options);
  const progress = new ProgressTracker();
  progress.setTotal(sections.length + 1 + (options.extraSteps ?? 0));
  const report = () => options.onProgress?.(progress.snapshot());
  report();

  const verification = await verifyCase(store, { now, anchorBook: options.anchorBook });
  progress.finish('verified evidence hashes', true);
  report();
  const integrity = new Map<number, EvidenceCheckStatus>(verification.evidence.map((e) => [e.id, e.status]));

  const runs = store.listRuns();
  const allResults: StoredResult[] = items.flatMap((i) => store.resultsFor(i.id));
  // Every installed model, hidden fixtures included: a case may have been analysed with them.
  const models = collectModels(runs, allResults, (await options.catalogue.entries()).map((e) => e.model));
  const sectionIds = new Set(sections.map((s) => s.id));

  const prepared: ReportItemSection[] = new Array(sections.length);
  let next = 0;
  const worker = async () => {
    while (next < sections.length) {
      if (options.signal?.aborted) throw new ReportError('CANCELLED', 'The report was cancelled.');
      const i = next++;
      prepared[i] = await itemSection(store, sections[i], integrity.get(sections[i].id), options.maxPixels);
      progress.finish(sections[i].fileName, true);
      report();
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, sections.length) }, worker));

  const reportId = randomUUID();
  return {
    reportId,
    generatedAt,
    generatedBy: examiner,
    software: { name: 'Provenance Lab', version: SOFTWARE_VERSION },
    case: c,
    dates: {
      created: c.createdAt,
      firstAnalysed: runs.length ? runs.map((r) => r.startedAt).sort()[0] : null,
      lastAnalysed: lastAnalysed(runs.map((r) => r.finishedAt), allResults),
      reported: generatedAt,
    },
    models,
    runs: runs.map((r) => ({
      id: r.id,
      startedAt: r.startedAt,
      finishedAt: r.finishedAt,
      status: r.status,
      softwareVersion: r.softwareVersion,
      provider: r.parameters.provider,
      ela: r.parameters.ela,
    })),
    elaParameters: distinct(runs.map((r) => r.parameters.ela)),
    analyses: [...ANALYSES],
    summary: summarise(items, models),
    evidence: items.map((item) => evidenceRow(item, sectionIds.has(item.id), integrity.get(item.id), flaggedAnalyses(store, item.id))),
    itemsMode: mode,
    items: prepared,
    evaluations: caseEvaluations(store, options.evaluationIds),
    audit: store.auditLog(),
    verification,
    anchor: options.anchor && verification.head ? options.anchor(verification.head, generatedAt, reportId) : null,
  };
}

/**
 * The examiner who signs the report: the name given (settings, --examiner), else the case's
 * examiner. A report without one is refused: its declaration must name a person.
 */
export function reportExaminer(given: string | undefined, caseExaminer: string): string {
  const name = given?.trim() || caseExaminer.trim();
  if (!name) {
    throw new ReportError(
      'NO_EXAMINER',
      "A report must name the examiner who signs its declaration: set the examiner's name (in the app's Settings or the report dialog, or the case's examiner), or give --examiner NAME.",
    );
  }
  return name;
}

async function itemSection(
  store: CaseStore,
  item: ImageEvidenceItem,
  integrity: EvidenceCheckStatus | undefined,
  maxPixels: number,
): Promise<ReportItemSection> {
  const [photo, heatmap, analyses] = await Promise.all([
    embedPhoto(item, store.derivedDir, maxPixels),
    embedHeatmap(item, store.derivedDir, maxPixels),
    reportAnalyses(store, item, maxPixels),
  ]);
  const result = item.latestResult;
  return {
    id: item.id,
    fileName: item.fileName,
    path: item.path,
    sha256: item.sha256,
    sizeBytes: item.sizeBytes,
    ingestedAt: item.ingestedAt,
    importedPath: item.importedPath,
    storage: item.storage,
    metadata: item.metadata,
    photo: photo.image,
    photoProblem: photo.problem,
    heatmap: heatmap.image,
    heatmapProblem: heatmap.problem,
    ela: result?.ela ? { parameters: result.ela.parameters, stats: result.ela.stats } : null,
    scores: result?.scores ?? [],
    analysedAt: result?.analysedAt ?? null,
    runId: result?.runId ?? null,
    error: result?.error ?? null,
    analysisWarnings: result?.warnings ?? [],
    analyses,
    review: item.review,
    reviewHistory: store.reviewHistory(item.id),
    integrity: integrity ?? 'not-checked',
  };
}

function lastAnalysed(runEnds: (string | null)[], results: StoredResult[]): string | null {
  const times = [...runEnds.filter((t): t is string => t !== null), ...results.map((r) => r.analysedAt)].sort();
  return times.length ? times[times.length - 1] : null;
}

function distinct(list: ElaParameters[]): ElaParameters[] {
  const seen = new Map<string, ElaParameters>();
  for (const p of list) seen.set(JSON.stringify([p.quality, p.scale, p.threshold, p.previewMaxSide]), p);
  return [...seen.values()];
}

/** The item's stored findings, each with its catalogue sentences and, when cached, its first map. */
async function reportAnalyses(store: CaseStore, item: ImageEvidenceItem, maxPixels: number): Promise<ReportAnalysis[]> {
  const out: ReportAnalysis[] = [];
  for (const finding of findingsOf(store, item.id)) {
    const d = ANALYSES.find((a) => a.id === finding.analysis);
    if (!d) continue;
    let map: ReportAnalysis['map'] = null;
    if (finding.version === d.version) {
      const files = analysisFiles(store.derivedDir, item.sha256, d.id, d.version);
      const first = await readFile(files.view, 'utf8')
        .then((text) => (JSON.parse(text) as { maps?: AnalysisMapView[] }).maps?.[0] ?? null)
        .catch(() => null); // never run in the inspector (or a damaged cache): no map, the finding stands
      const image = first && MAP_NAME.test(first.name) ? await embedAnalysisMap(files.map(first.name), maxPixels) : null;
      if (first && image) map = { ...image, title: first.title, caption: first.caption, legend: first.legend };
    }
    out.push({ finding, title: d.title, shows: d.shows, doesNotProve: d.doesNotProve, map });
  }
  return out;
}

/** The analyses whose stored finding flags the item (for the evidence table's flag labels). */
function flaggedAnalyses(store: CaseStore, evidenceId: number) {
  return findingsOf(store, evidenceId)
    .filter((f) => f.summary.flagged)
    .map((f) => f.analysis);
}
