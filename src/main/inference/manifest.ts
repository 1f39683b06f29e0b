// The manifest.json that sits next to every model.onnx: what the network expects as input,
// how to turn a decoded image into that input, and what the output means. Validated at
// load time so a broken model is reported once, by name, instead of failing per file.

import type { ModelTask } from '../../contract/evidence';

export type { ModelTask };
export type ScoreMeaning = 'probability_fake' | 'logit_fake';
export type PreprocessingMode = 'center-crop' | 'resize' | 'multi-crop' | 'face-crop';
export type ResizeFit = 'fill' | 'cover';
export type ResizeKernel = 'nearest' | 'linear' | 'cubic' | 'lanczos3';
/**
 * none: the pixels. ela: the error-level-analysis difference image. rgb+noise: six channels,
 * the pixels and three SRM high-pass residuals of the luminance (RGB-N, Zhou et al. 2018),
 * both computed at full resolution before any resize.
 */
export type InputTransform = 'none' | 'ela' | 'rgb+noise';
export type Aggregate = 'mean' | 'max';

/** face-crop: how faces are found and cropped before the model sees them. */
export interface FaceCropSettings {
  /** Face detector shipped in resources/faces/<id>/ (see src/main/inference/faces.ts). */
  detector: string;
  /** Lowest face probability kept (0..1). */
  minScore: number;
  /** Intersection over union above which the weaker of two boxes is dropped (non-maximum suppression). */
  nmsIou: number;
  /** The square crop is this many times the longer side of the face box (FaceForensics++ uses 1.3). */
  margin: number;
  /** Most faces scored per image, the most confident first. */
  maxFaces: number;
}

/** How defaultThreshold was chosen and what it costs on the images it was chosen on. */
export interface ThresholdCalibration {
  /** The rule, as a sentence: e.g. "lowest threshold with a false-positive rate <= 5% on the validation split ...". */
  rule: string;
  /** The false-positive rate the rule aimed at; null when the threshold was fixed. */
  targetFpr: number | null;
  split: string;
  /** Data hash of that split (SHA-256 over "<file SHA-256>\t<label>" lines). */
  splitSha256?: string;
  real: number;
  fake: number;
  /** Measured at defaultThreshold on that split: share of real images flagged, of fakes missed. */
  fpr: number | null;
  fnr: number | null;
}

export interface Preprocessing {
  /**
   * center-crop: one crop of input width×height from the image centre, no resize (Wang et al.
   *   2020 test protocol); images smaller than the crop are padded with black, as
   *   torchvision's CenterCrop does.
   * resize: the whole image resized to width×height (see resizeFit).
   * multi-crop: several crops without resize (see cropCount), scores aggregated.
   */
  mode: PreprocessingMode;
  /** multi-crop only: 5 = four corners + centre, 10 = those five and their mirror images,
   *  a square k² (4, 9, 16, ...) = a k×k grid spanning the image. */
  cropCount?: number;
  /** How per-crop scores become the image score. */
  aggregate: Aggregate;
  /** resize only: 'fill' stretches to the exact size (aspect ratio not kept), 'cover' scales
   *  the short side to fit and centre-crops the rest. Default 'fill'. */
  resizeFit?: ResizeFit;
  /** resize only: interpolation kernel. Default 'linear' (torchvision Resize's bilinear). */
  resizeKernel?: ResizeKernel;
  /** 'ela': the network sees the error-level-analysis difference image, not the pixels;
   *  'rgb+noise': six channels, pixels and noise residuals (input.channels 6). */
  inputTransform: InputTransform;
  /** rgb+noise only: multiplier of the absolute residuals before they are clamped to 0..255. */
  noiseScale?: number;
  /** face-crop only. */
  face?: FaceCropSettings;
  /** ela only: JPEG quality of the re-compression (1..100). */
  elaQuality?: number;
  /** ela only: multiplier applied to the absolute difference. */
  elaScale?: number;
  /** Applied to pixels scaled to 0..1: (x - mean) / std, per RGB channel. */
  normalization: { mean: [number, number, number]; std: [number, number, number] };
}

export interface ModelManifest {
  /** Equals the model's directory name. */
  id: string;
  name: string;
  version: string;
  task: ModelTask;
  /** True for test fixtures: their scores mean nothing forensically. */
  fixture: boolean;
  description: string;
  /** channels: 6 only with inputTransform 'rgb+noise'. */
  input: { name: string; width: number; height: number; channels: 3 | 6; layout: 'NCHW' };
  /** heatmap: optional localisation output [N, 1, h, w] of tamper probabilities covering the
   *  model input (so, with mode 'resize', the whole image). */
  outputs: { score: string; features?: string; heatmap?: string };
  scoreMeaning: ScoreMeaning;
  preprocessing: Preprocessing;
  /** Score at or above which an image is flagged, in 0..1. */
  defaultThreshold: number;
  /** trainingRun: the trainer's version label of the run a shipped model was copied from. */
  provenance: { source: string; licence: string; trainedOn?: string; reference?: string; trainingRun?: string };
  /** SHA-256 (hex) of model.onnx. */
  sha256: string;
  /** A few words for gallery tiles ("Texture CNN"); the name when absent. */
  shortName?: string;
  /** How defaultThreshold was chosen and what it costs on the images it was chosen on. */
  calibration?: ThresholdCalibration;
  /** The model measured at defaultThreshold on held-out images (see MODEL_CARD.md). */
  evaluation?: EvaluationSummary;
}

/** What a held-out evaluation measured at the threshold: the app shows the rates beside every score. */
export interface EvaluationSummary {
  split: string;
  /** Data hash of that split (SHA-256 over "<file SHA-256>\t<label>" lines). */
  splitSha256?: string;
  /** What computed the numbers: the trainer (PyTorch) or the app (provenance evaluate, onnxruntime). */
  scoredBy: string;
  real: number;
  fake: number;
  threshold: number;
  accuracy: number | null;
  precision: number | null;
  recall: number | null;
  f1: number | null;
  ap: number | null;
  /** Share of real images at or above the threshold, of fakes below it. */
  fpr: number | null;
  fnr: number | null;
  /** Wang et al.'s per-source table at the threshold; the mean row counts every source once. */
  perSource?: { source: string; real: number; fake: number; accuracy: number | null; ap: number | null }[];
  meanAccuracy?: number | null;
  meanAp?: number | null;
}

export type ManifestCheck = { ok: true; manifest: ModelManifest } | { ok: false; problems: string[] };

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Collects every problem in one pass so a model author can fix them all at once. Strict: a
 * field no check looked at is reported (a misspelt "defaultTreshold" must not pass as absent).
 * To add a field, add its check below (and to the interface); nothing else knows the list.
 */
class Checker {
  readonly problems: string[] = [];
  /** Per object checked: its path prefix and the keys some check looked at. */
  private readonly known = new Map<Obj, { prefix: string; keys: Set<string> }>();

  private mark(parent: Obj, key: string, path: string): void {
    let entry = this.known.get(parent);
    if (!entry) {
      entry = { prefix: path.slice(0, path.length - key.length), keys: new Set() };
      this.known.set(parent, entry);
    }
    entry.keys.add(key);
  }

  /** Reports the fields of every checked object that no check named. Call last. */
  unknownFields(): void {
    for (const [obj, { prefix, keys }] of this.known) {
      for (const key of Object.keys(obj)) {
        if (!keys.has(key)) this.problems.push(`"${prefix}${key}" is not a manifest field (known here: ${[...keys].join(', ')})`);
      }
    }
  }

  private report(path: string, expected: string, value: unknown): void {
    const got = value === undefined ? 'it is missing' : `got ${JSON.stringify(value)}`;
    this.problems.push(`"${path}" must be ${expected}, ${got}`);
  }

  object(parent: Obj, key: string, path: string): Obj | undefined {
    this.mark(parent, key, path);
    const v = parent[key];
    if (isObj(v)) return v;
    this.report(path, 'an object', v);
    return undefined;
  }

  string(parent: Obj, key: string, path: string, optional = false): void {
    this.mark(parent, key, path);
    const v = parent[key];
    if (optional && v === undefined) return;
    if (typeof v !== 'string' || v.trim() === '') this.report(path, 'a non-empty string', v);
  }

  oneOf(parent: Obj, key: string, path: string, allowed: readonly unknown[], optional = false): void {
    this.mark(parent, key, path);
    const v = parent[key];
    if (optional && v === undefined) return;
    if (!allowed.includes(v)) this.report(path, `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`, v);
  }

  number(parent: Obj, key: string, path: string, rule: { min?: number; max?: number; integer?: boolean; positive?: boolean }, optional = false): void {
    this.mark(parent, key, path);
    const v = parent[key];
    if (optional && v === undefined) return;
    const ok =
      typeof v === 'number' &&
      Number.isFinite(v) &&
      (!rule.integer || Number.isInteger(v)) &&
      (rule.min === undefined || v >= rule.min) &&
      (rule.max === undefined || v <= rule.max) &&
      (!rule.positive || v > 0);
    if (ok) return;
    const parts = [rule.integer ? 'an integer' : 'a number'];
    if (rule.positive) parts.push('> 0');
    if (rule.min !== undefined && rule.max !== undefined) parts.push(`in ${rule.min}..${rule.max}`);
    else if (rule.min !== undefined) parts.push(`>= ${rule.min}`);
    this.report(path, parts.join(' '), v);
  }

  /** A number, or null where the measure is undefined (AP with one class, say). */
  nullableNumber(parent: Obj, key: string, path: string, rule: { min?: number; max?: number }, optional = false): void {
    if (parent[key] === null) {
      this.mark(parent, key, path);
      return;
    }
    this.number(parent, key, path, rule, optional);
  }

  array(parent: Obj, key: string, path: string, optional = false): void {
    this.mark(parent, key, path);
    const v = parent[key];
    if (optional && v === undefined) return;
    if (!Array.isArray(v)) this.report(path, 'an array', v);
  }

  triple(parent: Obj, key: string, path: string, positive: boolean): void {
    this.mark(parent, key, path);
    const v = parent[key];
    const ok = Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number' && Number.isFinite(x) && (!positive || x > 0));
    if (!ok) this.report(path, `an array of 3 ${positive ? 'positive ' : ''}numbers (R, G, B)`, v);
  }

  require(condition: boolean, message: string): void {
    if (!condition) this.problems.push(message);
  }
}

/** Multi-crop layouts the preprocessor knows: FiveCrop, TenCrop, or a k×k grid. */
export function isSupportedCropCount(n: number): boolean {
  if (!Number.isInteger(n) || n < 1) return false;
  if (n === 1 || n === 5 || n === 10) return true;
  const k = Math.round(Math.sqrt(n));
  return k * k === n;
}

/** Validates parsed manifest JSON; every problem names the field and what was wrong. */
export function checkManifest(json: unknown): ManifestCheck {
  const c = new Checker();
  if (!isObj(json)) return { ok: false, problems: ['the manifest must be a JSON object'] };

  c.string(json, 'id', 'id');
  if (typeof json.id === 'string') c.require(/^[a-z0-9][a-z0-9._-]*$/.test(json.id), `"id" must use only a-z, 0-9, '.', '_' and '-', got ${JSON.stringify(json.id)}`);
  c.string(json, 'name', 'name');
  c.string(json, 'version', 'version');
  c.oneOf(json, 'task', 'task', ['generated', 'manipulated', 'face']);
  c.oneOf(json, 'fixture', 'fixture', [true, false]);
  c.string(json, 'description', 'description');
  c.oneOf(json, 'scoreMeaning', 'scoreMeaning', ['probability_fake', 'logit_fake']);
  c.number(json, 'defaultThreshold', 'defaultThreshold', { min: 0, max: 1 });
  c.string(json, 'sha256', 'sha256');
  if (typeof json.sha256 === 'string') c.require(/^[0-9a-f]{64}$/.test(json.sha256), `"sha256" must be 64 lowercase hex digits, got ${JSON.stringify(json.sha256)}`);

  const input = c.object(json, 'input', 'input');
  if (input) {
    c.string(input, 'name', 'input.name');
    c.number(input, 'width', 'input.width', { integer: true, positive: true });
    c.number(input, 'height', 'input.height', { integer: true, positive: true });
    c.oneOf(input, 'channels', 'input.channels', [3, 6]);
    c.oneOf(input, 'layout', 'input.layout', ['NCHW']);
  }

  const outputs = c.object(json, 'outputs', 'outputs');
  if (outputs) {
    c.string(outputs, 'score', 'outputs.score');
    c.string(outputs, 'features', 'outputs.features', true);
    c.string(outputs, 'heatmap', 'outputs.heatmap', true);
  }

  const pre = c.object(json, 'preprocessing', 'preprocessing');
  if (pre) {
    c.oneOf(pre, 'mode', 'preprocessing.mode', ['center-crop', 'resize', 'multi-crop', 'face-crop']);
    c.oneOf(pre, 'aggregate', 'preprocessing.aggregate', ['mean', 'max']);
    c.oneOf(pre, 'resizeFit', 'preprocessing.resizeFit', ['fill', 'cover'], true);
    c.oneOf(pre, 'resizeKernel', 'preprocessing.resizeKernel', ['nearest', 'linear', 'cubic', 'lanczos3'], true);
    c.oneOf(pre, 'inputTransform', 'preprocessing.inputTransform', ['none', 'ela', 'rgb+noise']);
    if (pre.mode === 'multi-crop') {
      c.number(pre, 'cropCount', 'preprocessing.cropCount', { integer: true, positive: true });
      c.require(
        typeof pre.cropCount === 'number' && isSupportedCropCount(pre.cropCount),
        `"preprocessing.cropCount" must be 1, 5, 10 or a square (4, 9, 16, ...) when mode is "multi-crop", got ${JSON.stringify(pre.cropCount)}`,
      );
    }
    if (pre.inputTransform === 'ela') {
      c.number(pre, 'elaQuality', 'preprocessing.elaQuality', { integer: true, min: 1, max: 100 });
      c.number(pre, 'elaScale', 'preprocessing.elaScale', { positive: true });
    }
    if (pre.inputTransform === 'rgb+noise') c.number(pre, 'noiseScale', 'preprocessing.noiseScale', { positive: true });
    const channels = isObj(json.input) ? json.input.channels : undefined;
    c.require(
      (pre.inputTransform === 'rgb+noise') === (channels === 6),
      `"input.channels" must be 6 exactly when "preprocessing.inputTransform" is "rgb+noise" (got ${JSON.stringify(channels)} with ${JSON.stringify(pre.inputTransform)})`,
    );
    if (pre.mode === 'face-crop') {
      const face = c.object(pre, 'face', 'preprocessing.face');
      if (face) {
        c.string(face, 'detector', 'preprocessing.face.detector');
        c.number(face, 'minScore', 'preprocessing.face.minScore', { min: 0, max: 1 });
        c.number(face, 'nmsIou', 'preprocessing.face.nmsIou', { min: 0, max: 1 });
        c.number(face, 'margin', 'preprocessing.face.margin', { min: 1, max: 4 });
        c.number(face, 'maxFaces', 'preprocessing.face.maxFaces', { integer: true, min: 1, max: 64 });
      }
      c.require(json.task === 'face', `"preprocessing.mode" "face-crop" is for task "face", got task ${JSON.stringify(json.task)}`);
    }
    const norm = c.object(pre, 'normalization', 'preprocessing.normalization');
    if (norm) {
      c.triple(norm, 'mean', 'preprocessing.normalization.mean', false);
      c.triple(norm, 'std', 'preprocessing.normalization.std', true);
    }
  }

  const prov = c.object(json, 'provenance', 'provenance');
  if (prov) {
    c.string(prov, 'source', 'provenance.source');
    c.string(prov, 'licence', 'provenance.licence');
    c.string(prov, 'trainedOn', 'provenance.trainedOn', true);
    c.string(prov, 'reference', 'provenance.reference', true);
    c.string(prov, 'trainingRun', 'provenance.trainingRun', true);
  }

  if (isObj(outputs) && outputs.heatmap !== undefined && isObj(pre)) {
    c.require(
      pre.mode === 'resize' || pre.mode === 'center-crop',
      `"outputs.heatmap" needs "preprocessing.mode" "resize" or "center-crop" (one input per image, so the map has one place in it), got ${JSON.stringify(pre.mode)}`,
    );
  }
  c.string(json, 'shortName', 'shortName', true);
  // Optional: absent in older manifests; when present, the app shows the rates next to scores.
  const rate = { min: 0, max: 1 };
  if (json.calibration !== undefined) {
    const cal = c.object(json, 'calibration', 'calibration');
    if (cal) {
      c.string(cal, 'rule', 'calibration.rule');
      c.string(cal, 'split', 'calibration.split');
      c.string(cal, 'splitSha256', 'calibration.splitSha256', true);
      c.nullableNumber(cal, 'targetFpr', 'calibration.targetFpr', rate);
      c.number(cal, 'real', 'calibration.real', { integer: true, min: 0 });
      c.number(cal, 'fake', 'calibration.fake', { integer: true, min: 0 });
      for (const key of ['fpr', 'fnr']) c.nullableNumber(cal, key, `calibration.${key}`, rate);
    }
  }
  if (json.evaluation !== undefined) {
    const ev = c.object(json, 'evaluation', 'evaluation');
    if (ev) {
      c.string(ev, 'split', 'evaluation.split');
      c.string(ev, 'splitSha256', 'evaluation.splitSha256', true);
      c.string(ev, 'scoredBy', 'evaluation.scoredBy');
      c.number(ev, 'threshold', 'evaluation.threshold', rate);
      c.number(ev, 'real', 'evaluation.real', { integer: true, min: 0 });
      c.number(ev, 'fake', 'evaluation.fake', { integer: true, min: 0 });
      for (const key of ['accuracy', 'precision', 'recall', 'f1', 'ap', 'fpr', 'fnr']) c.nullableNumber(ev, key, `evaluation.${key}`, rate);
      c.array(ev, 'perSource', 'evaluation.perSource', true);
      c.nullableNumber(ev, 'meanAccuracy', 'evaluation.meanAccuracy', rate, true);
      c.nullableNumber(ev, 'meanAp', 'evaluation.meanAp', rate, true);
    }
  }

  c.unknownFields();
  if (c.problems.length > 0) return { ok: false, problems: c.problems };
  return { ok: true, manifest: json as unknown as ModelManifest };
}

/**
 * The rates a manifest records at its defaultThreshold, for display next to a score: the
 * held-out evaluation when there is one (it is what the model card reports), else the
 * calibration on validation; null when the manifest records neither.
 */
export function operatingPointOf(m: ModelManifest): { fpr: number | null; fnr: number | null; measuredOn: string } | null {
  // A split is named ("test", "held-out test") or described ("CASIA v2 + IMD2020 samples (…)",
  // "DFDC test split (…)"): only a bare name needs the word.
  const on = (split: string, real: number, fake: number) => `${/split|\(/.test(split) ? split : `${split} split`}, ${real} real / ${fake} fake`;
  const ev = m.evaluation;
  if (ev && ev.threshold === m.defaultThreshold) return { fpr: ev.fpr, fnr: ev.fnr, measuredOn: on(ev.split, ev.real, ev.fake) };
  const cal = m.calibration;
  if (cal) return { fpr: cal.fpr, fnr: cal.fnr, measuredOn: on(cal.split, cal.real, cal.fake) };
  return null;
}
