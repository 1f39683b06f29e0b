// Training: the job a user starts, the events the trainer reports while it runs, and the model
// versions it leaves behind. Plain JSON only.
//
// The job and event schemas below are the ONE definition of the trainer's protocol: the app
// validates requests and trainer output with them, and `npm run schema:training` writes them as
// JSON Schema into resources/training/provenance_train/schema/, which the Python trainer reads
// to validate jobs and fill in defaults (and its unit tests check every event against). A test
// fails when the committed JSON Schema and these definitions disagree.
import { z } from 'zod';

/** Version of the JSON-lines protocol between train.py / convert.py and the app. Every trainer
 *  event carries it as `protocol`; a line with another version is refused, not guessed at. */
export const TRAINER_PROTOCOL = 2;

const modelId = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,99}$/, 'model ids are lower-case letters, digits, ".", "_" and "-"');
const filePath = z.string().min(1).max(4096);
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);

/**
 * [min, max] with lo <= min <= max <= hi. The ordering rule is a refinement zod checks and an
 * `x-ordered` keyword the Python validator checks (JSON Schema cannot say it).
 */
function orderedPair(lo: number, hi: number, integer = false) {
  const bound = (integer ? z.number().int() : z.number()).min(lo).max(hi);
  return z
    .tuple([bound, bound])
    .refine(([a, b]) => a <= b, { message: `must be [min, max] with min <= max` })
    .meta({ 'x-ordered': true });
}

/** Exactly one of `keys` present: a refinement for zod, `x-exactlyOne` for the Python validator. */
function exactlyOne<T extends z.ZodObject>(schema: T, keys: string[]) {
  return schema
    .refine((v: Record<string, unknown>) => keys.filter((k) => v[k] !== undefined).length === 1, {
      message: `give exactly one of ${keys.map((k) => `"${k}"`).join(', ')}`,
    })
    .meta({ 'x-exactlyOne': keys });
}

/** Crop counts the app's multi-crop preprocessing supports: 1, 5, 10 or k² (see manifest.ts). */
const CROP_COUNTS = [1, 4, 5, 9, 10, 16, 25, 36, 49, 64, 81, 100, 121, 144, 169, 196, 225, 256] as const;

/** Registered in resources/training/provenance_train/models.py (ARCHS). */
export const TRAINING_ARCHS = ['resnet50', 'resnet18', 'small_cnn', 'mobilenet_v2', 'npr_resnet'] as const;
export type TrainingArch = (typeof TRAINING_ARCHS)[number];
export type TrainingLabel = 'real' | 'fake';
export type TrainingSplit = 'train' | 'val';
/** head: only the linear head learns; last-n: the head and the last `lastN` backbone blocks; full: everything. */
export type TrainingMode = 'head' | 'last-n' | 'full';
export type TrainingDevice = 'auto' | 'cpu' | 'cuda' | 'mps';
export type EarlyStoppingMetric = 'valLoss' | 'valAp' | 'valAcc';

/** One labelled image. Items sharing a `group` (a scene, a source picture) are never split
 *  between training and validation; without one, each file is its own group. */
const trainingItemSchema = z
  .object({
    path: filePath,
    label: z.enum(['real', 'fake']),
    group: z.string().max(500).optional(),
    /** Forces the item into a split; the others are split by group. */
    split: z.enum(['train', 'val']).optional(),
  })
  .strict();
export type TrainingItem = z.infer<typeof trainingItemSchema>;

/** A model version a job started from or was derived from. */
const modelRefSchema = z
  .object({
    modelId,
    /** Null for the bundled model in resources/models. */
    version: z.string().max(100).nullable(),
    /** SHA-256 of that model.onnx. */
    sha256: sha256Hex,
  })
  .strict();
export type ModelRef = z.infer<typeof modelRefSchema>;

/** Sources of `../shared/datasets/generated/` the "generated" preparation recipe knows. */
export const GENERATED_SOURCES = ['cifake-sd14', 'gangen-began', 'tpdne-stylegan2-faces', 'news-gemini', 'spot-the-ai-quiz', 'modern-diffusion', 'sdeval-t2i', 'ai-bingo'] as const;
/** Up-sampling layers of the AutoGAN-style auto-encoders (Zhang, Karaman and Chang 2019). */
export const AUTOGAN_UPSAMPLERS = ['transposed', 'nearest', 'bilinear'] as const;

/**
 * Data preparation by a named recipe of the trainer (resources/training/provenance_train/prep/),
 * run by the job itself and cached in the training folder: decoding, format normalisation,
 * synthesis, de-duplication and the fixed, seeded train/val/test split files. A recipe is code
 * shipped with the app, chosen by name; nothing from the job is executed.
 */
const generatedRecipeSchema = z
  .object({
    recipe: z.literal('generated'),
    /** The shared data folder holding datasets/generated, datasets/photos, datasets/cameras. */
    sharedDir: filePath,
    /** Generator sources to use (default all); real photos from photos/ and cameras/ pair with the fakes-only ones. */
    sources: z.array(z.enum(GENERATED_SOURCES)).min(1).default([...GENERATED_SOURCES]),
    /** Leave-one-source-out: this source is the whole test split, never trained or validated on. */
    holdOut: z.enum(GENERATED_SOURCES).nullable().default(null),
    /** At most this many images per class and source (seeded choice), e.g. for CIFAKE's 10,000. */
    perSourceCap: z.number().int().min(10).max(100_000).default(1000),
    /** Shares of each source's groups for validation and test (the rest trains). */
    valFraction: z.number().min(0.01).max(0.5).default(0.15),
    testFraction: z.number().min(0).max(0.5).default(0.15),
    /** Normalisation of every image of both classes: one centred crop of at most this size
     *  (offsets on the 16-pixel grid), re-encoded as JPEG at this quality, 4:2:0. */
    cropSize: z.number().int().min(32).max(2048).default(512),
    jpegQuality: z.number().int().min(50).max(100).default(90),
    /** Near-duplicates: 64-bit difference hashes at most this far apart count as one picture. */
    dhashDistance: z.number().int().min(0).max(16).default(4),
    /** AutoGAN-style synthetic fakes: reconstructions of real training photos by small
     *  auto-encoders with generator up-sampling layers; train split only. Null: none. */
    synthetic: z
      .object({
        upsamplers: z.array(z.enum(AUTOGAN_UPSAMPLERS)).min(1).default([...AUTOGAN_UPSAMPLERS]),
        /** Real training images reconstructed by each auto-encoder. */
        perUpsampler: z.number().int().min(1).max(100_000).default(100),
        /** Optimiser steps per auto-encoder, on random crops of real training images. */
        steps: z.number().int().min(1).max(1_000_000).default(400),
        cropSize: z.number().int().min(16).max(512).default(48),
        batchSize: z.number().int().min(1).max(512).default(8),
      })
      .strict()
      .nullable()
      .default(null),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(20261201),
  })
  .strict();

/**
 * What to train. Every field but `modelId`, `data` and `model.arch` has a default, written here
 * and applied by both sides: Blur+JPEG augmentation with p = 0.5 (σ 0–3, quality 30–100, Wang et
 * al. 2020), AdamW, no schedule, early stopping after 3 epochs without a better validation loss,
 * seed 0, device auto. Unknown fields are errors, so a typo cannot silently train with a default.
 */
export const trainingJobSchema = z
  .object({
    version: z.literal(1),
    /** Registry id of the trained model; an existing id gets a new version, a new id a new model. */
    modelId,
    name: z.string().min(1).max(200).optional(),
    task: z.enum(['generated', 'manipulated']).default('generated'),
    data: exactlyOne(
      z
        .object({
          /** Exactly one of items or folder (a folder with real/ and fake/ subfolders, see dataset.ts). */
          items: z.array(trainingItemSchema).min(1).max(1_000_000).optional(),
          folder: filePath.optional(),
          /** Or a preparation recipe: its split files decide train, validation and test. */
          prepare: z.discriminatedUnion('recipe', [generatedRecipeSchema]).optional(),
          /** Share of each label held out for validation (items and folder). */
          valFraction: z.number().min(0.01).max(0.9).default(0.2),
          /** Seed of the group split (default: `seed`). */
          splitSeed: z.number().int().min(0).max(2 ** 31 - 1).optional(),
        })
        .strict(),
      ['items', 'folder', 'prepare'],
    ),
    model: z
      .object({
        arch: z.enum(TRAINING_ARCHS),
        /** Crop size, never a resize (default per architecture: 224 for ResNets, 128 for small_cnn). */
        inputSize: z.number().int().min(16).max(1024).optional(),
        /** Train on the error-level-analysis image instead of the pixels (CASIA v2 ELA+CNN). */
        ela: z
          .object({ quality: z.number().int().min(1).max(100).default(90), scale: z.number().min(0.01).max(1000).default(10) })
          .strict()
          .nullable()
          .default(null),
        /** Whole-network weights: a previous version's weights.pt or a CNNDetection checkpoint. */
        initWeights: filePath.nullable().default(null),
        /** Backbone-only weights in torchvision layout, e.g. a local ImageNet checkpoint. */
        backboneWeights: filePath.nullable().default(null),
        /** Load weight files that also hold pickled Python objects (unpickling can run code:
         *  only for files from a trusted source). Default false: tensors only. */
        allowPickle: z.boolean().default(false),
        /** Input normalization: ImageNet statistics, or [-1, 1] ("half": mean = std = 0.5, for
         *  TensorFlow-converted weights and networks trained from scratch). Default per architecture. */
        normalization: z.enum(['imagenet', 'half']).optional(),
        /** Keep every BatchNorm layer's running statistics fixed while training (small batches). */
        freezeBatchNorm: z.boolean().default(false),
      })
      .strict(),
    /** How the shipped model looks at an image (the manifest's preprocessing): validation,
     *  calibration and evaluation score exactly these crops. */
    inference: z
      .object({
        mode: z.enum(['center-crop', 'multi-crop']).default('center-crop'),
        /** multi-crop: 5 (corners + centre), 10 (and mirrored) or a k×k grid spanning the image. */
        cropCount: z.union(CROP_COUNTS.map((n) => z.literal(n))).default(1),
        aggregate: z.enum(['mean', 'max']).default('mean'),
      })
      .strict()
      .prefault({}),
    /** The operating threshold: null keeps 0.5; a target false-positive rate picks, on the
     *  validation split, the lowest threshold flagging at most that share of real images. */
    calibration: z
      .object({ targetFpr: z.number().min(0.001).max(0.5).nullable().default(null) })
      .strict()
      .prefault({}),
    mode: z.enum(['head', 'last-n', 'full']).default('full'),
    /** Blocks unfrozen in mode last-n (ResNet: stem, layer1..layer4; small_cnn: 4 blocks). */
    lastN: z.number().int().min(1).max(10).default(1),
    epochs: z.number().int().min(1).max(1000).default(10),
    batchSize: z.number().int().min(1).max(4096).default(32),
    /** Caps the steps per epoch (quick trials, CI). */
    maxStepsPerEpoch: z.number().int().min(1).nullable().default(null),
    lr: z
      .object({ backbone: z.number().min(0).max(10).default(1e-4), head: z.number().min(0).max(10).default(1e-3) })
      .strict()
      .prefault({}),
    weightDecay: z.number().min(0).max(1).default(0),
    schedule: z
      .object({
        kind: z.enum(['none', 'step', 'plateau']).default('none'),
        stepSize: z.number().int().min(1).default(5),
        gamma: z.number().min(0).max(1).default(0.1),
        patience: z.number().int().min(0).default(2),
        factor: z.number().min(0).max(1).default(0.1),
      })
      .strict()
      .prefault({}),
    augment: z
      .object({
        blur: z.object({ p: z.number().min(0).max(1).default(0.5), sigma: orderedPair(0, 20).default([0, 3]) }).strict().prefault({}),
        jpeg: z.object({ p: z.number().min(0).max(1).default(0.5), quality: orderedPair(1, 100, true).default([30, 100]) }).strict().prefault({}),
        flip: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    /** patience 0 disables early stopping. */
    earlyStopping: z
      .object({ patience: z.number().int().min(0).default(3), metric: z.enum(['valLoss', 'valAp', 'valAcc']).default('valLoss') })
      .strict()
      .prefault({}),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
    device: z.enum(['auto', 'cpu', 'cuda', 'mps']).default('auto'),
    /** Autocast on CUDA ('auto' = on for CUDA only). */
    mixedPrecision: z.union([z.literal('auto'), z.boolean()]).default('auto'),
    /** DataLoader worker processes (0 = load in the training process); 'auto': 0 on the CPU, up to 12 on a GPU. */
    numWorkers: z.union([z.literal('auto'), z.number().int().min(0).max(64)]).default('auto'),
    /** Lineage: the version this job continues from (set by the app). */
    parent: modelRefSchema.nullable().default(null),
  })
  .strict();

/** A job as written (defaults may be left out). */
export type TrainingJobSpec = z.input<typeof trainingJobSchema>;
/** A job with every default filled in, as the trainer runs it. */
export type ResolvedTrainingJob = z.output<typeof trainingJobSchema>;

export interface DeviceInfo {
  kind: 'cuda' | 'mps' | 'cpu';
  name: string;
}
const deviceInfoSchema = z.object({ kind: z.enum(['cuda', 'mps', 'cpu']), name: z.string() });

const splitSummarySchema = z.object({
  count: z.number().int().min(0),
  real: z.number().int().min(0),
  fake: z.number().int().min(0),
  /** Data hash: SHA-256 over the sorted lines "<file SHA-256>\t<label>\n" (path-independent). */
  sha256: z.string(),
});
export type SplitSummary = z.infer<typeof splitSummarySchema>;

const lrs = z.record(z.string(), z.number());

const epochRecordSchema = z.object({
  /** 1-based. */
  epoch: z.number().int().min(1),
  epochs: z.number().int().min(1),
  trainLoss: z.number(),
  trainAcc: z.number(),
  valLoss: z.number(),
  valAcc: z.number().nullable(),
  /** Average precision of "fake" on the validation split; null without fake images there. */
  valAp: z.number().nullable(),
  lr: lrs,
  /** This epoch improved the early-stopping metric (its weights are the ones exported). */
  best: z.boolean(),
  seconds: z.number(),
  trainSeconds: z.number(),
  valSeconds: z.number(),
});
export type EpochRecord = z.infer<typeof epochRecordSchema>;

const heldOutMetricsSchema = z.object({ valLoss: z.number().nullable(), valAcc: z.number().nullable(), valAp: z.number().nullable() });
export type HeldOutMetrics = z.infer<typeof heldOutMetricsSchema>;

const time = z.number().optional();
const protocol = z.literal(TRAINER_PROTOCOL);

/** One JSON line of train.py / convert.py: `protocol` is TRAINER_PROTOCOL, `time` seconds since the epoch. */
export const trainerEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('start'),
    protocol,
    time,
    python: z.string(),
    torch: z.string(),
    torchvision: z.string().nullable(),
    device: deviceInfoSchema,
    jobHash: z.string().optional(),
    workdir: z.string().optional(),
    resumed: z.boolean().optional(),
    pid: z.number().int().optional(),
    /** convert.py: the converter and the checkpoint it reads. */
    converter: z.string().optional(),
    checkpoint: z.string().optional(),
  }),
  z.object({
    type: z.literal('data'),
    protocol,
    time,
    train: splitSummarySchema,
    val: splitSummarySchema,
    /** Held out from training and validation (preparation recipes): scored once, at the end. */
    test: splitSummarySchema.optional(),
    dataSha256: z.string(),
    warnings: z.array(z.string()),
    /** The prepared data set (recipes): images, split files, summary.json. */
    preparedDir: z.string().optional(),
  }),
  z.object({ type: z.literal('prepare'), protocol, time, stage: z.string(), done: z.number().int().min(0), total: z.number().int().min(0).nullable(), message: z.string() }),
  z.object({
    type: z.literal('evaluation'),
    protocol,
    time,
    /** output/evaluation.json: the calibration and the test metrics with per-source tables. */
    file: z.string(),
    threshold: z.number(),
    rule: z.string(),
    validation: z.object({ fpr: z.number().nullable(), fnr: z.number().nullable(), accuracy: z.number().nullable(), ap: z.number().nullable() }),
    test: z.object({ n: z.number().int(), accuracy: z.number().nullable(), precision: z.number().nullable(), recall: z.number().nullable(), f1: z.number().nullable(), ap: z.number().nullable() }).nullable(),
  }),
  z.object({
    type: z.literal('resumed'),
    protocol,
    time,
    epoch: z.number().int(),
    step: z.number().int(),
    globalStep: z.number().int(),
    finished: z.boolean(),
    history: z.array(epochRecordSchema),
  }),
  z.object({
    type: z.literal('step'),
    protocol,
    time,
    epoch: z.number().int(),
    epochs: z.number().int(),
    step: z.number().int(),
    steps: z.number().int(),
    globalStep: z.number().int(),
    totalSteps: z.number().int(),
    loss: z.number(),
    lr: lrs,
    etaSeconds: z.number().nullable(),
    samplesPerSecond: z.number().nullable(),
  }),
  epochRecordSchema.extend({ type: z.literal('epoch'), protocol, time, etaSeconds: z.number().nullable() }),
  z.object({ type: z.literal('checkpoint'), protocol, time, path: z.string(), epoch: z.number().int(), step: z.number().int(), reason: z.enum(['epoch', 'cancel', 'finished']) }),
  z.object({ type: z.literal('earlyStop'), protocol, time, epoch: z.number().int(), bestEpoch: z.number().int(), patience: z.number().int(), metric: z.enum(['valLoss', 'valAp', 'valAcc']) }),
  z.object({
    type: z.literal('export'),
    protocol,
    time,
    onnx: z.string(),
    manifest: z.string(),
    parity: z.string(),
    weights: z.string().optional(),
    sha256: z.string(),
    opset: z.number().int(),
    bestEpoch: z.number().int().nullable().optional(),
    /** convert.py: the architecture and checkpoint layout it recognised, and the checkpoint's SHA-256. */
    arch: z.string().optional(),
    layout: z.string().optional(),
    checkpointSha256: z.string().optional(),
  }),
  z.object({
    type: z.literal('done'),
    protocol,
    time,
    bestEpoch: z.number().int().nullable(),
    metrics: heldOutMetricsSchema.nullable(),
    onnx: z.string().nullable(),
    manifest: z.string().nullable(),
    split: z.string().optional(),
    seconds: z.number().optional(),
    stoppedEarly: z.boolean().optional(),
    history: z.array(epochRecordSchema),
  }),
  z.object({ type: z.literal('cancelled'), protocol, time, checkpoint: z.string(), epoch: z.number().int(), step: z.number().int(), signal: z.number().int().nullable() }),
  z.object({ type: z.literal('error'), protocol, time, code: z.string().optional(), message: z.string() }),
]);
export type TrainerEvent = z.infer<typeof trainerEventSchema>;

/** The ONNX file run by onnxruntime-node against PyTorch's outputs on the same inputs. */
export interface ParityReport {
  /** Largest |onnxruntime − PyTorch| over the score output. */
  scoreMaxAbsDiff: number;
  /** Largest |onnxruntime − PyTorch| over the features output. */
  featuresMaxAbsDiff: number;
  /** max of the two. */
  maxAbsDiff: number;
  /** Largest difference divided by max(1, |PyTorch value|): what `tolerance` applies to. */
  maxScaledDiff: number;
  tolerance: number;
  ok: boolean;
  batch: number;
}

/**
 * Everything a training UI listens to: the trainer's own lines, plus what the app adds around
 * them (stderr lines, the parity check, the registered version).
 */
export type TrainingEvent =
  | TrainerEvent
  | { type: 'log'; stream: 'stdout' | 'stderr'; line: string }
  | ({ type: 'parity' } & ParityReport)
  | { type: 'registered'; version: ModelVersion };

/** Held-out metrics of one model on a validation split, computed by the app's Detector path. */
export interface ValidationMetrics {
  count: number;
  real: number;
  fake: number;
  /** At the manifest's default threshold. */
  accuracy: number | null;
  averagePrecision: number | null;
  /** Mean binary cross-entropy of the scores. */
  loss: number | null;
  threshold: number;
}

export type VersionStatus = 'candidate' | 'active' | 'retired' | 'discarded';

/** One trained model version in the user models directory. */
export interface ModelVersion {
  modelId: string;
  /** "r1", "r2", ... per model id, never reused. */
  version: string;
  createdAt: string;
  status: VersionStatus;
  /** How it was made: the Python trainer, the in-process head training, or a converter. */
  source: 'python' | 'head' | 'convert';
  parent: ModelRef | null;
  /** SHA-256 of the job's canonical JSON (what the trainer reports as jobHash). */
  jobSha256: string;
  job: unknown;
  data: { train: SplitSummary; val: SplitSummary };
  /** Held-out metrics: from the trainer (its best epoch) and from the app's Detector path. */
  metrics: { trainer: HeldOutMetrics | null; detector: ValidationMetrics | null };
  /** The model it would replace (the active version or the bundled model), on the same validation split. */
  baseline: { model: ModelRef; metrics: ValidationMetrics } | null;
  parity: ParityReport | null;
  history: EpochRecord[];
  /** SHA-256 of this version's model.onnx. */
  sha256: string;
  dir: string;
  device?: DeviceInfo;
  note?: string;
}

export interface ActivationEntry {
  /** Null: back to the bundled model. */
  version: string | null;
  at: string;
  action: 'activate' | 'rollback' | 'deactivate';
}

export interface ModelVersionList {
  modelId: string;
  /** Null when the bundled model (or no model) is in use. */
  active: string | null;
  versions: ModelVersion[];
  history: ActivationEntry[];
}

/** A Python that can (or cannot) run the trainer. */
export interface PythonProbe {
  /** The command tried. */
  command: string;
  source: 'option' | 'env' | 'candidate';
  ok: boolean;
  executable?: string;
  python?: string;
  torch?: string | null;
  torchvision?: string | null;
  onnx?: string | null;
  device?: DeviceInfo;
  /** Why it cannot be used. */
  problem?: string;
}

export type PythonEnvironment =
  | { found: true; command: string; executable: string; python: string; torch: string; torchvision: string; onnx: string | null; device: DeviceInfo; probes: PythonProbe[] }
  | { found: false; probes: PythonProbe[]; /** What to install, as sentences for the user. */ install: string };

/** Outcome of a training run, as returned by the engine and stored as the job's result. */
export interface TrainingRunResult {
  status: 'completed' | 'cancelled' | 'failed';
  workdir: string;
  /** The registered version (completed runs). */
  version?: ModelVersion;
  /** Where --resume continues from (cancelled runs). */
  checkpoint?: string;
  history: EpochRecord[];
  error?: string;
}

/** Progress of the in-process head training (no Python), besides its JobProgress. */
export type HeadTrainingEvent =
  | { type: 'stage'; stage: 'hash' | 'embed' | 'fit' | 'write' | 'verify' | 'evaluate' | 'register'; message: string }
  | { type: 'fit'; iteration: number; loss: number }
  | { type: 'registered'; version: ModelVersion };

/** Outcome of the in-process head training. */
export interface HeadTrainingResult {
  version: ModelVersion;
  /** The starting model on the validation split (app inference path). */
  before: ValidationMetrics;
  /** The new model on the same split (app inference path, the written ONNX file). */
  after: ValidationMetrics;
  /** The new head on the training split (from the embeddings). */
  trainAccuracy: number | null;
  fit: { iterations: number; loss: number; converged: boolean };
  /** The written file checked against the embeddings and the head computed here. */
  verification: ParityReport;
  seconds: number;
}
