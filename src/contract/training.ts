// Training: the job a user starts, the events the trainer reports while it runs, and the model
// versions it leaves behind. Plain JSON only. The Python trainer (resources/training) reads
// TrainingJobSpec and writes TrainerEvent lines with exactly these camelCase names.

export type TrainingLabel = 'real' | 'fake';
export type TrainingSplit = 'train' | 'val';
export type TrainingArch = 'resnet50' | 'resnet18' | 'small_cnn';
/** head: only the linear head learns; last-n: the head and the last `lastN` backbone blocks; full: everything. */
export type TrainingMode = 'head' | 'last-n' | 'full';
export type TrainingDevice = 'auto' | 'cpu' | 'cuda' | 'mps';
export type EarlyStoppingMetric = 'valLoss' | 'valAp' | 'valAcc';

/** One labelled image. Items sharing a `group` (a scene, a source picture) are never split
 *  between training and validation; without one, each file is its own group. */
export interface TrainingItem {
  path: string;
  label: TrainingLabel;
  group?: string;
  /** Forces the item into a split; the others are split by group. */
  split?: TrainingSplit;
}

/** A model version a job started from or was derived from. */
export interface ModelRef {
  modelId: string;
  /** Null for the bundled model in resources/models. */
  version: string | null;
  /** SHA-256 of that model.onnx. */
  sha256: string;
}

/**
 * What to train. Every field but `modelId`, `data` and `model.arch` has a default (the Python
 * trainer's job.py fills them in): Blur+JPEG augmentation with p = 0.5 (σ 0–3, quality 30–100,
 * Wang et al. 2020), AdamW, no schedule, early stopping after 3 epochs without a better
 * validation loss, seed 0, device auto.
 */
export interface TrainingJobSpec {
  version: 1;
  /** Registry id of the trained model; an existing id gets a new version, a new id a new model. */
  modelId: string;
  name?: string;
  task?: 'generated' | 'manipulated';
  data: {
    /** Exactly one of items or folder (a folder with real/ and fake/ subfolders, see dataset.ts). */
    items?: TrainingItem[];
    folder?: string;
    /** Share of each label held out for validation (0.01–0.9, default 0.2). */
    valFraction?: number;
    /** Seed of the group split (default: `seed`). */
    splitSeed?: number;
  };
  model: {
    arch: TrainingArch;
    /** Crop size, never a resize (default 224 for ResNets, 128 for small_cnn). */
    inputSize?: number;
    /** Train on the error-level-analysis image instead of the pixels (CASIA v2 ELA+CNN). */
    ela?: { quality: number; scale: number } | null;
    /** Whole-network weights: a previous version's weights.pt or a CNNDetection checkpoint. */
    initWeights?: string | null;
    /** Backbone-only weights in torchvision layout, e.g. a local ImageNet checkpoint. */
    backboneWeights?: string | null;
    /** Load weight files that also hold pickled Python objects (unpickling can run code:
     *  only for files from a trusted source). Default false: tensors only. */
    allowPickle?: boolean;
  };
  mode?: TrainingMode;
  /** Blocks unfrozen in mode last-n (ResNet: stem, layer1..layer4; small_cnn: 4 blocks). */
  lastN?: number;
  epochs?: number;
  batchSize?: number;
  /** Caps the steps per epoch (quick trials, CI). */
  maxStepsPerEpoch?: number | null;
  lr?: { backbone?: number; head?: number };
  weightDecay?: number;
  schedule?: { kind: 'none' | 'step' | 'plateau'; stepSize?: number; gamma?: number; patience?: number; factor?: number };
  augment?: {
    blur?: { p?: number; sigma?: [number, number] };
    jpeg?: { p?: number; quality?: [number, number] };
    flip?: boolean;
  };
  /** patience 0 disables early stopping. */
  earlyStopping?: { patience?: number; metric?: EarlyStoppingMetric };
  seed?: number;
  device?: TrainingDevice;
  /** float16 autocast on CUDA ('auto' = on for CUDA only). */
  mixedPrecision?: 'auto' | boolean;
  /** DataLoader worker processes (0 = load in the training process); 'auto' (default): 0 on
   *  the CPU, up to 12 on a GPU. */
  numWorkers?: number | 'auto';
  /** Lineage: the version this job continues from (set by the app). */
  parent?: ModelRef | null;
}

export interface DeviceInfo {
  kind: 'cuda' | 'mps' | 'cpu';
  name: string;
}

export interface SplitSummary {
  count: number;
  real: number;
  fake: number;
  /** Data hash: SHA-256 over the sorted lines "<file SHA-256>\t<label>\n" (path-independent). */
  sha256: string;
}

export interface EpochRecord {
  /** 1-based. */
  epoch: number;
  epochs: number;
  trainLoss: number;
  trainAcc: number;
  valLoss: number;
  valAcc: number | null;
  /** Average precision of "fake" on the validation split; null without fake images there. */
  valAp: number | null;
  lr: Record<string, number>;
  /** This epoch improved the early-stopping metric (its weights are the ones exported). */
  best: boolean;
  seconds: number;
  trainSeconds: number;
  valSeconds: number;
}

export interface HeldOutMetrics {
  valLoss: number | null;
  valAcc: number | null;
  valAp: number | null;
}

/** One JSON line of train.py / convert.py (all carry `time`, seconds since the epoch). */
export type TrainerEvent = { time?: number } & (
  | { type: 'start'; protocol?: number; python: string; torch: string; torchvision: string | null; device: DeviceInfo; jobHash?: string; workdir?: string; resumed?: boolean; pid?: number }
  | { type: 'data'; train: SplitSummary; val: SplitSummary; dataSha256: string; warnings: string[] }
  | { type: 'resumed'; epoch: number; step: number; globalStep: number; finished: boolean; history: EpochRecord[] }
  | {
      type: 'step';
      epoch: number;
      epochs: number;
      step: number;
      steps: number;
      globalStep: number;
      totalSteps: number;
      loss: number;
      lr: Record<string, number>;
      etaSeconds: number | null;
      samplesPerSecond: number | null;
    }
  | ({ type: 'epoch'; etaSeconds: number | null } & EpochRecord)
  | { type: 'checkpoint'; path: string; epoch: number; step: number; reason: 'epoch' | 'cancel' | 'finished' }
  | { type: 'earlyStop'; epoch: number; bestEpoch: number; patience: number; metric: EarlyStoppingMetric }
  | { type: 'export'; onnx: string; manifest: string; parity: string; weights?: string; sha256: string; opset: number; bestEpoch?: number | null }
  | {
      type: 'done';
      bestEpoch: number | null;
      metrics: HeldOutMetrics | null;
      onnx: string | null;
      manifest: string | null;
      split?: string;
      seconds?: number;
      stoppedEarly?: boolean;
      history: EpochRecord[];
    }
  | { type: 'cancelled'; checkpoint: string; epoch: number; step: number; signal: number | null }
  | { type: 'error'; code?: string; message: string }
);

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
