// The one IPC contract between the renderer and the main process. Main validates every request
// against these schemas (the renderer is untrusted input, like any network peer); the preload
// exposes exactly these channels; the renderer's API client is typed from them. The test server
// speaks the same contract over HTTP so the renderer runs unchanged in plain Chromium.
import { z } from 'zod';
import { EVENT_NAMES, MEDIA_SCHEME, type Channel, type EventName } from './channels';
import type { MediaRef } from './media';
import { ANALYSIS_IDS, type AnalysisListEntry, type AnalysisView } from './analyses';
import type { AuditEntry, Case, EvidenceItem, GalleryPage, Review, StoredResult, VerifyReport } from './case';
import type { DatasetSummary, EvaluationListEntry, EvaluationResult, RetrainingFlag } from './evaluation';
import type { ElaResult, ExecutionProviderName, ModelTask } from './evidence';
import { trainingJobSchema, type HeadTrainingEvent, type ModelVersion, type ModelVersionList, type PythonEnvironment, type TrainingEvent } from './training';
import type { JobFinished, JobInfo, JobKind, JobProgress } from './jobs';
import { absolutePathProblem } from './paths';
import { LOG_LEVELS, MAX_PIXELS_RANGE, PROVIDER_CHOICES, type ProviderChoice, type SettingsView } from './settings';

const verdict = z.enum(['authentic', 'manipulated', 'generated', 'inconclusive']);
const id = z.number().int().positive();
const shortText = z.string().max(500);
/** An absolute path without control characters or ".." segments (see paths.ts). */
const absPath = z
  .string()
  .max(4096)
  .superRefine((p, ctx) => {
    const problem = absolutePathProblem(p);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
/**
 * A file the main process's own save dialog returned (dialog.saveFile): the renderer holds this
 * opaque, single-use handle, never a path it could choose itself.
 */
const saveHandle = z.string().regex(/^[0-9a-f]{32}$/, 'a handle returned by dialog.saveFile');
/** A training run's folder name under the app's training folder (training.start returns it). */
const trainingRunId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/, 'a run id returned by training.start').refine((s) => !s.includes('..'), 'a run id returned by training.start');

/** The settings the Settings view may change, with their rules (config.ts applies the same to settings.json). */
export const editableSettingsSchema = z
  .object({
    provider: z.enum(PROVIDER_CHOICES),
    maxPixels: z.number().int().min(MAX_PIXELS_RANGE.min).max(MAX_PIXELS_RANGE.max),
    examinerName: shortText,
    organisation: shortText,
    showFixtureModels: z.boolean(),
    logLevel: z.enum(LOG_LEVELS),
  })
  .strict();

/**
 * A job from the renderer: trainingJobSchema (the one definition, which the trainer also reads)
 * plus the renderer's path rules for every path in it (absolute, no control characters, no "..").
 */
const rendererTrainingJob = trainingJobSchema.superRefine((job, ctx) => {
  const paths: [string, (string | number)[]][] = [];
  if (job.data.folder) paths.push([job.data.folder, ['data', 'folder']]);
  if (job.data.prepare) paths.push([job.data.prepare.sharedDir, ['data', 'prepare', 'sharedDir']]);
  job.data.items?.forEach((it, i) => paths.push([it.path, ['data', 'items', i, 'path']]));
  if (job.model.initWeights) paths.push([job.model.initWeights, ['model', 'initWeights']]);
  if (job.model.backboneWeights) paths.push([job.model.backboneWeights, ['model', 'backboneWeights']]);
  for (const [p, path] of paths) {
    const problem = absolutePathProblem(p);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, path });
  }
});

const modelIdSchema = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,99}$/, 'model ids are lower-case letters, digits, ".", "_" and "-"');
export const requestSchemas = {
  'app.info': z.object({}).strict(),
  'cases.recent': z.object({}).strict(),
  'cases.create': z
    .object({
      dir: absPath,
      name: z.string().trim().min(1).max(200),
      number: shortText.default(''),
      examiner: shortText.default(''),
      organisation: shortText.default(''),
      description: z.string().max(10_000).default(''),
    })
    .strict(),
  'cases.open': z.object({ dir: absPath }).strict(),
  'cases.current': z.object({}).strict(),
  'dialog.pickFolder': z.object({ purpose: z.enum(['case', 'import']), title: shortText.optional() }).strict(),
  'fs.folders': z.object({ path: absPath.optional() }).strict(),
  'evidence.import': z
    .object({
      paths: z.array(absPath).min(1).max(10_000),
      models: z.array(z.string().max(200)).optional(),
      elaQuality: z.number().int().min(1).max(100).optional(),
      copyEvidence: z.boolean().optional(),
    })
    .strict(),
  'evidence.relink': z.object({ folder: absPath }).strict(),
  'evidence.list': z
    .object({
      verdict: z.union([verdict, z.literal('unreviewed')]).optional(),
      flagged: z.boolean().optional(),
      hasError: z.boolean().optional(),
      analysed: z.boolean().optional(),
      scoreMin: z.number().min(0).max(1).optional(),
      scoreMax: z.number().min(0).max(1).optional(),
      modelId: z.string().max(200).optional(),
      scoreTask: z.enum(['generated', 'manipulated', 'face']).optional(),
      analysisFlag: z.enum([...ANALYSIS_IDS, 'any']).optional(),
      text: z.string().max(200).optional(),
      sort: z.enum(['name', 'score', 'time']).optional(),
      descending: z.boolean().optional(),
      limit: z.number().int().min(1).max(1000).optional(),
      offset: z.number().int().min(0).optional(),
      /** Keyset paging (GalleryPage.lastCursor / firstCursor); at most one of after, before, fromEnd, offset. */
      after: z.string().min(1).max(4000).optional(),
      before: z.string().min(1).max(4000).optional(),
      fromEnd: z.boolean().optional(),
      /** Count the matching items (default true); pages after the first can skip the count. */
      withTotal: z.boolean().optional(),
    })
    .strict()
    .refine((r) => [r.after !== undefined, r.before !== undefined, r.fromEnd === true, (r.offset ?? 0) > 0].filter(Boolean).length <= 1, 'give at most one of after, before, fromEnd and offset'),
  'evidence.get': z.object({ id }).strict(),
  'evidence.rerunEla': z.object({ id, quality: z.number().int().min(1).max(100) }).strict(),
  'analysis.list': z.object({ id }).strict(),
  'analysis.run': z.object({ id, analysis: z.enum(ANALYSIS_IDS) }).strict(),
  'review.set': z
    .object({
      evidenceId: id,
      verdict: verdict.nullable().optional(),
      notes: z.string().max(20_000).optional(),
      flagged: z.boolean().optional(),
    })
    .strict()
    .refine((r) => r.verdict !== undefined || r.notes !== undefined || r.flagged !== undefined, 'review.set needs a verdict, notes or flagged'),
  'jobs.list': z.object({}).strict(),
  'jobs.cancel': z.object({ jobId: z.string().min(1).max(100) }).strict(),
  'audit.list': z.object({ limit: z.number().int().min(1).max(10_000).optional(), offset: z.number().int().min(0).optional() }).strict(),
  'case.verify': z.object({}).strict(),
  'models.list': z.object({}).strict(),
  'dialog.saveFile': z.object({ purpose: z.enum(['report']), defaultName: z.string().max(255).optional() }).strict(),
  'datasets.detect': z.object({ path: absPath }).strict(),
  'evaluation.start': z
    .object({
      path: absPath,
      models: z.array(z.string().max(200)).min(1).max(10).optional(),
      threshold: z.number().min(0).max(1).optional(),
      targetFpr: z.number().min(0).max(1).optional(),
      robustness: z.boolean().optional(),
      bootstrap: z.number().int().min(0).max(10_000).optional(),
      valRatio: z.number().gt(0).lt(1).optional(),
      seed: z.number().int().min(0).optional(),
      limit: z.number().int().min(1).optional(),
    })
    .strict(),
  'evaluation.list': z.object({}).strict(),
  'evaluation.get': z.object({ id: z.string().uuid() }).strict(),
  'evaluation.flag': z
    .object({ evaluationId: z.string().uuid(), item: z.number().int().min(0), flagged: z.boolean(), note: z.string().max(5000).optional() })
    .strict(),
  'evaluation.flags': z.object({}).strict(),
  'evaluation.itemEla': z.object({ evaluationId: z.string().uuid(), item: z.number().int().min(0) }).strict(),
  'report.export': z
    .object({
      target: saveHandle,
      /** The examiner who signs the report's declaration; the case's examiner when left out. */
      examiner: z.string().trim().max(500).optional(),
      items: z.enum(['all', 'flagged', 'reviewed']).optional(),
      ids: z.array(id).max(100_000).optional(),
    })
    .strict(),
  // The interpreter comes from the settings or the command line, never from the renderer: a
  // path chosen there would be an executable the main process runs. `refresh` asks again instead
  // of answering with the last result kept on disk.
  'training.environment': z.object({ refresh: z.boolean().optional() }).strict(),
  // Runs live in the app's training folder; the renderer names an earlier run only by its id.
  // The job's rules are trainingJobSchema, the one definition the trainer also reads (as JSON Schema).
  'training.start': z.object({ job: rendererTrainingJob, resumeRun: trainingRunId.optional() }).strict(),
  'training.head': z
    .object({
      modelId: modelIdSchema,
      folder: absPath,
      newModelId: modelIdSchema.optional(),
      valFraction: z.number().min(0.01).max(0.9).optional(),
      seed: z.number().int().min(0).optional(),
    })
    .strict(),
  'models.versions': z.object({ modelId: modelIdSchema.optional() }).strict(),
  'models.activate': z.object({ modelId: modelIdSchema, version: z.string().regex(/^r\d+$/).nullable() }).strict(),
  'models.rollback': z.object({ modelId: modelIdSchema }).strict(),
  'models.discard': z.object({ modelId: modelIdSchema, version: z.string().regex(/^r\d+$/) }).strict(),
  'models.compare': z.object({ modelId: modelIdSchema, version: z.string().regex(/^r\d+$/) }).strict(),
  'settings.get': z.object({}).strict(),
  'settings.update': editableSettingsSchema.partial().strict(),
} as const satisfies Record<Channel, z.ZodType>;

export { EVENT_NAMES, MEDIA_SCHEME };
export type { Channel, EventName };
export type Request<C extends Channel> = z.input<(typeof requestSchemas)[C]>;
export type ParsedRequest<C extends Channel> = z.output<(typeof requestSchemas)[C]>;

export interface AppInfo {
  name: string;
  version: string;
  /** Always true: the app refuses every network request. */
  offline: true;
  /** 'electron' in the app, 'test-server' when served to a plain browser. */
  shell: 'electron' | 'test-server';
  providers: ExecutionProviderName[];
  /** The configured choice (Settings): 'auto' or the provider every model must run on. */
  provider: ProviderChoice;
  /** True when the shell has a native folder dialog; otherwise folders are browsed in the app (fs.folders). */
  folderDialog: boolean;
}

export interface RecentCase {
  dir: string;
  name: string;
  number: string;
  openedAt: string;
}

export interface ModelInfo {
  id: string;
  name: string;
  /** A few words for tiles and narrow columns: the manifest's shortName, or its name when short, else the id. */
  shortName: string;
  version: string;
  task: ModelTask;
  fixture: boolean;
  status: 'ok' | 'invalid';
  problem?: string;
  sha256?: string;
  defaultThreshold?: number;
  /** The trained version in use ('r3'), or null for the installed model. */
  activeVersion: string | null;
  /** What the model's evaluation measured at its threshold (from its manifest), when it has one. */
  evaluation?: ModelRates | null;
}

/** The models the catalogue lists (what import and evaluation run by default). */
export interface ModelList {
  models: ModelInfo[];
  /** Test fixtures left out because the developer setting is off. */
  hiddenFixtures: string[];
}

/** False-positive and false-negative rates of a model at one threshold, and what they were measured on. */
export interface ModelRates {
  threshold: number;
  /** Share of real images at or above the threshold; null when not measured. */
  fpr: number | null;
  /** Share of fakes below the threshold; null when not measured. */
  fnr: number | null;
  /** What was measured: "validation split of …, 500 real / 500 fake". */
  measuredOn: string;
}

export interface EvidenceDetail {
  item: EvidenceItem;
  /** Every result for this item, newest first. */
  results: StoredResult[];
  /** Review history, newest first. */
  reviews: Review[];
}

export interface Responses {
  'app.info': AppInfo;
  'cases.recent': RecentCase[];
  'cases.create': Case;
  'cases.open': Case;
  'cases.current': { case: Case; dir: string } | null;
  'dialog.pickFolder': { path: string | null };
  'fs.folders': { path: string; parent: string | null; folders: { name: string; path: string }[]; truncated: boolean };
  'evidence.import': { jobId: string };
  'evidence.relink': { jobId: string };
  'evidence.list': GalleryPage;
  'evidence.get': EvidenceDetail;
  'evidence.rerunEla': ElaResult;
  /** Every forensic analysis with the item's stored finding, in the order an examiner reads them. */
  'analysis.list': AnalysisListEntry[];
  /** One analysis in full (maps, tables, charts), from the case's cache or computed now; its summary is stored. */
  'analysis.run': AnalysisView;
  'review.set': Review;
  'jobs.list': JobInfo[];
  'jobs.cancel': { cancelled: boolean };
  /** Newest first; `evidenceNames` maps the evidence ids these entries mention to file names. */
  'audit.list': { entries: AuditEntry[]; total: number; evidenceNames: Record<string, string> };
  'case.verify': VerifyReport;
  'models.list': ModelList;
  /** `handle` is what report.export takes; `path` is for display only. Both null when cancelled. */
  'dialog.saveFile': { handle: string | null; path: string | null };
  'datasets.detect': DatasetSummary;
  'evaluation.start': { jobId: string };
  'evaluation.list': EvaluationListEntry[];
  'evaluation.get': EvaluationResult;
  'evaluation.flag': RetrainingFlag;
  'evaluation.flags': RetrainingFlag[];
  /** ELA of one evaluated image (its heatmap then served as the item's 'ela' media). */
  'evaluation.itemEla': ElaResult;
  'report.export': { jobId: string };
  /** The last answer is kept on disk and returned at once (cached: true); refresh asks the interpreters again. */
  'training.environment': PythonEnvironment & { checkedAt: string; cached: boolean };
  /** `runId` names the run's folder under the app's training folder: pass it as resumeRun to continue. */
  'training.start': { jobId: string; runId: string; workdir: string };
  'training.head': { jobId: string };
  'models.versions': ModelVersionList[];
  'models.activate': ModelVersionList;
  'models.rollback': ModelVersionList;
  'models.discard': ModelVersionList;
  'models.compare': ModelVersion;
  'settings.get': SettingsView;
  'settings.update': SettingsView;
}

/** Events pushed from main to the renderer. */
export interface Events extends Record<EventName, unknown> {
  'job.progress': { jobId: string; kind: JobKind; caseId: string | null; progress: JobProgress };
  'job.fileError': { jobId: string; caseId: string | null; path: string; code: string; message: string };
  /** Narrow on `kind` to read the typed result. */
  'job.finished': JobFinished;
  'evidence.changed': { ids: number[] };
  /** Live training detail (loss per step, metrics per epoch, parity, registration) for curves. */
  'training.event': { jobId: string; event: TrainingEvent | HeadTrainingEvent };
}

/** Errors cross the boundary as values: a code the UI can branch on and a sentence to show. */
export interface IpcError {
  code: 'INVALID_REQUEST' | 'NO_CASE_OPEN' | 'NOT_FOUND' | 'UNKNOWN_CHANNEL' | 'FAILED';
  message: string;
}
export type IpcResult<C extends Channel> = { ok: true; value: Responses[C] } | { ok: false; error: IpcError };

/** What the preload exposes as `window.provenance`, and what the HTTP client implements. */
export interface ProvenanceApi {
  invoke<C extends Channel>(channel: C, request: Request<C>): Promise<IpcResult<C>>;
  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void;
  /** URL of an image the renderer shows (see contract/media.ts). */
  mediaUrl(ref: MediaRef): string;
}

/** Validates an incoming request; a failure becomes an INVALID_REQUEST error value. */
export function parseRequest<C extends Channel>(channel: string, payload: unknown): { ok: true; channel: C; value: ParsedRequest<C> } | { ok: false; error: IpcError } {
  if (!Object.hasOwn(requestSchemas, channel)) return { ok: false, error: { code: 'UNKNOWN_CHANNEL', message: `Unknown channel "${channel}"` } };
  const parsed = requestSchemas[channel as C].safeParse(payload ?? {});
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(request)'}: ${i.message}`).join('; ');
    return { ok: false, error: { code: 'INVALID_REQUEST', message: `Invalid ${channel} request: ${detail}` } };
  }
  return { ok: true, channel: channel as C, value: parsed.data as ParsedRequest<C> };
}
