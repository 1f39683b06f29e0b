// Copy-move detection: a part of the picture copied elsewhere in the same picture (to hide
// something, or to duplicate it), possibly rotated or scaled. Keypoints are matched against every
// other keypoint of the same image with the generalised 2-nearest-neighbour test (Amerini et al.
// 2011): a match is kept only when it is much closer than the next candidate, which drops
// repeated texture (bricks, leaves, tiles), where every keypoint has many look-alikes. The
// remaining matches are then clustered by the similarity transform (rotation, scale, shift) they
// agree on, found by RANSAC; only clusters of several matches agreeing on one transform count.

import type { AnalysisDescription, CopyMoveCluster, CopyMoveSummary, PixelRect } from '../../contract/analyses';
import { lumaPlane } from '../../shared/pixels';
import type { DecodedImage } from '../ingest/decoded';
import { seededRandom } from '../random';
import { detectKeypoints, type Keypoint, type KeypointSet } from './keypoints';
import type { ImageMap } from './maps';

export interface CopyMoveParameters {
  /** Images are analysed with their long side at most this (pixels); results are in full-size pixels. */
  maxSide: number;
  maxKeypoints: number;
  /** DoG contrast threshold (grey levels). */
  contrastThreshold: number;
  /** g2NN ratio: keep neighbour t while d_t / d_(t+1) is below this. */
  ratio: number;
  /** Matches between points closer than this (analysis pixels) are ignored: same structure. */
  minDistance: number;
  /** A cluster needs this many matches agreeing on one transform. */
  minMatches: number;
  /** Reprojection tolerance of the transform (analysis pixels). */
  tolerance: number;
  /**
   * Median correlation (ZNCC over 15×15 px) between the matched source areas and their image under
   * the transform: a copy is pixel-for-pixel alike, two similar real objects (twin windows,
   * railings) are not. A rotated or scaled copy was resampled, so it needs only `minCorrelation`;
   * a shifted copy (rotation < 2°, scale within 3%) keeps its pixels and must reach `minShiftCorrelation`.
   */
  minCorrelation: number;
  minShiftCorrelation: number;
}

export const DEFAULT_COPY_MOVE_PARAMETERS: Readonly<CopyMoveParameters> = Object.freeze({
  maxSide: 1024,
  maxKeypoints: 3000,
  contrastThreshold: 2,
  ratio: 0.5,
  minDistance: 20,
  minMatches: 6,
  tolerance: 3,
  minCorrelation: 0.93,
  minShiftCorrelation: 0.97,
});

export const COPY_MOVE_ANALYSIS: AnalysisDescription = {
  id: 'copyMove',
  title: 'Copy-move',
  version: 'copyMove/1',
  shows:
    'Areas of the picture that are copies of another area of the same picture (also rotated or scaled), linked pairwise: the trace of cloning, used to hide or duplicate objects.',
  doesNotProve:
    'Two genuinely identical objects (twin windows, a logo printed twice) also match; and no match does not prove the absence of cloning: small, flat or heavily blurred clones yield too few keypoints.',
  parameters: { ...DEFAULT_COPY_MOVE_PARAMETERS },
  references: [
    'I. Amerini, L. Ballan, R. Caldelli, A. Del Bimbo, G. Serra, "A SIFT-based forensic method for copy-move attack detection and transformation recovery", IEEE TIFS 6(3), 2011',
    'D. G. Lowe, "Distinctive image features from scale-invariant keypoints", IJCV 60(2), 2004',
  ],
  appliesTo: 'any image',
};

/** One verified cluster with its matched points (full-size pixels) and transform. */
export interface CopyMoveClusterDetail extends CopyMoveCluster {
  /** Median ZNCC between matched source areas and their transformed copies. */
  correlation: number;
  /** Source → target point pairs that agree with the transform. */
  pairs: { from: { x: number; y: number }; to: { x: number; y: number } }[];
  /** Similarity transform source → target in full-size pixels: x' = a·x − b·y + tx, y' = b·x + a·y + ty. */
  transform: { a: number; b: number; tx: number; ty: number };
}

export interface CopyMoveDetail {
  summary: CopyMoveSummary;
  clusters: CopyMoveClusterDetail[];
  /** Scale from analysis pixels to full-size pixels. */
  scale: number;
  /** Candidate matches before geometric verification (for the inspector's "all matches" view). */
  candidateMatches: number;
}

function validate(p: CopyMoveParameters): CopyMoveParameters {
  if (!Number.isInteger(p.maxSide) || p.maxSide < 128) throw new RangeError(`copyMove maxSide must be a whole number ≥ 128, got ${p.maxSide}.`);
  if (!Number.isInteger(p.maxKeypoints) || p.maxKeypoints < 50) throw new RangeError(`copyMove maxKeypoints must be ≥ 50, got ${p.maxKeypoints}.`);
  if (!(p.ratio > 0 && p.ratio < 1)) throw new RangeError(`copyMove ratio must be between 0 and 1, got ${p.ratio}.`);
  if (!(p.minDistance > 0)) throw new RangeError(`copyMove minDistance must be above 0, got ${p.minDistance}.`);
  if (!Number.isInteger(p.minMatches) || p.minMatches < 3) throw new RangeError(`copyMove minMatches must be ≥ 3, got ${p.minMatches}.`);
  if (!(p.tolerance > 0)) throw new RangeError(`copyMove tolerance must be above 0, got ${p.tolerance}.`);
  if (!(p.minCorrelation >= -1 && p.minCorrelation <= 1)) throw new RangeError(`copyMove minCorrelation must be in −1..1, got ${p.minCorrelation}.`);
  if (!(p.minShiftCorrelation >= -1 && p.minShiftCorrelation <= 1)) throw new RangeError(`copyMove minShiftCorrelation must be in −1..1, got ${p.minShiftCorrelation}.`);
  if (!(p.contrastThreshold > 0)) throw new RangeError(`copyMove contrastThreshold must be above 0, got ${p.contrastThreshold}.`);
  return { ...p };
}

/** Luma at the analysis size (area-averaged when shrinking). */
export function analysisPlane(image: DecodedImage, maxSide: number): { data: Float32Array; width: number; height: number; scale: number } {
  const luma = lumaPlane(image);
  const { width, height } = image;
  const long = Math.max(width, height);
  if (long <= maxSide) return { data: luma, width, height, scale: 1 };
  const scale = long / maxSide;
  const w = Math.max(1, Math.round(width / scale));
  const h = Math.max(1, Math.round(height / scale));
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const y0 = Math.floor(y * scale), y1 = Math.min(height, Math.max(y0 + 1, Math.floor((y + 1) * scale)));
    for (let x = 0; x < w; x++) {
      const x0 = Math.floor(x * scale), x1 = Math.min(width, Math.max(x0 + 1, Math.floor((x + 1) * scale)));
      let s = 0;
      for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) s += luma[yy * width + xx]!;
      out[y * w + x] = s / ((y1 - y0) * (x1 - x0));
    }
  }
  return { data: out, width: w, height: h, scale: width / w };
}

interface Match {
  i: number;
  j: number;
}

/**
 * g2NN matching within one set: for each keypoint, its nearest descriptors among keypoints at
 * least `minDistance` away; neighbour t is kept while d_t / d_(t+1) < ratio.
 */
function matchWithin(set: KeypointSet, p: CopyMoveParameters): Match[] {
  const { keypoints, descriptors } = set;
  const n = keypoints.length;
  const K = 5;
  const minD2 = p.minDistance * p.minDistance;
  const seen = new Set<number>();
  const matches: Match[] = [];
  const bestD = new Float64Array(K + 1);
  const bestJ = new Int32Array(K + 1);
  for (let i = 0; i < n; i++) {
    bestD.fill(Infinity);
    bestJ.fill(-1);
    const a = i * 128;
    const ki = keypoints[i]!;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const kj = keypoints[j]!;
      const ddx = ki.x - kj.x, ddy = ki.y - kj.y;
      if (ddx * ddx + ddy * ddy < minD2) continue;
      const b = j * 128;
      const limit = bestD[K]!;
      let d = 0;
      // Partial distance: stop as soon as this neighbour cannot enter the list.
      for (let k = 0; k < 128; k += 16) {
        for (let m = k; m < k + 16; m++) {
          const t = descriptors[a + m]! - descriptors[b + m]!;
          d += t * t;
        }
        if (d >= limit) break;
      }
      if (d >= limit) continue;
      let pos = K;
      while (pos > 0 && bestD[pos - 1]! > d) {
        bestD[pos] = bestD[pos - 1]!;
        bestJ[pos] = bestJ[pos - 1]!;
        pos--;
      }
      bestD[pos] = d;
      bestJ[pos] = j;
    }
    for (let t = 0; t < K; t++) {
      const j = bestJ[t]!;
      if (j < 0 || !Number.isFinite(bestD[t + 1]!)) break;
      if (Math.sqrt(bestD[t]!) >= p.ratio * Math.sqrt(bestD[t + 1]!)) break;
      const key = i < j ? i * n + j : j * n + i;
      if (seen.has(key)) continue;
      seen.add(key);
      matches.push({ i, j });
    }
  }
  return matches;
}

interface Similarity {
  a: number;
  b: number;
  tx: number;
  ty: number;
}

/** Similarity mapping p1→q1 and p2→q2 exactly, or null when degenerate. */
function similarityFrom(p1: Keypoint, q1: Keypoint, p2: Keypoint, q2: Keypoint): Similarity | null {
  const dpx = p2.x - p1.x, dpy = p2.y - p1.y;
  const dqx = q2.x - q1.x, dqy = q2.y - q1.y;
  const den = dpx * dpx + dpy * dpy;
  if (den < 4) return null;
  const a = (dqx * dpx + dqy * dpy) / den;
  const b = (dqy * dpx - dqx * dpy) / den;
  return { a, b, tx: q1.x - (a * p1.x - b * p1.y), ty: q1.y - (b * p1.x + a * p1.y) };
}

const apply = (t: Similarity, x: number, y: number) => ({ x: t.a * x - t.b * y + t.tx, y: t.b * x + t.a * y + t.ty });

/** Least-squares similarity through oriented pairs. */
function fitSimilarity(pairs: [Keypoint, Keypoint][]): Similarity | null {
  const n = pairs.length;
  if (n < 2) return null;
  let mx = 0, my = 0, nx = 0, ny = 0;
  for (const [p, q] of pairs) { mx += p.x; my += p.y; nx += q.x; ny += q.y; }
  mx /= n; my /= n; nx /= n; ny /= n;
  let sxx = 0, sab = 0, sba = 0;
  for (const [p, q] of pairs) {
    const px = p.x - mx, py = p.y - my, qx = q.x - nx, qy = q.y - ny;
    sxx += px * px + py * py;
    sab += px * qx + py * qy;
    sba += px * qy - py * qx;
  }
  if (sxx === 0) return null;
  const a = sab / sxx, b = sba / sxx;
  return { a, b, tx: nx - (a * mx - b * my), ty: ny - (b * mx + a * my) };
}

function angleDiff(a: number, b: number): number {
  let d = Math.abs(a - b) % (2 * Math.PI);
  if (d > Math.PI) d = 2 * Math.PI - d;
  return d;
}

/** Does the pair agree with t (in either direction)? Returns the oriented pair or null. */
function orient(t: Similarity, p: Keypoint, q: Keypoint, tol2: number, rot: number, scale: number): [Keypoint, Keypoint] | null {
  const f = apply(t, p.x, p.y);
  if ((f.x - q.x) ** 2 + (f.y - q.y) ** 2 <= tol2 && consistent(p, q, rot, scale)) return [p, q];
  const g = apply(t, q.x, q.y);
  if ((g.x - p.x) ** 2 + (g.y - p.y) ** 2 <= tol2 && consistent(q, p, rot, scale)) return [q, p];
  return null;
}

/** The keypoints' own orientation and scale change must agree with the transform's. */
function consistent(p: Keypoint, q: Keypoint, rot: number, scale: number): boolean {
  const dAngle = q.angle - p.angle;
  const dScale = q.scale / p.scale;
  return angleDiff(dAngle, rot) < (25 * Math.PI) / 180 && dScale / scale < 1.6 && scale / dScale < 1.6;
}

function bbox(points: { x: number; y: number }[], pad: number, width: number, height: number): PixelRect {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const p of points) { x0 = Math.min(x0, p.x); y0 = Math.min(y0, p.y); x1 = Math.max(x1, p.x); y1 = Math.max(y1, p.y); }
  const x = Math.max(0, Math.floor(x0 - pad));
  const y = Math.max(0, Math.floor(y0 - pad));
  return { x, y, width: Math.min(width, Math.ceil(x1 + pad)) - x, height: Math.min(height, Math.ceil(y1 + pad)) - y };
}

/** Keypoints, g2NN matches and RANSAC-verified clusters of one decoded image. */
export function analyzeCopyMove(image: DecodedImage, params: CopyMoveParameters = DEFAULT_COPY_MOVE_PARAMETERS): CopyMoveDetail {
  const parameters = validate(params);
  const base = { analysis: 'copyMove' as const, version: COPY_MOVE_ANALYSIS.version, parameters: { ...parameters } };
  const plane = analysisPlane(image, parameters.maxSide);
  if (plane.width < 64 || plane.height < 64) {
    return {
      summary: { ...base, status: 'not-applicable', flagged: false, reason: `The image is too small for keypoint matching (${image.width}×${image.height} px).`, matchCount: 0, keypoints: 0, clusters: [] },
      clusters: [],
      scale: plane.scale,
      candidateMatches: 0,
    };
  }
  const set = detectKeypoints(plane.data, plane.width, plane.height, {
    maxKeypoints: parameters.maxKeypoints,
    contrastThreshold: parameters.contrastThreshold,
    edgeThreshold: 10,
  });
  const matches = matchWithin(set, parameters);
  const kp = set.keypoints;
  // Orient each match left-to-right (then top-to-bottom) so most pairs of one clone agree in
  // direction; the inlier test accepts both directions anyway.
  const oriented: [Keypoint, Keypoint][] = matches.map(({ i, j }) => {
    const p = kp[i]!, q = kp[j]!;
    return p.x < q.x || (p.x === q.x && p.y <= q.y) ? [p, q] : [q, p];
  });

  const rand = seededRandom(0x5eed);
  const tol2 = parameters.tolerance * parameters.tolerance;
  let remaining = oriented.slice();
  const clusters: CopyMoveClusterDetail[] = [];
  const rejected: number[] = [];
  for (let round = 0; round < 8 && remaining.length >= parameters.minMatches; round++) {
    let best: { t: Similarity; inliers: [Keypoint, Keypoint][]; rot: number; scale: number } | null = null;
    const iterations = Math.min(2000, remaining.length * remaining.length);
    for (let it = 0; it < iterations; it++) {
      const m1 = remaining[Math.floor(rand() * remaining.length)]!;
      const m2 = remaining[Math.floor(rand() * remaining.length)]!;
      if (m1 === m2) continue;
      const t = similarityFrom(m1[0], m1[1], m2[0], m2[1]);
      if (!t) continue;
      const scale = Math.hypot(t.a, t.b);
      if (scale < 0.5 || scale > 2) continue;
      const rot = Math.atan2(t.b, t.a);
      // A copy must move: the transform's fixed region cannot be where both points are.
      const f = apply(t, m1[0].x, m1[0].y);
      if (Math.hypot(f.x - m1[0].x, f.y - m1[0].y) < parameters.minDistance) continue;
      if (!consistent(m1[0], m1[1], rot, scale) || !consistent(m2[0], m2[1], rot, scale)) continue;
      const inliers: [Keypoint, Keypoint][] = [];
      for (const [p, q] of remaining) {
        const o = orient(t, p, q, tol2, rot, scale);
        if (o) inliers.push(o);
      }
      if (!best || inliers.length > best.inliers.length) best = { t, inliers, rot, scale };
    }
    if (!best || best.inliers.length < parameters.minMatches) break;
    const refined = fitSimilarity(best.inliers) ?? best.t;
    const rot = Math.atan2(refined.b, refined.a);
    const scale = Math.hypot(refined.a, refined.b);
    const inliers: [Keypoint, Keypoint][] = [];
    for (const [p, q] of remaining) {
      const o = orient(refined, p, q, tol2 * 2.25, rot, scale);
      if (o) inliers.push(o);
    }
    const used = new Set(inliers.map(([p, q]) => `${p.x},${p.y},${q.x},${q.y}`).concat(inliers.map(([p, q]) => `${q.x},${q.y},${p.x},${p.y}`)));
    remaining = remaining.filter(([p, q]) => !used.has(`${p.x},${p.y},${q.x},${q.y}`));
    if (inliers.length < parameters.minMatches) continue;
    // The matched points must cover an area, not pile up on one spot (a single repeated corner).
    const src = inliers.map(([p]) => p);
    const spreadX = Math.max(...src.map((p) => p.x)) - Math.min(...src.map((p) => p.x));
    const spreadY = Math.max(...src.map((p) => p.y)) - Math.min(...src.map((p) => p.y));
    if (Math.max(spreadX, spreadY) < 8) continue;
    const correlation = clusterCorrelation(plane, inliers, refined);
    const shiftOnly = Math.abs((rot * 180) / Math.PI) < 2 && Math.abs(scale - 1) < 0.03;
    if (correlation < (shiftOnly ? parameters.minShiftCorrelation : parameters.minCorrelation)) {
      rejected.push(correlation);
      continue;
    }
    clusters.push({ ...toCluster(inliers, refined, plane.scale, image.width, image.height), correlation });
  }

  clusters.sort((a, b) => b.matches - a.matches);
  const matchCount = clusters.reduce((s, c) => s + c.matches, 0);
  const flagged = clusters.length > 0;
  let reason: string;
  if (flagged) {
    const c = clusters[0]!;
    const how =
      Math.abs(c.rotation) < 2 && Math.abs(c.scale - 1) < 0.03
        ? 'shifted'
        : `rotated ${c.rotation.toFixed(0)}° and scaled ×${c.scale.toFixed(2)}`;
    reason = `${clusters.length} cloned area${clusters.length > 1 ? 's' : ''}: the area at ${c.source.x},${c.source.y} (${c.source.width}×${c.source.height} px) reappears at ${c.target.x},${c.target.y}, ${how} (${c.matches} matching keypoints agree on that transform).`;
  } else {
    reason =
      rejected.length > 0
        ? `No cloned area: ${rejected.length} group(s) of matching keypoints agree on a transform, but the areas are not pixel copies (best correlation ${Math.max(...rejected).toFixed(2)}, below ${parameters.minCorrelation} for a resampled copy and ${parameters.minShiftCorrelation} for a shifted one): similar objects, not a clone.`
        : `No cloned area: of ${kp.length} keypoints, ${matches.length} distinctive matches, none forming a group of ${parameters.minMatches} that agree on one shift, rotation and scale.`;
  }
  return {
    summary: {
      ...base,
      status: 'ok',
      flagged,
      reason,
      matchCount,
      keypoints: kp.length,
      clusters: clusters.map(({ source, target, matches, rotation, scale, shift }) => ({ source, target, matches, rotation, scale, shift })),
    },
    clusters,
    scale: plane.scale,
    candidateMatches: matches.length,
  };
}

/** Median over the matched source points of the 15×15 ZNCC between the area and its transformed copy. */
function clusterCorrelation(plane: { data: Float32Array; width: number; height: number }, inliers: [Keypoint, Keypoint][], t: Similarity): number {
  const { data, width, height } = plane;
  const sample = (x: number, y: number) => {
    const x0 = Math.floor(x), y0 = Math.floor(y);
    if (x0 < 0 || y0 < 0 || x0 >= width - 1 || y0 >= height - 1) return NaN;
    const fx = x - x0, fy = y - y0, i = y0 * width + x0;
    return (data[i]! * (1 - fx) + data[i + 1]! * fx) * (1 - fy) + (data[i + width]! * (1 - fx) + data[i + width + 1]! * fx) * fy;
  };
  const r = 7;
  const scores: number[] = [];
  for (const [p] of inliers) {
    const cx = Math.round(p.x), cy = Math.round(p.y);
    let n = 0, sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
    for (let dy = -r; dy <= r; dy++) {
      for (let dx = -r; dx <= r; dx++) {
        const x = cx + dx, y = cy + dy;
        if (x < 0 || y < 0 || x >= width || y >= height) continue;
        const q = apply(t, x, y);
        const b = sample(q.x, q.y);
        if (Number.isNaN(b)) continue;
        const a = data[y * width + x]!;
        n++; sa += a; sb += b; saa += a * a; sbb += b * b; sab += a * b;
      }
    }
    if (n < 50) continue;
    const va = saa - (sa * sa) / n, vb = sbb - (sb * sb) / n;
    if (va <= n || vb <= n) continue; // flat window: no evidence either way
    scores.push((sab - (sa * sb) / n) / Math.sqrt(va * vb));
  }
  if (scores.length === 0) return 0;
  scores.sort((a, b) => a - b);
  return scores[scores.length >> 1]!;
}

function toCluster(inliers: [Keypoint, Keypoint][], t: Similarity, scale: number, width: number, height: number): Omit<CopyMoveClusterDetail, 'correlation'> {
  const pairs = inliers.map(([p, q]) => ({ from: { x: p.x * scale, y: p.y * scale }, to: { x: q.x * scale, y: q.y * scale } }));
  const pad = 8 * scale;
  const source = bbox(pairs.map((p) => p.from), pad, width, height);
  const target = bbox(pairs.map((p) => p.to), pad, width, height);
  const centre = (r: PixelRect) => ({ x: r.x + r.width / 2, y: r.y + r.height / 2 });
  const cs = centre(source), ct = centre(target);
  return {
    source,
    target,
    matches: inliers.length,
    rotation: (Math.atan2(t.b, t.a) * 180) / Math.PI,
    scale: Math.hypot(t.a, t.b),
    shift: { x: Math.round(ct.x - cs.x), y: Math.round(ct.y - cs.y) },
    pairs,
    transform: { a: t.a, b: t.b, tx: t.tx * scale, ty: t.ty * scale },
  };
}

/**
 * Dense localisation of the verified clones for the inspector: for every pixel of a source area,
 * the zero-mean normalised correlation (7×7) between it and its image under the cluster's
 * transform; bright where the copy matches, grey levels 0..255 for correlation 0.5..1.
 */
export function copyMoveMask(image: DecodedImage, detail: CopyMoveDetail): ImageMap {
  const { width, height } = image;
  const luma = lumaPlane(image);
  const data = new Uint8Array(width * height);
  const sample = (x: number, y: number) => {
    const x0 = Math.floor(x), y0 = Math.floor(y);
    if (x0 < 0 || y0 < 0 || x0 >= width - 1 || y0 >= height - 1) return NaN;
    const fx = x - x0, fy = y - y0, i = y0 * width + x0;
    return (luma[i]! * (1 - fx) + luma[i + 1]! * fx) * (1 - fy) + (luma[i + width]! * (1 - fx) + luma[i + width + 1]! * fx) * fy;
  };
  const r = 3;
  const a = new Float64Array((2 * r + 1) ** 2);
  const b = new Float64Array((2 * r + 1) ** 2);
  for (const c of detail.clusters) {
    const t = c.transform;
    const grow = Math.max(c.source.width, c.source.height) * 0.5;
    const x0 = Math.max(r, Math.floor(c.source.x - grow)), x1 = Math.min(width - r - 1, Math.ceil(c.source.x + c.source.width + grow));
    const y0 = Math.max(r, Math.floor(c.source.y - grow)), y1 = Math.min(height - r - 1, Math.ceil(c.source.y + c.source.height + grow));
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        let n = 0, sa = 0, sb = 0, ok = true;
        for (let dy = -r; dy <= r && ok; dy++) {
          for (let dx = -r; dx <= r; dx++) {
            const u = x + dx, v = y + dy;
            const wv = sample(t.a * u - t.b * v + t.tx, t.b * u + t.a * v + t.ty);
            if (Number.isNaN(wv)) { ok = false; break; }
            a[n] = luma[v * width + u]!;
            b[n] = wv;
            sa += a[n]!;
            sb += wv;
            n++;
          }
        }
        if (!ok) continue;
        const ma = sa / n, mb = sb / n;
        let cab = 0, caa = 0, cbb = 0;
        for (let k = 0; k < n; k++) {
          const da = a[k]! - ma, db = b[k]! - mb;
          cab += da * db; caa += da * da; cbb += db * db;
        }
        if (caa < n || cbb < n) continue; // flat: correlation meaningless
        const zncc = cab / Math.sqrt(caa * cbb);
        if (zncc <= 0.5) continue;
        const level = Math.round(((zncc - 0.5) / 0.5) * 255);
        const target = apply(t, x, y);
        const tx = Math.round(target.x), ty = Math.round(target.y);
        const src = y * width + x;
        data[src] = Math.max(data[src]!, level);
        if (tx >= 0 && ty >= 0 && tx < width && ty < height) data[ty * width + tx] = Math.max(data[ty * width + tx]!, level);
      }
    }
  }
  return { kind: 'image', width, height, channels: 1, data, unit: 'copy correlation (0.5..1)' };
}
