// Faces for face models: a shipped face detector (resources/faces/<id>/, UltraFace RFB-320)
// finds them, non-maximum suppression keeps one box per face, and each face becomes the square
// crop with margin that the face model was trained on. The training data is cropped by this
// same code (scripts/prepare-training-data.ts), so a face is framed identically in training
// and in the app.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { Tensor, type InferenceSession } from 'onnxruntime-node';
import type { ExecutionProviderName, ImageBox } from '../../contract/evidence';
import { installLayoutFrom } from '../config';
import { sha256File } from '../ingest/hash';
import type { DecodedImage } from '../ingest/decoded';
import type { ModelManifest } from './manifest';
import { faceTensor } from './preprocess';
import { createSession } from './session';

export const FACE_DETECTOR_FILE = 'detector.json';
/** The second detection pass frames the image in grey: this share of its longer side per side. */
export const FRAME_FRACTION = 0.3;
const FRAME_GREY = 127;

/** detector.json next to a face detector's ONNX file. */
export interface FaceDetectorDescription {
  id: string;
  name: string;
  file: string;
  sha256: string;
  /** RGB input of this size; pixels become (value − mean) / scale. */
  input: { name: string; width: number; height: number; mean: number; scale: number };
  /** scores [1, N, 2] (background, face); boxes [1, N, 4] (x1, y1, x2, y2 in 0..1). */
  outputs: { scores: string; boxes: string };
  source: string;
  licence: string;
}

export interface FaceDetection {
  /** In the image's pixels. */
  box: ImageBox;
  /** Face probability, 0..1. */
  score: number;
}

export interface DetectOptions {
  /** Lowest face probability kept. Default 0.7 (the UltraFace demo's). */
  minScore?: number;
  /** Boxes overlapping a stronger one by more than this IoU are dropped. Default 0.3. */
  nmsIou?: number;
  /** Most faces returned, strongest first. Default 16. */
  maxFaces?: number;
}

/**
 * The face detectors of the installation this module belongs to (resources/faces; the packaged
 * command's resources folder), for callers without a configuration (scripts, tests). The app and
 * the CLI pass config.faceDetectorsDir down instead (catalogue → Detector → prepare).
 */
export function defaultFaceDetectorsDir(): string {
  return join(installLayoutFrom(import.meta.url).resourcesDir, 'faces');
}

function intersection(a: ImageBox, b: ImageBox): number {
  const x0 = Math.max(a.x, b.x);
  const y0 = Math.max(a.y, b.y);
  const x1 = Math.min(a.x + a.width, b.x + b.width);
  const y1 = Math.min(a.y + a.height, b.y + b.height);
  return Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
}

/** Intersection over union of two boxes. */
export function iou(a: ImageBox, b: ImageBox): number {
  const inter = intersection(a, b);
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

/** Share of the smaller box that lies inside the other. */
export function containment(a: ImageBox, b: ImageBox): number {
  const smaller = Math.min(a.width * a.height, b.width * b.height);
  return smaller > 0 ? intersection(a, b) / smaller : 0;
}

/**
 * Greedy hard NMS: strongest first; a box is dropped when it overlaps a kept one by more than
 * `threshold` IoU, or lies mostly (more than `contained`) inside it or around it: the two
 * detection passes can frame one face once tightly and once loosely, with a low IoU.
 */
export function nonMaximumSuppression(detections: readonly FaceDetection[], threshold: number, maxKeep = Infinity, contained = 0.8): FaceDetection[] {
  const sorted = [...detections].sort((a, b) => b.score - a.score);
  const kept: FaceDetection[] = [];
  for (const d of sorted) {
    if (kept.length >= maxKeep) break;
    if (kept.every((k) => iou(k.box, d.box) <= threshold && containment(k.box, d.box) <= contained)) kept.push(d);
  }
  return kept;
}

/** Candidate boxes from the detector's raw outputs, in image pixels, clipped to the image. */
export function decodeDetections(scores: Float32Array, boxes: Float32Array, width: number, height: number, minScore: number): FaceDetection[] {
  const count = scores.length / 2;
  if (boxes.length !== count * 4) throw new Error(`face detector gave ${count} scores but ${boxes.length / 4} boxes`);
  const out: FaceDetection[] = [];
  for (let i = 0; i < count; i++) {
    const score = scores[2 * i + 1];
    if (!(score >= minScore)) continue;
    const x1 = Math.min(width, Math.max(0, boxes[4 * i] * width));
    const y1 = Math.min(height, Math.max(0, boxes[4 * i + 1] * height));
    const x2 = Math.min(width, Math.max(0, boxes[4 * i + 2] * width));
    const y2 = Math.min(height, Math.max(0, boxes[4 * i + 3] * height));
    if (x2 - x1 < 1 || y2 - y1 < 1) continue;
    out.push({ box: { x: x1, y: y1, width: x2 - x1, height: y2 - y1 }, score });
  }
  return out;
}

/** The square window a face model sees: `margin` × the longer side of the box, centred on it,
 *  in whole pixels; it may reach outside the image (see cropFace). */
export function faceCropWindow(box: ImageBox, margin: number): { left: number; top: number; size: number } {
  const size = Math.max(1, Math.round(margin * Math.max(box.width, box.height)));
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  return { left: Math.round(cx - size / 2), top: Math.round(cy - size / 2), size };
}

/**
 * The face crop at `outSize`×`outSize`: the window of faceCropWindow, with the image's edge
 * pixels repeated where the window leaves the image, resized with sharp's (antialiased) linear
 * kernel.
 */
export async function cropFace(image: DecodedImage, box: ImageBox, margin: number, outSize: number): Promise<DecodedImage> {
  const { left, top, size } = faceCropWindow(box, margin);
  const { data, width, height } = image;
  const crop = Buffer.allocUnsafe(size * size * 3);
  for (let y = 0; y < size; y++) {
    const sy = Math.min(height - 1, Math.max(0, top + y));
    const row = sy * width;
    for (let x = 0; x < size; x++) {
      const sx = Math.min(width - 1, Math.max(0, left + x));
      const s = (row + sx) * 3;
      const o = (y * size + x) * 3;
      crop[o] = data[s];
      crop[o + 1] = data[s + 1];
      crop[o + 2] = data[s + 2];
    }
  }
  if (size === outSize) return { data: crop, width: size, height: size, channels: 3 };
  const resized = await sharp(crop, { raw: { width: size, height: size, channels: 3 }, limitInputPixels: false })
    .resize(outSize, outSize, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer();
  return { data: resized, width: outSize, height: outSize, channels: 3 };
}

export class FaceDetector {
  readonly description: FaceDetectorDescription;
  readonly provider: ExecutionProviderName;
  /** The folder of face detectors this one was opened from (its parent folder). */
  readonly dir: string;
  private readonly session: InferenceSession;
  /** onnxruntime sessions must not run concurrently from JS. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(dir: string, description: FaceDetectorDescription, session: InferenceSession, provider: ExecutionProviderName) {
    this.dir = dir;
    this.description = description;
    this.session = session;
    this.provider = provider;
  }

  /** Opens resources/faces/<id>/ after checking its ONNX file against detector.json's SHA-256. */
  static async open(id: string, options: { dir?: string; providers?: readonly ExecutionProviderName[]; threads?: number } = {}): Promise<FaceDetector> {
    if (!/^[a-z0-9][a-z0-9._-]*$/.test(id)) throw new Error(`Face detector id ${JSON.stringify(id)} is not a folder name`);
    const dir = options.dir ?? defaultFaceDetectorsDir();
    const folder = join(dir, id);
    let description: FaceDetectorDescription;
    try {
      description = JSON.parse(await readFile(join(folder, FACE_DETECTOR_FILE), 'utf8')) as FaceDetectorDescription;
    } catch (err) {
      throw new Error(`Face detector "${id}" cannot be loaded from ${folder}: ${(err as Error).message}`);
    }
    const modelPath = join(folder, description.file);
    const actual = await sha256File(modelPath).catch((err: Error) => {
      throw new Error(`Face detector "${id}": cannot read ${modelPath} (${err.message})`);
    });
    if (actual !== description.sha256) throw new Error(`Face detector "${id}": ${modelPath} has SHA-256 ${actual}, expected ${description.sha256}; reinstall it`);
    const opened = await createSession(modelPath, options.providers ?? ['cpu'], { intraOpNumThreads: options.threads });
    return new FaceDetector(dir, description, opened.session, opened.provider);
  }

  /**
   * Faces in the image, strongest first, after non-maximum suppression. The detector runs
   * twice: on the whole image, and on the image shrunk into a grey frame (30 % of its longer
   * side on every side). The second pass finds faces that fill the picture, which the
   * detector, trained on faces with surroundings, misses on its own (on the DFDC face crops
   * here: 77 % of real and 65 % of fake faces found at 0.7 without the frame, 97 % and 95 %
   * with it). Candidates of both passes go through one suppression.
   */
  async detect(image: DecodedImage, options: DetectOptions = {}): Promise<FaceDetection[]> {
    const minScore = options.minScore ?? 0.7;
    const pad = Math.round(FRAME_FRACTION * Math.max(image.width, image.height));
    const candidates = [
      ...(await this.pass(image, 0, minScore)),
      ...(await this.pass(image, pad, minScore)),
    ];
    return nonMaximumSuppression(candidates, options.nmsIou ?? 0.3, options.maxFaces ?? 16);
  }

  /** One detector run on the image inside a grey frame of `pad` pixels (0: none). */
  private async pass(image: DecodedImage, pad: number, minScore: number): Promise<FaceDetection[]> {
    const { input, outputs } = this.description;
    const frameW = image.width + 2 * pad;
    const frameH = image.height + 2 * pad;
    // The image's share of the detector input, and the frame around it (at least 1 px of image).
    const innerW = Math.max(1, Math.round((input.width * image.width) / frameW));
    const innerH = Math.max(1, Math.round((input.height * image.height) / frameH));
    const left = Math.floor((input.width - innerW) / 2);
    const top = Math.floor((input.height - innerH) / 2);
    const pixels = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 }, limitInputPixels: false })
      .resize(innerW, innerH, { fit: 'fill', kernel: 'linear' })
      .extend({ left, top, right: input.width - innerW - left, bottom: input.height - innerH - top, background: { r: FRAME_GREY, g: FRAME_GREY, b: FRAME_GREY } })
      .raw()
      .toBuffer();
    if (pixels.length !== input.width * input.height * 3) throw new Error(`face detector input is ${pixels.length} bytes, expected ${input.width * input.height * 3}`);
    const plane = input.width * input.height;
    const tensor = new Float32Array(3 * plane);
    for (let i = 0; i < plane; i++) {
      tensor[i] = (pixels[3 * i] - input.mean) / input.scale;
      tensor[plane + i] = (pixels[3 * i + 1] - input.mean) / input.scale;
      tensor[2 * plane + i] = (pixels[3 * i + 2] - input.mean) / input.scale;
    }
    const run = this.queue.then(() => this.session.run({ [input.name]: new Tensor('float32', tensor, [1, 3, input.height, input.width]) }, [outputs.scores, outputs.boxes]));
    this.queue = run.catch(() => undefined); // the queue only orders runs: this run's caller gets its error from `await run`
    const result = await run;
    const scores = result[outputs.scores].data as Float32Array;
    const boxes = result[outputs.boxes].data as Float32Array;
    // Boxes are fractions of the detector input: back to input pixels, then to the image.
    const sx = image.width / innerW;
    const sy = image.height / innerH;
    const inImage = new Float32Array(boxes.length);
    for (let i = 0; i < boxes.length; i += 4) {
      inImage[i] = ((boxes[i] * input.width - left) * sx) / image.width;
      inImage[i + 1] = ((boxes[i + 1] * input.height - top) * sy) / image.height;
      inImage[i + 2] = ((boxes[i + 2] * input.width - left) * sx) / image.width;
      inImage[i + 3] = ((boxes[i + 3] * input.height - top) * sy) / image.height;
    }
    return decodeDetections(scores, inImage, image.width, image.height, minScore);
  }

  async close(): Promise<void> {
    await this.queue.catch(() => undefined); // a failed last run was reported to its caller; closing must still release
    await this.session.release();
  }
}

/** The faces a face-crop model scores in one image, and one input tensor per face (same order). */
export interface FaceInputs {
  faces: FaceDetection[];
  crops: Float32Array[];
}

/**
 * Finds the faces of one image with the manifest's face settings and cuts each into the model's
 * input: what preprocess() is for the other models. Runs wherever it is called: the analyse
 * pipeline calls it in its prepare workers (sharedFaceDetector), Detector.score on the calling thread.
 */
export async function faceInputs(image: DecodedImage, manifest: ModelManifest, detector: FaceDetector): Promise<FaceInputs> {
  const face = manifest.preprocessing.face;
  if (manifest.preprocessing.mode !== 'face-crop' || !face) throw new Error(`${manifest.id} is not a face-crop model`);
  const faces = await detector.detect(image, { minScore: face.minScore, nmsIou: face.nmsIou, maxFaces: face.maxFaces });
  const crops: Float32Array[] = [];
  for (const f of faces) crops.push(faceTensor(await cropFace(image, f.box, face.margin, manifest.input.width), manifest));
  return { faces, crops };
}

/** Face detectors opened by this thread, by id: each prepare worker opens a detector once and keeps it. */
const sharedDetectors = new Map<string, Promise<FaceDetector>>();

/**
 * This thread's face detector `id` (CPU, one intra-op thread: the prepare workers already keep
 * every core busy), opened on first use and kept for the thread's life. A detector that failed
 * to open is not kept, so the next file tries again and reports the same reason.
 */
export function sharedFaceDetector(id: string, dir?: string): Promise<FaceDetector> {
  const key = `${dir ?? ''}\0${id}`;
  let opening = sharedDetectors.get(key);
  if (!opening) {
    opening = FaceDetector.open(id, { dir, providers: ['cpu'], threads: 1 });
    sharedDetectors.set(key, opening);
    opening.catch(() => sharedDetectors.delete(key));
  }
  return opening;
}
