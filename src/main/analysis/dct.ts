// The 8×8 DCT-II of JPEG (ITU-T T.81 A.3.3), in floating point. JPEG's normalisation makes it
// orthonormal, so by Parseval the squared error of a block in the pixel domain equals the sum of
// squared errors of its 64 coefficients: the ghost analysis relies on that.

/** Natural (row-major) index of the k-th coefficient in zig-zag order. */
export const ZIGZAG = Uint8Array.from([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21,
  28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61,
  54, 47, 55, 62, 63,
]);

/** COS[u * 8 + x] = C(u)/2 · cos((2x+1)uπ/16): one 1-D orthonormal DCT-II basis per row. */
const COS = (() => {
  const m = new Float64Array(64);
  for (let u = 0; u < 8; u++) {
    const cu = u === 0 ? Math.SQRT1_2 : 1;
    for (let x = 0; x < 8; x++) m[u * 8 + x] = (cu / 2) * Math.cos(((2 * x + 1) * u * Math.PI) / 16);
  }
  return m;
})();

const scratch = new Float64Array(64);

/**
 * Forward DCT of the 8×8 block at (x0, y0) of a row-major plane of `stride` columns, with JPEG's
 * level shift (−128). Writes 64 coefficients in natural order into `out`. The block must lie
 * inside the plane.
 */
export function forwardDct8x8(plane: ArrayLike<number>, stride: number, x0: number, y0: number, out: Float64Array | Float32Array): void {
  // Rows first: scratch[y*8+u] = Σx f(x,y) COS[u,x]
  for (let y = 0; y < 8; y++) {
    const row = (y0 + y) * stride + x0;
    const f0 = plane[row]! - 128, f1 = plane[row + 1]! - 128, f2 = plane[row + 2]! - 128, f3 = plane[row + 3]! - 128;
    const f4 = plane[row + 4]! - 128, f5 = plane[row + 5]! - 128, f6 = plane[row + 6]! - 128, f7 = plane[row + 7]! - 128;
    for (let u = 0; u < 8; u++) {
      const c = u * 8;
      scratch[y * 8 + u] =
        f0 * COS[c]! + f1 * COS[c + 1]! + f2 * COS[c + 2]! + f3 * COS[c + 3]! +
        f4 * COS[c + 4]! + f5 * COS[c + 5]! + f6 * COS[c + 6]! + f7 * COS[c + 7]!;
    }
  }
  // Then columns: out[v*8+u] = Σy scratch[y,u] COS[v,y]
  for (let u = 0; u < 8; u++) {
    const s0 = scratch[u]!, s1 = scratch[8 + u]!, s2 = scratch[16 + u]!, s3 = scratch[24 + u]!;
    const s4 = scratch[32 + u]!, s5 = scratch[40 + u]!, s6 = scratch[48 + u]!, s7 = scratch[56 + u]!;
    for (let v = 0; v < 8; v++) {
      const c = v * 8;
      out[v * 8 + u] =
        s0 * COS[c]! + s1 * COS[c + 1]! + s2 * COS[c + 2]! + s3 * COS[c + 3]! +
        s4 * COS[c + 4]! + s5 * COS[c + 5]! + s6 * COS[c + 6]! + s7 * COS[c + 7]!;
    }
  }
}

/**
 * Inverse DCT of 64 coefficients (natural order) into the 8×8 block at (x0, y0) of `plane`,
 * adding the level shift back (+128). No rounding or clamping: callers decide.
 */
export function inverseDct8x8(coefficients: ArrayLike<number>, plane: Float32Array | Float64Array, stride: number, x0: number, y0: number): void {
  // Columns: scratch[y*8+u] = Σv F(u,v) COS[v,y]
  for (let u = 0; u < 8; u++) {
    const f0 = coefficients[u]!, f1 = coefficients[8 + u]!, f2 = coefficients[16 + u]!, f3 = coefficients[24 + u]!;
    const f4 = coefficients[32 + u]!, f5 = coefficients[40 + u]!, f6 = coefficients[48 + u]!, f7 = coefficients[56 + u]!;
    for (let y = 0; y < 8; y++) {
      scratch[y * 8 + u] =
        f0 * COS[y]! + f1 * COS[8 + y]! + f2 * COS[16 + y]! + f3 * COS[24 + y]! +
        f4 * COS[32 + y]! + f5 * COS[40 + y]! + f6 * COS[48 + y]! + f7 * COS[56 + y]!;
    }
  }
  // Rows: f(x,y) = Σu scratch[y,u] COS[u,x]
  for (let y = 0; y < 8; y++) {
    const s = y * 8;
    const s0 = scratch[s]!, s1 = scratch[s + 1]!, s2 = scratch[s + 2]!, s3 = scratch[s + 3]!;
    const s4 = scratch[s + 4]!, s5 = scratch[s + 5]!, s6 = scratch[s + 6]!, s7 = scratch[s + 7]!;
    const row = (y0 + y) * stride + x0;
    for (let x = 0; x < 8; x++) {
      plane[row + x] =
        128 +
        s0 * COS[x]! + s1 * COS[8 + x]! + s2 * COS[16 + x]! + s3 * COS[24 + x]! +
        s4 * COS[32 + x]! + s5 * COS[40 + x]! + s6 * COS[48 + x]! + s7 * COS[56 + x]!;
    }
  }
}
