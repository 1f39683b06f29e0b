// The two kinds of map the analyses hand to the inspector, and the shared steps around them:
// statistics over a grid of cells, growing the region that stands out, and writing a map as a
// PNG (inferno for scalar grids, as the ELA heatmaps) for the case folder and the report.

import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import sharp from 'sharp';
import type { PixelRect } from '../../contract/analyses';
import { INFERNO_LUT } from '../../shared/colormap';

/** One value per square cell of `cell` pixels laid over the image (edge cells may be smaller). */
export interface GridMap {
  kind: 'grid';
  /** Cell side in image pixels. */
  cell: number;
  cols: number;
  rows: number;
  /** cols × rows values, row-major; NaN where a cell carries no information. */
  values: Float32Array;
  /** Image size the grid covers. */
  width: number;
  height: number;
  /** What a value means, for the legend: "noise σ (levels)", "P(double compression)". */
  unit: string;
  /** Values mapped to the ends of the colour scale. */
  range: [number, number];
}

/** A picture-sized map: grey (1 channel) or colour (3 channels), 8-bit. */
export interface ImageMap {
  kind: 'image';
  width: number;
  height: number;
  channels: 1 | 3;
  data: Uint8Array;
  unit: string;
}

export type AnalysisMap = GridMap | ImageMap;

export function median(values: ArrayLike<number>): number {
  const finite: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]!)) finite.push(values[i]!);
  if (finite.length === 0) return NaN;
  finite.sort((a, b) => a - b);
  const m = finite.length >> 1;
  return finite.length % 2 ? finite[m]! : (finite[m - 1]! + finite[m]!) / 2;
}

/** Median absolute deviation (unscaled) of the finite values. */
export function mad(values: ArrayLike<number>, centre = median(values)): number {
  const dev: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]!)) dev.push(Math.abs(values[i]! - centre));
  return median(dev);
}

export function cellRect(grid: Pick<GridMap, 'cell' | 'cols' | 'width' | 'height'>, index: number): PixelRect {
  const cx = index % grid.cols;
  const cy = (index - cx) / grid.cols;
  const x = cx * grid.cell;
  const y = cy * grid.cell;
  return { x, y, width: Math.min(grid.cell, grid.width - x), height: Math.min(grid.cell, grid.height - y) };
}

/**
 * The 4-connected cells reachable from `seed` whose value passes `accept`, and their bounding
 * box in image pixels. The seed is included whatever its value.
 */
export function growRegion(
  grid: Pick<GridMap, 'cell' | 'cols' | 'rows' | 'width' | 'height'>,
  seed: number,
  accept: (index: number) => boolean,
): { cells: number[]; rect: PixelRect } {
  const seen = new Uint8Array(grid.cols * grid.rows);
  const cells: number[] = [];
  const stack = [seed];
  seen[seed] = 1;
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  while (stack.length > 0) {
    const k = stack.pop()!;
    cells.push(k);
    const cx = k % grid.cols;
    const cy = (k - cx) / grid.cols;
    x0 = Math.min(x0, cx); x1 = Math.max(x1, cx); y0 = Math.min(y0, cy); y1 = Math.max(y1, cy);
    for (const [nx, ny] of [[cx - 1, cy], [cx + 1, cy], [cx, cy - 1], [cx, cy + 1]] as const) {
      if (nx < 0 || ny < 0 || nx >= grid.cols || ny >= grid.rows) continue;
      const n = ny * grid.cols + nx;
      if (seen[n] || !accept(n)) continue;
      seen[n] = 1;
      stack.push(n);
    }
  }
  const x = x0 * grid.cell;
  const y = y0 * grid.cell;
  return {
    cells,
    rect: { x, y, width: Math.min(grid.width, (x1 + 1) * grid.cell) - x, height: Math.min(grid.height, (y1 + 1) * grid.cell) - y },
  };
}

/** Overlap of two rectangles divided by the area of `a` (0..1). */
export function coverage(a: PixelRect, b: PixelRect): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w <= 0 || h <= 0 ? 0 : (w * h) / (a.width * a.height);
}

/** RGB pixels of a grid map at image size (each cell a flat inferno square; NaN cells dark grey). */
export function renderGridMap(map: GridMap, maxSide = Math.max(map.width, map.height)): { data: Buffer; width: number; height: number } {
  const scale = Math.min(1, maxSide / Math.max(map.width, map.height));
  const width = Math.max(1, Math.round(map.width * scale));
  const height = Math.max(1, Math.round(map.height * scale));
  const out = Buffer.alloc(width * height * 3);
  const [lo, hi] = map.range;
  const span = hi - lo || 1;
  for (let y = 0; y < height; y++) {
    const cy = Math.min(map.rows - 1, Math.floor(y / scale / map.cell));
    for (let x = 0; x < width; x++) {
      const cx = Math.min(map.cols - 1, Math.floor(x / scale / map.cell));
      const v = map.values[cy * map.cols + cx]!;
      const o = (y * width + x) * 3;
      if (!Number.isFinite(v)) {
        out[o] = out[o + 1] = out[o + 2] = 40;
        continue;
      }
      const level = Math.min(255, Math.max(0, Math.round(((v - lo) / span) * 255))) * 3;
      out[o] = INFERNO_LUT[level]!;
      out[o + 1] = INFERNO_LUT[level + 1]!;
      out[o + 2] = INFERNO_LUT[level + 2]!;
    }
  }
  return { data: out, width, height };
}

/** Writes a map as a PNG (grid maps in inferno at image size or `maxSide`); returns the path. */
export async function writeMapPng(map: AnalysisMap, path: string, maxSide?: number): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  if (map.kind === 'grid') {
    const { data, width, height } = renderGridMap(map, maxSide);
    await sharp(data, { raw: { width, height, channels: 3 } }).png({ compressionLevel: 3 }).toFile(path);
    return path;
  }
  let image = sharp(Buffer.from(map.data.buffer, map.data.byteOffset, map.data.byteLength), {
    raw: { width: map.width, height: map.height, channels: map.channels },
    limitInputPixels: false,
  });
  if (maxSide && Math.max(map.width, map.height) > maxSide) image = image.resize({ width: maxSide, height: maxSide, fit: 'inside' });
  await image.png({ compressionLevel: 3 }).toFile(path);
  return path;
}
