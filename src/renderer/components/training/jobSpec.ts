// The Python trainer form's values → the TrainingJobSpec the trainer accepts. Kept apart from the
// form so the mapping (units, optional fields, Wang et al. defaults) reads in one place.
import type { TrainingArch, TrainingDevice, TrainingJobSpec, TrainingMode } from '../../../contract/training';

export interface PythonFormValues {
  modelId: string;
  arch: TrainingArch;
  mode: TrainingMode;
  lastN: number;
  folder: string;
  valFraction: number;
  epochs: number;
  batchSize: number;
  /** Empty: no cap. */
  maxStepsPerEpoch: number | null;
  lrBackbone: number;
  lrHead: number;
  weightDecay: number;
  schedule: 'none' | 'step' | 'plateau';
  blurP: number;
  jpegP: number;
  /** 0 disables early stopping. */
  patience: number;
  seed: number;
  device: TrainingDevice;
  ela: boolean;
  elaQuality: number;
}

export const DEFAULT_PYTHON_FORM: PythonFormValues = {
  modelId: 'my-detector',
  arch: 'small_cnn',
  mode: 'full',
  lastN: 1,
  folder: '',
  valFraction: 0.2,
  epochs: 5,
  batchSize: 32,
  maxStepsPerEpoch: null,
  lrBackbone: 1e-4,
  lrHead: 1e-3,
  weightDecay: 1e-4,
  schedule: 'none',
  // Blur and JPEG each with p = 0.5: what made Wang et al.'s detector generalise.
  blurP: 0.5,
  jpegP: 0.5,
  patience: 3,
  seed: 0,
  device: 'auto',
  ela: false,
  elaQuality: 90,
};

export function buildJobSpec(v: PythonFormValues): TrainingJobSpec {
  return {
    version: 1,
    modelId: v.modelId.trim(),
    task: v.ela ? 'manipulated' : 'generated',
    data: { folder: v.folder.trim(), valFraction: v.valFraction },
    model: { arch: v.arch, ela: v.ela ? { quality: v.elaQuality, scale: 10 } : null },
    mode: v.mode,
    ...(v.mode === 'last-n' ? { lastN: v.lastN } : {}),
    epochs: v.epochs,
    batchSize: v.batchSize,
    maxStepsPerEpoch: v.maxStepsPerEpoch && v.maxStepsPerEpoch > 0 ? v.maxStepsPerEpoch : null,
    lr: { backbone: v.lrBackbone, head: v.lrHead },
    weightDecay: v.weightDecay,
    schedule: { kind: v.schedule },
    augment: { blur: { p: v.blurP }, jpeg: { p: v.jpegP } },
    earlyStopping: { patience: v.patience },
    seed: v.seed,
    device: v.device,
  };
}
