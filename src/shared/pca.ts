// Principal component analysis of the colours (as in Forensically and Sherloq): the image's RGB
// values projected on their principal axes. The first component is mostly brightness; the second
// and third separate colour casts, so a pasted object with a slightly different white balance or
// noise often stands out there although it is invisible in the photo.

import { assertPixelImage, clampByte, newRgba, type PixelImage, type RgbaImage } from './pixels';

export interface PcaBasis {
  mean: [number, number, number];
  /** Unit eigenvectors, largest variance first. */
  components: [[number, number, number], [number, number, number], [number, number, number]];
  /** Variance along each component (eigenvalues), descending. */
  variances: [number, number, number];
}

export interface PcaOptions {
  /** 1, 2 or 3: which principal component. */
  component: 1 | 2 | 3;
  /** 'projection': signed coordinate along the component; 'distance': distance from that axis. */
  mode: 'projection' | 'distance';
  /** Gain: 1 maps ±3 standard deviations (of the component, or off its axis for distances) to the full range. */
  contrast: number;
  invert: boolean;
}

export const DEFAULT_PCA_OPTIONS: Readonly<PcaOptions> = Object.freeze({ component: 2, mode: 'projection', contrast: 1, invert: false });

/** Eigen-decomposition of a symmetric 3×3 matrix by cyclic Jacobi rotations. */
export function symmetricEigen3(m: number[][]): { values: number[]; vectors: number[][] } {
  const a = m.map((row) => row.slice());
  const v = [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ];
  for (let sweep = 0; sweep < 50; sweep++) {
    const off = Math.abs(a[0]![1]!) + Math.abs(a[0]![2]!) + Math.abs(a[1]![2]!);
    if (off < 1e-12) break;
    for (const [p, q] of [[0, 1], [0, 2], [1, 2]] as const) {
      const apq = a[p]![q]!;
      if (Math.abs(apq) < 1e-15) continue;
      const theta = (a[q]![q]! - a[p]![p]!) / (2 * apq);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(t * t + 1);
      const s = t * c;
      for (let k = 0; k < 3; k++) {
        const akp = a[k]![p]!;
        const akq = a[k]![q]!;
        a[k]![p] = c * akp - s * akq;
        a[k]![q] = s * akp + c * akq;
      }
      for (let k = 0; k < 3; k++) {
        const apk = a[p]![k]!;
        const aqk = a[q]![k]!;
        a[p]![k] = c * apk - s * aqk;
        a[q]![k] = s * apk + c * aqk;
      }
      for (let k = 0; k < 3; k++) {
        const vkp = v[k]![p]!;
        const vkq = v[k]![q]!;
        v[k]![p] = c * vkp - s * vkq;
        v[k]![q] = s * vkp + c * vkq;
      }
    }
  }
  const order = [0, 1, 2].sort((i, j) => a[j]![j]! - a[i]![i]!);
  return {
    values: order.map((i) => Math.max(0, a[i]![i]!)),
    vectors: order.map((i) => [v[0]![i]!, v[1]![i]!, v[2]![i]!]),
  };
}

/** Mean and principal axes of the pixel colours (one pass for the covariance). */
export function pcaBasis(image: PixelImage): PcaBasis {
  assertPixelImage(image);
  const { width, height, channels, data } = image;
  const n = width * height;
  let sr = 0, sg = 0, sb = 0;
  let rr = 0, rg = 0, rb = 0, gg = 0, gb = 0, bb = 0;
  for (let p = 0, i = 0; p < n; p++, i += channels) {
    const r = data[i]!, g = data[i + 1]!, b = data[i + 2]!;
    sr += r; sg += g; sb += b;
    rr += r * r; rg += r * g; rb += r * b; gg += g * g; gb += g * b; bb += b * b;
  }
  const mr = sr / n, mg = sg / n, mb = sb / n;
  const cov = [
    [rr / n - mr * mr, rg / n - mr * mg, rb / n - mr * mb],
    [rg / n - mr * mg, gg / n - mg * mg, gb / n - mg * mb],
    [rb / n - mr * mb, gb / n - mg * mb, bb / n - mb * mb],
  ];
  const { values, vectors } = symmetricEigen3(cov);
  return {
    mean: [mr, mg, mb],
    components: vectors as PcaBasis['components'],
    variances: values as PcaBasis['variances'],
  };
}

/** Renders one component with a precomputed basis: the slider step, no covariance. */
export function pcaProjection(image: PixelImage, basis: PcaBasis, options: PcaOptions = DEFAULT_PCA_OPTIONS): RgbaImage {
  assertPixelImage(image);
  const { component, mode, contrast, invert } = options;
  if (component !== 1 && component !== 2 && component !== 3) throw new RangeError(`PCA component must be 1, 2 or 3, got ${component}.`);
  if (!(contrast > 0) || !Number.isFinite(contrast)) throw new RangeError(`PCA contrast must be above 0, got ${contrast}.`);
  const { width, height, channels, data } = image;
  const e = basis.components[component - 1];
  // Projections scale with the component's own spread; distances from its axis with the spread
  // of everything off that axis (the other components' variance).
  const residual = basis.variances.reduce((a, b) => a + b, 0) - basis.variances[component - 1];
  const sd = Math.sqrt(mode === 'projection' ? basis.variances[component - 1] : residual) || 1;
  const [mr, mg, mb] = basis.mean;
  const out = newRgba(width, height);
  // ±3 sd → 0..255 for projections; 0..3 sd → 0..255 for distances.
  const gain = mode === 'projection' ? (contrast * 127.5) / (3 * sd) : (contrast * 255) / (3 * sd);
  for (let p = 0, i = 0, o = 0; p < width * height; p++, i += channels, o += 4) {
    const dr = data[i]! - mr, dg = data[i + 1]! - mg, db = data[i + 2]! - mb;
    const t = dr * e[0] + dg * e[1] + db * e[2];
    let level: number;
    if (mode === 'projection') {
      level = 127.5 + t * gain;
    } else {
      const qr = dr - t * e[0], qg = dg - t * e[1], qb = db - t * e[2];
      level = Math.sqrt(qr * qr + qg * qg + qb * qb) * gain;
    }
    const v = clampByte(invert ? 255 - level : level);
    out.data[o] = out.data[o + 1] = out.data[o + 2] = v;
    out.data[o + 3] = 255;
  }
  return out;
}
