// Scale- and rotation-invariant keypoints for copy-move detection: difference-of-Gaussians
// extrema with sub-pixel refinement, a dominant gradient orientation, and a 128-dimensional
// gradient-histogram descriptor (Lowe's SIFT, IJCV 2004, as published; the patent expired in
// 2020). Written here rather than taken from an OpenCV WebAssembly build: the npm builds checked
// (@techstark/opencv-js 4.12) ship a 10.9 MB single script without SIFT, and they install
// process-wide uncaughtException/unhandledRejection handlers that abort, unacceptable in the
// main process. Grey float pixels in, keypoints with Uint8 descriptors out.

export interface Keypoint {
  /** Position in the analysed image, pixels (sub-pixel). */
  x: number;
  y: number;
  /** Scale (σ of the Gaussian at which it was found), pixels. */
  scale: number;
  /** Dominant gradient orientation, radians in [0, 2π). */
  angle: number;
  /** |DoG| response: contrast of the blob. */
  response: number;
}

export interface KeypointSet {
  keypoints: Keypoint[];
  /** 128 bytes per keypoint, in the same order. */
  descriptors: Uint8Array;
}

export interface KeypointOptions {
  /** Keep at most this many keypoints (the strongest responses). */
  maxKeypoints: number;
  /** DoG contrast threshold in grey levels (Lowe: 0.03 of the range ≈ 7.7; lower finds more in plain areas). */
  contrastThreshold: number;
  /** Principal curvature ratio above which a point on an edge is dropped (Lowe: 10). */
  edgeThreshold: number;
}

const INTERVALS = 3;
const SIGMA0 = 1.6;
const ASSUMED_BLUR = 0.5;
const ORI_BINS = 36;
const DESC_WIDTH = 4;
const DESC_BINS = 8;

interface Plane {
  width: number;
  height: number;
  data: Float32Array;
}

function gaussianKernel(sigma: number): Float32Array {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) sum += k[i + radius] = Math.exp((-i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i]! /= sum;
  return k;
}

/** Mirror index into [0, n). */
const mirror = (i: number, n: number) => (i < 0 ? Math.min(n - 1, -i) : i >= n ? Math.max(0, 2 * n - 2 - i) : i);

/** Separable Gaussian blur; the interior runs without bounds checks (most of the cost of detection). */
function blur(src: Plane, sigma: number): Plane {
  const { width: w, height: h, data } = src;
  const k = gaussianKernel(sigma);
  const r = (k.length - 1) / 2;
  const taps = k.length;
  const tmp = new Float32Array(w * h);
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      let s = 0;
      if (x >= r && x < w - r) {
        const start = row + x - r;
        for (let t = 0; t < taps; t++) s += data[start + t]! * k[t]!;
      } else {
        for (let t = 0; t < taps; t++) s += data[row + mirror(x + t - r, w)]! * k[t]!;
      }
      tmp[row + x] = s;
    }
  }
  for (let y = 0; y < h; y++) {
    const interior = y >= r && y < h - r;
    for (let x = 0; x < w; x++) {
      let s = 0;
      if (interior) {
        let idx = (y - r) * w + x;
        for (let t = 0; t < taps; t++, idx += w) s += tmp[idx]! * k[t]!;
      } else {
        for (let t = 0; t < taps; t++) s += tmp[mirror(y + t - r, h) * w + x]! * k[t]!;
      }
      out[y * w + x] = s;
    }
  }
  return { width: w, height: h, data: out };
}

function halve(src: Plane): Plane {
  const w = Math.floor(src.width / 2);
  const h = Math.floor(src.height / 2);
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[y * w + x] = src.data[2 * y * src.width + 2 * x]!;
  return { width: w, height: h, data: out };
}

/** Solves the 3×3 system H·x = b (Cramer); null when singular. */
function solve3(h: number[], b: number[]): number[] | null {
  const [a, bb, c, d, e, f, g, hh, i] = h as [number, number, number, number, number, number, number, number, number];
  const det = a * (e * i - f * hh) - bb * (d * i - f * g) + c * (d * hh - e * g);
  if (Math.abs(det) < 1e-12) return null;
  const inv = [
    (e * i - f * hh) / det, (c * hh - bb * i) / det, (bb * f - c * e) / det,
    (f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det,
    (d * hh - e * g) / det, (bb * g - a * hh) / det, (a * e - bb * d) / det,
  ];
  return [
    inv[0]! * b[0]! + inv[1]! * b[1]! + inv[2]! * b[2]!,
    inv[3]! * b[0]! + inv[4]! * b[1]! + inv[5]! * b[2]!,
    inv[6]! * b[0]! + inv[7]! * b[1]! + inv[8]! * b[2]!,
  ];
}

/** Strict maximum (v > 0) or minimum (v < 0) among its 26 neighbours in space and scale. */
function isExtremum(prev: Float32Array, cur: Float32Array, next: Float32Array, i: number, offsets: Int32Array, v: number): boolean {
  if (v > 0) {
    for (const o of offsets) {
      if (prev[i + o]! >= v || next[i + o]! >= v) return false;
      if (o !== 0 && cur[i + o]! >= v) return false;
    }
    return true;
  }
  for (const o of offsets) {
    if (prev[i + o]! <= v || next[i + o]! <= v) return false;
    if (o !== 0 && cur[i + o]! <= v) return false;
  }
  return true;
}

interface Candidate {
  octave: number;
  layer: number;
  /** Position in octave pixels. */
  x: number;
  y: number;
  /** Sub-layer scale offset. */
  s: number;
  response: number;
}

/** Gradient magnitude and orientation of one Gaussian image. */
function gradients(p: Plane): { mag: Float32Array; ori: Float32Array } {
  const { width: w, height: h, data } = p;
  const mag = new Float32Array(w * h);
  const ori = new Float32Array(w * h);
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const dx = data[i + 1]! - data[i - 1]!;
      const dy = data[i + w]! - data[i - w]!;
      mag[i] = Math.sqrt(dx * dx + dy * dy);
      ori[i] = Math.atan2(dy, dx);
    }
  }
  return { mag, ori };
}

/** Keypoints and descriptors of a grey image (values 0..255, row-major). */
export function detectKeypoints(grey: Float32Array, width: number, height: number, options: KeypointOptions): KeypointSet {
  const octaves = Math.max(1, Math.floor(Math.log2(Math.min(width, height) / 24)));
  const sigmas: number[] = [];
  for (let i = 0; i < INTERVALS + 3; i++) sigmas.push(SIGMA0 * Math.pow(2, i / INTERVALS));

  let base: Plane = blur({ width, height, data: grey }, Math.sqrt(SIGMA0 * SIGMA0 - ASSUMED_BLUR * ASSUMED_BLUR));
  const gaussPyramid: Plane[][] = [];
  const dogPyramid: Plane[][] = [];
  for (let o = 0; o < octaves; o++) {
    const gs: Plane[] = [base];
    for (let i = 1; i < INTERVALS + 3; i++) {
      const inc = Math.sqrt(sigmas[i]! * sigmas[i]! - sigmas[i - 1]! * sigmas[i - 1]!);
      gs.push(blur(gs[i - 1]!, inc));
    }
    const ds: Plane[] = [];
    for (let i = 0; i < gs.length - 1; i++) {
      const a = gs[i]!.data, b = gs[i + 1]!.data;
      const d = new Float32Array(a.length);
      for (let k = 0; k < a.length; k++) d[k] = b[k]! - a[k]!;
      ds.push({ width: gs[i]!.width, height: gs[i]!.height, data: d });
    }
    gaussPyramid.push(gs);
    dogPyramid.push(ds);
    base = halve(gs[INTERVALS]!);
    if (base.width < 16 || base.height < 16) break;
  }

  // Extrema of the DoG in space and scale, refined to sub-pixel/sub-scale.
  const preThreshold = (0.5 * options.contrastThreshold) / INTERVALS;
  const border = 5;
  const candidates: Candidate[] = [];
  for (let o = 0; o < dogPyramid.length; o++) {
    const ds = dogPyramid[o]!;
    const w = ds[0]!.width, h = ds[0]!.height;
    const offsets = Int32Array.from([-w - 1, -w, -w + 1, -1, 0, 1, w - 1, w, w + 1]);
    for (let l = 1; l <= INTERVALS; l++) {
      const cur = ds[l]!.data, prev = ds[l - 1]!.data, next = ds[l + 1]!.data;
      for (let y = border; y < h - border; y++) {
        for (let x = border; x < w - border; x++) {
          const i = y * w + x;
          const v = cur[i]!;
          if (Math.abs(v) <= preThreshold) continue;
          if (!isExtremum(prev, cur, next, i, offsets, v)) continue;
          const refined = refine(ds, o, l, x, y, options);
          if (refined) candidates.push(refined);
        }
      }
    }
  }

  // Orientation(s) per candidate, strongest candidates first.
  candidates.sort((a, b) => b.response - a.response);
  const gradCache = new Map<string, { mag: Float32Array; ori: Float32Array }>();
  const gradOf = (o: number, l: number) => {
    const key = `${o}:${l}`;
    let g = gradCache.get(key);
    if (!g) gradCache.set(key, (g = gradients(gaussPyramid[o]![l]!)));
    return g;
  };
  const keypoints: Keypoint[] = [];
  const descriptors: number[][] = [];
  for (const c of candidates) {
    if (keypoints.length >= options.maxKeypoints) break;
    const plane = gaussPyramid[c.octave]![c.layer]!;
    const g = gradOf(c.octave, c.layer);
    const scaleOct = SIGMA0 * Math.pow(2, (c.layer + c.s) / INTERVALS);
    for (const angle of orientations(g, plane.width, plane.height, c.x, c.y, scaleOct)) {
      const desc = describe(g, plane.width, plane.height, c.x, c.y, scaleOct, angle);
      if (!desc) continue;
      const factor = Math.pow(2, c.octave);
      keypoints.push({ x: c.x * factor, y: c.y * factor, scale: scaleOct * factor, angle, response: c.response });
      descriptors.push(desc);
      if (keypoints.length >= options.maxKeypoints) break;
    }
  }
  const out = new Uint8Array(keypoints.length * 128);
  descriptors.forEach((d, i) => out.set(d, i * 128));
  return { keypoints, descriptors: out };
}

function refine(ds: Plane[], octave: number, layer0: number, x0: number, y0: number, options: KeypointOptions): Candidate | null {
  const w = ds[0]!.width, h = ds[0]!.height;
  let x = x0, y = y0, l = layer0;
  let offset: number[] | null = null;
  for (let iter = 0; iter < 5; iter++) {
    const c = ds[l]!.data, p = ds[l - 1]!.data, n = ds[l + 1]!.data;
    const i = y * w + x;
    const dx = (c[i + 1]! - c[i - 1]!) / 2;
    const dy = (c[i + w]! - c[i - w]!) / 2;
    const ds_ = (n[i]! - p[i]!) / 2;
    const v2 = 2 * c[i]!;
    const dxx = c[i + 1]! + c[i - 1]! - v2;
    const dyy = c[i + w]! + c[i - w]! - v2;
    const dss = n[i]! + p[i]! - v2;
    const dxy = (c[i + w + 1]! - c[i + w - 1]! - c[i - w + 1]! + c[i - w - 1]!) / 4;
    const dxs = (n[i + 1]! - n[i - 1]! - p[i + 1]! + p[i - 1]!) / 4;
    const dys = (n[i + w]! - n[i - w]! - p[i + w]! + p[i - w]!) / 4;
    offset = solve3([dxx, dxy, dxs, dxy, dyy, dys, dxs, dys, dss], [-dx, -dy, -ds_]);
    if (!offset) return null;
    if (Math.abs(offset[0]!) < 0.5 && Math.abs(offset[1]!) < 0.5 && Math.abs(offset[2]!) < 0.5) {
      const value = c[i]! + 0.5 * (dx * offset[0]! + dy * offset[1]! + ds_ * offset[2]!);
      if (Math.abs(value) < options.contrastThreshold / INTERVALS) return null;
      // Edge response: ratio of principal curvatures from the 2×2 spatial Hessian.
      const tr = dxx + dyy;
      const det = dxx * dyy - dxy * dxy;
      const r = options.edgeThreshold;
      if (det <= 0 || (tr * tr * r) >= (r + 1) * (r + 1) * det) return null;
      return { octave, layer: l, x: x + offset[0]!, y: y + offset[1]!, s: offset[2]!, response: Math.abs(value) };
    }
    x += Math.round(offset[0]!);
    y += Math.round(offset[1]!);
    l += Math.round(offset[2]!);
    if (l < 1 || l > INTERVALS || x < 5 || y < 5 || x >= w - 5 || y >= h - 5) return null;
  }
  return null;
}

function orientations(g: { mag: Float32Array; ori: Float32Array }, w: number, h: number, x: number, y: number, scale: number): number[] {
  const sigma = 1.5 * scale;
  const radius = Math.round(3 * sigma);
  const hist = new Float64Array(ORI_BINS);
  const cx = Math.round(x), cy = Math.round(y);
  for (let dy = -radius; dy <= radius; dy++) {
    const yy = cy + dy;
    if (yy <= 0 || yy >= h - 1) continue;
    for (let dx = -radius; dx <= radius; dx++) {
      const xx = cx + dx;
      if (xx <= 0 || xx >= w - 1) continue;
      const i = yy * w + xx;
      const weight = Math.exp(-(dx * dx + dy * dy) / (2 * sigma * sigma));
      let bin = Math.round((ORI_BINS * (g.ori[i]! + Math.PI)) / (2 * Math.PI));
      if (bin >= ORI_BINS) bin -= ORI_BINS;
      hist[bin]! += weight * g.mag[i]!;
    }
  }
  // Smooth twice with [1 1 1]/3 (circular), then take peaks within 80% of the highest.
  for (let pass = 0; pass < 2; pass++) {
    const copy = hist.slice();
    for (let b = 0; b < ORI_BINS; b++) hist[b] = (copy[(b + ORI_BINS - 1) % ORI_BINS]! + copy[b]! + copy[(b + 1) % ORI_BINS]!) / 3;
  }
  let max = 0;
  for (const v of hist) max = Math.max(max, v);
  const out: number[] = [];
  if (max <= 0) return out;
  for (let b = 0; b < ORI_BINS; b++) {
    const l = hist[(b + ORI_BINS - 1) % ORI_BINS]!, c = hist[b]!, r = hist[(b + 1) % ORI_BINS]!;
    if (c > l && c > r && c >= 0.8 * max) {
      const interp = b + (0.5 * (l - r)) / (l - 2 * c + r);
      let angle = (2 * Math.PI * interp) / ORI_BINS - Math.PI;
      if (angle < 0) angle += 2 * Math.PI;
      if (angle >= 2 * Math.PI) angle -= 2 * Math.PI;
      out.push(angle);
    }
  }
  return out;
}

function describe(g: { mag: Float32Array; ori: Float32Array }, w: number, h: number, x: number, y: number, scale: number, angle: number): number[] | null {
  const histWidth = 3 * scale;
  const radius = Math.round((histWidth * Math.SQRT2 * (DESC_WIDTH + 1)) / 2);
  const cos = Math.cos(angle) / histWidth;
  const sin = Math.sin(angle) / histWidth;
  const hist = new Float64Array((DESC_WIDTH + 2) * (DESC_WIDTH + 2) * (DESC_BINS + 2));
  const cx = Math.round(x), cy = Math.round(y);
  const expScale = -1 / (0.5 * DESC_WIDTH * DESC_WIDTH);
  let samples = 0;
  const r2 = radius * radius;
  for (let dy = -radius; dy <= radius; dy++) {
    for (let dx = -radius; dx <= radius; dx++) {
      if (dx * dx + dy * dy > r2) continue;
      // Rotate into the keypoint frame, in units of histogram cells.
      const rx = dx * cos + dy * sin;
      const ry = -dx * sin + dy * cos;
      const rbin = ry + DESC_WIDTH / 2 - 0.5;
      const cbin = rx + DESC_WIDTH / 2 - 0.5;
      if (rbin <= -1 || rbin >= DESC_WIDTH || cbin <= -1 || cbin >= DESC_WIDTH) continue;
      const xx = cx + dx, yy = cy + dy;
      if (xx <= 0 || xx >= w - 1 || yy <= 0 || yy >= h - 1) continue;
      const i = yy * w + xx;
      let o = g.ori[i]! - angle;
      while (o < 0) o += 2 * Math.PI;
      while (o >= 2 * Math.PI) o -= 2 * Math.PI;
      const obin = (o * DESC_BINS) / (2 * Math.PI);
      const mag = g.mag[i]! * Math.exp((rx * rx + ry * ry) * expScale);
      samples++;
      // Trilinear interpolation into (row, col, orientation) bins.
      const r0 = Math.floor(rbin), c0 = Math.floor(cbin), o0 = Math.floor(obin);
      const fr = rbin - r0, fc = cbin - c0, fo = obin - o0;
      for (let a = 0; a <= 1; a++) {
        const vr = mag * (a ? fr : 1 - fr);
        for (let b = 0; b <= 1; b++) {
          const vc = vr * (b ? fc : 1 - fc);
          for (let c = 0; c <= 1; c++) {
            const vo = vc * (c ? fo : 1 - fo);
            const idx = ((r0 + a + 1) * (DESC_WIDTH + 2) + (c0 + b + 1)) * (DESC_BINS + 2) + ((o0 + c) % DESC_BINS);
            hist[idx]! += vo;
          }
        }
      }
    }
  }
  if (samples < 16) return null;
  const desc = new Float64Array(DESC_WIDTH * DESC_WIDTH * DESC_BINS);
  for (let r = 0; r < DESC_WIDTH; r++) {
    for (let c = 0; c < DESC_WIDTH; c++) {
      for (let o = 0; o < DESC_BINS; o++) desc[(r * DESC_WIDTH + c) * DESC_BINS + o] = hist[((r + 1) * (DESC_WIDTH + 2) + (c + 1)) * (DESC_BINS + 2) + o]!;
    }
  }
  // Normalise, clip at 0.2 (illumination robustness), renormalise, quantise to bytes.
  let norm = 0;
  for (const v of desc) norm += v * v;
  norm = Math.sqrt(norm);
  if (norm === 0) return null;
  let norm2 = 0;
  for (let i = 0; i < desc.length; i++) {
    desc[i] = Math.min(0.2, desc[i]! / norm);
    norm2 += desc[i]! * desc[i]!;
  }
  norm2 = Math.sqrt(norm2);
  return Array.from(desc, (v) => Math.min(255, Math.round((512 * v) / norm2)));
}
