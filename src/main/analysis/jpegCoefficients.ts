// A JPEG coefficient decoder: reads the entropy-coded data of a file and returns the quantised
// DCT coefficients of every 8×8 block, exactly as the encoder wrote them, without inverse DCT,
// colour conversion or rounding. Double-compression analysis needs these integers: decoded pixels
// have already lost the periodic patterns that double quantisation leaves in them.
//
// Supports the Huffman-coded processes of ITU-T T.81: baseline and extended sequential (SOF0,
// SOF1) and progressive (SOF2), interleaved and non-interleaved scans, restart intervals, any
// sampling factors, 8- and 12-bit precision. Arithmetic coding, lossless and hierarchical JPEG
// (rare in photographs) are refused with a message. Damage in the entropy-coded data does not
// throw: decoding stops at the damage, keeps every block decoded before it, and says so in
// `warnings`.

import { inverseDct8x8 as inverseDctInto, ZIGZAG } from './dct';

export class JpegDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JpegDecodeError';
  }
}

export interface JpegComponent {
  /** Component identifier from the frame header (1, 2, 3 for JFIF Y, Cb, Cr). */
  id: number;
  /** Sampling factors. */
  h: number;
  v: number;
  /** Quantisation table slot. */
  tq: number;
  /** Size in samples of this component (chroma is smaller when subsampled). */
  width: number;
  height: number;
  /** Blocks that cover the component: ceil(width / 8) × ceil(height / 8). */
  blocksWide: number;
  blocksHigh: number;
  /** Blocks per row and column as stored: padded to whole MCUs (≥ blocksWide/blocksHigh). */
  blocksPerLine: number;
  blocksPerColumn: number;
  /**
   * Quantised coefficients, 64 per block in natural (row-major) order, blocks row-major:
   * block (row r, column c) starts at (r * blocksPerLine + c) * 64.
   */
  coefficients: Int16Array;
  /** The quantisation table used for this component (natural order), or null if none was defined. */
  quantTable: Uint16Array | null;
}

export interface JpegCoefficients {
  width: number;
  height: number;
  /** Sample precision in bits (8 or 12). */
  precision: number;
  /** 'baseline' (SOF0), 'extended' (SOF1) or 'progressive' (SOF2). */
  process: 'baseline' | 'extended' | 'progressive';
  components: JpegComponent[];
  maxH: number;
  maxV: number;
  /** Restart interval in MCUs in force at the last scan (0 = none). */
  restartInterval: number;
  scans: number;
  /** Adobe APP14 colour transform flag (0 none, 1 YCbCr, 2 YCCK), null without an APP14 segment. */
  adobeTransform: number | null;
  jfif: boolean;
  /** Non-fatal damage: truncated or corrupt entropy-coded data, bad restart markers. */
  warnings: string[];
}

export interface JpegDecodeOptions {
  /** Refuse frames with more pixels than this (the coefficient arrays take 2 bytes per sample). */
  maxPixels?: number;
}

const DEFAULT_MAX_PIXELS = 120_000_000;

interface HuffmanTable {
  /** (length << 8) | symbol for every 9-bit prefix whose code is ≤ 9 bits; 0 otherwise. */
  lookup: Uint16Array;
  maxCode: Int32Array;
  valPtr: Int32Array;
  minCode: Int32Array;
  values: Uint8Array;
}

const LOOKUP_BITS = 9;

function buildHuffmanTable(counts: Uint8Array, values: Uint8Array): HuffmanTable {
  const maxCode = new Int32Array(18).fill(-1);
  const valPtr = new Int32Array(17);
  const minCode = new Int32Array(17);
  const lookup = new Uint16Array(1 << LOOKUP_BITS);
  let code = 0;
  let k = 0;
  for (let length = 1; length <= 16; length++) {
    const n = counts[length - 1]!;
    valPtr[length] = k;
    minCode[length] = code;
    for (let i = 0; i < n; i++, k++, code++) {
      if (code >= 1 << length) throw new JpegDecodeError('A Huffman table (DHT) defines more codes than fit: the header is damaged.');
      if (length <= LOOKUP_BITS) {
        const shift = LOOKUP_BITS - length;
        const start = code << shift;
        for (let j = 0; j < 1 << shift; j++) lookup[start + j] = (length << 8) | values[k]!;
      }
    }
    maxCode[length] = n > 0 ? code - 1 : -1;
    code <<= 1;
  }
  maxCode[17] = 0x7fffffff; // sentinel: a code longer than 16 bits is damage
  return { lookup, maxCode, valPtr, minCode, values };
}

/** Thrown inside a scan when the entropy-coded data cannot be decoded; caught per scan. */
class EntropyDamage extends Error {}

/** Reads bits from entropy-coded data, removing stuffed zero bytes and stopping at markers. */
class BitReader {
  private buffer = 0;
  private count = 0;
  /** Bytes of zero padding supplied after a marker or the end of the data. */
  padded = 0;
  constructor(
    private readonly data: Uint8Array,
    public pos: number,
  ) {}

  private fill(): void {
    while (this.count <= 24) {
      let byte = 0;
      const p = this.pos;
      if (p < this.data.length) {
        byte = this.data[p]!;
        if (byte === 0xff) {
          const next = p + 1 < this.data.length ? this.data[p + 1]! : 0xd9;
          if (next === 0x00) {
            this.pos = p + 2;
          } else {
            byte = 0; // a marker: stay in front of it and feed zeros
            this.padded++;
          }
        } else {
          this.pos = p + 1;
        }
      } else {
        this.padded++;
      }
      this.buffer = ((this.buffer << 8) | byte) >>> 0;
      this.count += 8;
    }
  }

  bits(n: number): number {
    if (n === 0) return 0;
    if (this.count < n) this.fill();
    this.count -= n;
    return (this.buffer >>> this.count) & ((1 << n) - 1);
  }

  bit(): number {
    if (this.count < 1) this.fill();
    this.count--;
    return (this.buffer >>> this.count) & 1;
  }

  decode(table: HuffmanTable): number {
    if (this.count < 16) this.fill();
    const peek = (this.buffer >>> (this.count - LOOKUP_BITS)) & ((1 << LOOKUP_BITS) - 1);
    const entry = table.lookup[peek]!;
    if (entry !== 0) {
      this.count -= entry >> 8;
      return entry & 0xff;
    }
    let length = LOOKUP_BITS + 1;
    let code = (this.buffer >>> (this.count - length)) & ((1 << length) - 1);
    while (length <= 16 && code > table.maxCode[length]!) {
      length++;
      code = (this.buffer >>> (this.count - length)) & ((1 << length) - 1);
    }
    if (length > 16) throw new EntropyDamage('invalid Huffman code');
    this.count -= length;
    return table.values[table.valPtr[length]! + code - table.minCode[length]!]!;
  }

  /** Signed value of `s` magnitude bits (T.81 F.2.2.1 EXTEND). */
  receiveExtend(s: number): number {
    if (s === 0) return 0;
    if (s > 16) throw new EntropyDamage('coefficient size above 16 bits');
    const v = this.bits(s);
    return v < 1 << (s - 1) ? v - (1 << s) + 1 : v;
  }

  /** True once a bit of the zero padding (after a marker or the end of the data) was consumed. */
  get exhausted(): boolean {
    return this.count < 8 * this.padded;
  }

  /** Drops buffered bits (byte alignment before a restart marker). */
  reset(): void {
    this.buffer = 0;
    this.count = 0;
    this.padded = 0;
  }
}

interface ScanComponent {
  component: JpegComponent;
  index: number;
  dc: HuffmanTable | undefined;
  ac: HuffmanTable | undefined;
}

function segmentLength(data: Uint8Array, p: number): number {
  if (p + 4 > data.length) throw new JpegDecodeError('The file ends inside a marker segment header.');
  const length = (data[p + 2]! << 8) | data[p + 3]!;
  if (length < 2 || p + 2 + length > data.length) {
    throw new JpegDecodeError(`Marker 0xFF${data[p + 1]!.toString(16).toUpperCase()} at byte ${p} has a length that runs past the end of the file.`);
  }
  return length;
}

/** Position of the next marker (0xFF followed by neither 0x00, 0xFF nor a restart code) from `p`. */
function nextMarker(data: Uint8Array, p: number): number {
  for (let i = p; i + 1 < data.length; i++) {
    if (data[i] !== 0xff) continue;
    const m = data[i + 1]!;
    if (m !== 0x00 && m !== 0xff && (m < 0xd0 || m > 0xd7)) return i;
  }
  return data.length;
}

/** Decodes every scan of a JPEG file into quantised DCT coefficients. Throws JpegDecodeError for non-JPEG or unsupported files. */
export function decodeJpegCoefficients(bytes: Uint8Array, options: JpegDecodeOptions = {}): JpegCoefficients {
  const data = bytes;
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (data.length < 4 || data[0] !== 0xff || data[1] !== 0xd8) throw new JpegDecodeError('Not a JPEG file (no start-of-image marker).');

  const quantTables: (Uint16Array | undefined)[] = [];
  const dcTables: (HuffmanTable | undefined)[] = [];
  const acTables: (HuffmanTable | undefined)[] = [];
  const warnings: string[] = [];
  let frame: JpegCoefficients | null = null;
  let restartInterval = 0;
  let adobeTransform: number | null = null;
  let jfif = false;
  let scans = 0;
  let eobrun = 0;

  let p = 2;
  while (p < data.length) {
    if (data[p] !== 0xff) {
      // Junk between segments: some writers pad; skip to the next marker.
      const next = nextMarker(data, p);
      if (next >= data.length) break;
      warnings.push(`Skipped ${next - p} unexpected bytes before a marker at byte ${next}.`);
      p = next;
      continue;
    }
    const marker = data[p + 1]!;
    if (marker === 0xff) {
      p++;
      continue;
    }
    if (marker === 0xd9) break; // EOI
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      p += 2;
      continue;
    }
    const length = segmentLength(data, p);
    const seg = data.subarray(p + 4, p + 2 + length);
    switch (marker) {
      case 0xdb: {
        // DQT: one or more tables, each Pq/Tq then 64 entries in zig-zag order.
        let q = 0;
        while (q < seg.length) {
          const pq = seg[q]! >> 4;
          const tq = seg[q]! & 15;
          const size = pq === 0 ? 64 : 128;
          if (tq > 3 || q + 1 + size > seg.length) throw new JpegDecodeError('A quantisation table (DQT) is damaged.');
          const table = new Uint16Array(64);
          for (let k = 0; k < 64; k++) {
            table[ZIGZAG[k]!] = pq === 0 ? seg[q + 1 + k]! : (seg[q + 1 + 2 * k]! << 8) | seg[q + 2 + 2 * k]!;
          }
          quantTables[tq] = table;
          q += 1 + size;
        }
        break;
      }
      case 0xc4: {
        // DHT: Tc/Th, 16 counts, symbols.
        let q = 0;
        while (q < seg.length) {
          if (q + 17 > seg.length) throw new JpegDecodeError('A Huffman table (DHT) is damaged.');
          const tc = seg[q]! >> 4;
          const th = seg[q]! & 15;
          const counts = seg.subarray(q + 1, q + 17);
          let total = 0;
          for (const c of counts) total += c;
          if (th > 3 || tc > 1 || q + 17 + total > seg.length || total > 256) throw new JpegDecodeError('A Huffman table (DHT) is damaged.');
          const table = buildHuffmanTable(counts, seg.slice(q + 17, q + 17 + total));
          (tc === 0 ? dcTables : acTables)[th] = table;
          q += 17 + total;
        }
        break;
      }
      case 0xdd:
        if (seg.length < 2) throw new JpegDecodeError('The restart interval (DRI) segment is damaged.');
        restartInterval = (seg[0]! << 8) | seg[1]!;
        break;
      case 0xe0:
        if (seg.length >= 5 && String.fromCharCode(...seg.subarray(0, 5)) === 'JFIF\0') jfif = true;
        break;
      case 0xee:
        if (seg.length >= 12 && String.fromCharCode(...seg.subarray(0, 5)) === 'Adobe') adobeTransform = seg[11]!;
        break;
      case 0xc0:
      case 0xc1:
      case 0xc2: {
        if (frame) throw new JpegDecodeError('The file has more than one frame header (SOF).');
        frame = readFrame(seg, marker, maxPixels, warnings);
        break;
      }
      case 0xc3:
      case 0xc5:
      case 0xc6:
      case 0xc7:
        throw new JpegDecodeError('Lossless or hierarchical JPEG (a rare variant, not used by cameras) cannot be analysed in the DCT domain.');
      case 0xc9:
      case 0xca:
      case 0xcb:
      case 0xcd:
      case 0xce:
      case 0xcf:
        throw new JpegDecodeError('This JPEG uses arithmetic coding, which the coefficient decoder does not support.');
      case 0xda: {
        if (!frame) throw new JpegDecodeError('A scan (SOS) comes before the frame header (SOF).');
        scans++;
        const scanEnd = decodeScan(data, p + 2 + length, seg, frame, {
          quantTables,
          dcTables,
          acTables,
          restartInterval,
          warnings,
          scanNumber: scans,
          eobrun: () => eobrun,
          setEobrun: (v: number) => (eobrun = v),
        });
        eobrun = 0;
        p = scanEnd;
        continue;
      }
      default:
        break; // APPn, COM, DNL and others carry nothing the coefficients need
    }
    p += 2 + length;
  }
  if (!frame) throw new JpegDecodeError('The JPEG has no frame header (SOF): no image data to decode.');
  if (scans === 0) throw new JpegDecodeError('The JPEG has no scan: it holds no image data.');
  frame.restartInterval = restartInterval;
  frame.scans = scans;
  frame.adobeTransform = adobeTransform;
  frame.jfif = jfif;
  return frame;
}

function readFrame(seg: Uint8Array, marker: number, maxPixels: number, warnings: string[]): JpegCoefficients {
  if (seg.length < 6) throw new JpegDecodeError('The frame header (SOF) is damaged.');
  const precision = seg[0]!;
  const height = (seg[1]! << 8) | seg[2]!;
  const width = (seg[3]! << 8) | seg[4]!;
  const count = seg[5]!;
  if (precision !== 8 && precision !== 12) throw new JpegDecodeError(`Unsupported sample precision of ${precision} bits.`);
  if (width === 0 || height === 0) throw new JpegDecodeError('The frame header declares a zero width or height (DNL-defined height is not supported).');
  if (width * height > maxPixels) {
    throw new JpegDecodeError(`The image has ${width} × ${height} pixels, more than the ${maxPixels} the coefficient decoder accepts.`);
  }
  if (count < 1 || count > 4 || seg.length < 6 + count * 3) throw new JpegDecodeError('The frame header (SOF) lists a damaged component table.');
  const raw: { id: number; h: number; v: number; tq: number }[] = [];
  for (let c = 0; c < count; c++) {
    const o = 6 + c * 3;
    const h = seg[o + 1]! >> 4;
    const v = seg[o + 1]! & 15;
    if (h < 1 || h > 4 || v < 1 || v > 4) throw new JpegDecodeError('The frame header declares invalid sampling factors.');
    raw.push({ id: seg[o]!, h, v, tq: seg[o + 2]! & 15 });
  }
  const maxH = Math.max(...raw.map((c) => c.h));
  const maxV = Math.max(...raw.map((c) => c.v));
  const mcusPerLine = Math.ceil(width / (8 * maxH));
  const mcusPerColumn = Math.ceil(height / (8 * maxV));
  const components: JpegComponent[] = raw.map((c) => {
    const cw = Math.ceil((width * c.h) / maxH);
    const ch = Math.ceil((height * c.v) / maxV);
    const blocksPerLine = mcusPerLine * c.h;
    const blocksPerColumn = mcusPerColumn * c.v;
    return {
      ...c,
      width: cw,
      height: ch,
      blocksWide: Math.ceil(cw / 8),
      blocksHigh: Math.ceil(ch / 8),
      blocksPerLine,
      blocksPerColumn,
      coefficients: new Int16Array(blocksPerLine * blocksPerColumn * 64),
      quantTable: null,
    };
  });
  if (new Set(raw.map((c) => c.id)).size !== raw.length) warnings.push('Two frame components share one identifier.');
  return {
    width,
    height,
    precision,
    process: marker === 0xc0 ? 'baseline' : marker === 0xc1 ? 'extended' : 'progressive',
    components,
    maxH,
    maxV,
    restartInterval: 0,
    scans: 0,
    adobeTransform: null,
    jfif: false,
    warnings,
  };
}

interface ScanContext {
  quantTables: (Uint16Array | undefined)[];
  dcTables: (HuffmanTable | undefined)[];
  acTables: (HuffmanTable | undefined)[];
  restartInterval: number;
  warnings: string[];
  scanNumber: number;
  eobrun: () => number;
  setEobrun: (v: number) => void;
}

/** Decodes one scan whose entropy-coded data starts at `start`; returns where the next marker is. */
function decodeScan(data: Uint8Array, start: number, seg: Uint8Array, frame: JpegCoefficients, ctx: ScanContext): number {
  const ns = seg[0]!;
  if (ns < 1 || ns > 4 || seg.length < 1 + ns * 2 + 3) throw new JpegDecodeError('A scan header (SOS) is damaged.');
  const progressive = frame.process === 'progressive';
  const scanComponents: ScanComponent[] = [];
  for (let i = 0; i < ns; i++) {
    const id = seg[1 + i * 2]!;
    const tables = seg[2 + i * 2]!;
    const index = frame.components.findIndex((c) => c.id === id);
    if (index < 0) throw new JpegDecodeError(`A scan refers to component ${id}, which the frame does not declare.`);
    const component = frame.components[index]!;
    if (!component.quantTable) {
      const q = ctx.quantTables[component.tq];
      if (q) component.quantTable = q.slice();
    }
    scanComponents.push({ component, index, dc: ctx.dcTables[tables >> 4], ac: ctx.acTables[tables & 15] });
  }
  const o = 1 + ns * 2;
  let ss = seg[o]!;
  let se = seg[o + 1]!;
  const ah = seg[o + 2]! >> 4;
  const al = seg[o + 2]! & 15;
  if (!progressive) {
    ss = 0;
    se = 63;
  }
  if (ss > se || se > 63 || (progressive && ss === 0 && se !== 0) || (progressive && ss > 0 && ns !== 1)) {
    throw new JpegDecodeError('A progressive scan has an invalid spectral selection.');
  }
  const needDc = !progressive || (ss === 0 && ah === 0);
  const needAc = !progressive ? true : ss > 0;
  for (const sc of scanComponents) {
    if (needDc && !sc.dc) throw new JpegDecodeError('A scan uses a DC Huffman table that was never defined.');
    if (needAc && !sc.ac) throw new JpegDecodeError('A scan uses an AC Huffman table that was never defined.');
  }

  const reader = new BitReader(data, start);
  const preds = new Int32Array(ns);
  ctx.setEobrun(0);

  type BlockDecoder = (sc: ScanComponent, pi: number, offset: number) => void;
  const coeffs = (sc: ScanComponent) => sc.component.coefficients;

  const decodeBaseline: BlockDecoder = (sc, pi, off) => {
    const blk = coeffs(sc);
    const t = reader.decode(sc.dc!);
    preds[pi] = preds[pi]! + (t === 0 ? 0 : reader.receiveExtend(t));
    blk[off] = preds[pi]!;
    const ac = sc.ac!;
    for (let k = 1; k < 64; ) {
      const rs = reader.decode(ac);
      const r = rs >> 4;
      const s = rs & 15;
      if (s === 0) {
        if (r < 15) break;
        k += 16;
        continue;
      }
      k += r;
      if (k > 63) throw new EntropyDamage('run past the end of a block');
      blk[off + ZIGZAG[k]!] = reader.receiveExtend(s);
      k++;
    }
  };
  const decodeDcFirst: BlockDecoder = (sc, pi, off) => {
    const t = reader.decode(sc.dc!);
    preds[pi] = preds[pi]! + (t === 0 ? 0 : reader.receiveExtend(t));
    coeffs(sc)[off] = preds[pi]! * (1 << al);
  };
  const decodeDcRefine: BlockDecoder = (sc, _pi, off) => {
    if (reader.bit()) coeffs(sc)[off] |= 1 << al;
  };
  const decodeAcFirst: BlockDecoder = (sc, _pi, off) => {
    let eob = ctx.eobrun();
    if (eob > 0) {
      ctx.setEobrun(eob - 1);
      return;
    }
    const blk = coeffs(sc);
    const ac = sc.ac!;
    for (let k = ss; k <= se; ) {
      const rs = reader.decode(ac);
      const r = rs >> 4;
      const s = rs & 15;
      if (s === 0) {
        if (r < 15) {
          eob = (1 << r) - 1;
          if (r) eob += reader.bits(r);
          ctx.setEobrun(eob);
          break;
        }
        k += 16;
        continue;
      }
      k += r;
      if (k > 63) throw new EntropyDamage('run past the end of a block');
      blk[off + ZIGZAG[k]!] = reader.receiveExtend(s) * (1 << al);
      k++;
    }
  };
  const decodeAcRefine: BlockDecoder = (sc, _pi, off) => {
    const blk = coeffs(sc);
    const p1 = 1 << al;
    const m1 = -1 << al;
    let k = ss;
    let eob = ctx.eobrun();
    if (eob === 0) {
      const ac = sc.ac!;
      for (; k <= se; k++) {
        const rs = reader.decode(ac);
        let r = rs >> 4;
        let s = rs & 15;
        if (s) {
          s = reader.bit() ? p1 : m1;
        } else if (r !== 15) {
          eob = 1 << r;
          if (r) eob += reader.bits(r);
          break;
        }
        // Skip r zero coefficients, refining the non-zero ones passed on the way.
        while (k <= se) {
          const z = off + ZIGZAG[k]!;
          const c = blk[z]!;
          if (c !== 0) {
            if (reader.bit() && (c & p1) === 0) blk[z] = c >= 0 ? c + p1 : c + m1;
          } else {
            if (r === 0) break;
            r--;
          }
          k++;
        }
        if (s && k <= se) blk[off + ZIGZAG[k]!] = s;
      }
    }
    if (eob > 0) {
      for (; k <= se; k++) {
        const z = off + ZIGZAG[k]!;
        const c = blk[z]!;
        if (c !== 0 && reader.bit() && (c & p1) === 0) blk[z] = c >= 0 ? c + p1 : c + m1;
      }
      eob--;
    }
    ctx.setEobrun(eob);
  };

  let decodeBlock: BlockDecoder;
  if (!progressive) decodeBlock = decodeBaseline;
  else if (ss === 0) decodeBlock = ah === 0 ? decodeDcFirst : decodeDcRefine;
  else decodeBlock = ah === 0 ? decodeAcFirst : decodeAcRefine;

  // Non-interleaved scans visit the component's own blocks (no MCU padding); interleaved scans
  // visit whole MCUs, each holding h × v blocks of every component in the scan.
  const single = ns === 1;
  const only = scanComponents[0]!.component;
  const unitsPerLine = single ? only.blocksWide : Math.ceil(frame.width / (8 * frame.maxH));
  const unitsPerColumn = single ? only.blocksHigh : Math.ceil(frame.height / (8 * frame.maxV));
  const totalUnits = unitsPerLine * unitsPerColumn;
  const interval = ctx.restartInterval;

  let unit = 0;
  try {
    while (unit < totalUnits) {
      const end = interval > 0 ? Math.min(totalUnits, unit + interval) : totalUnits;
      for (; unit < end; unit++) {
        const uy = Math.floor(unit / unitsPerLine);
        const ux = unit - uy * unitsPerLine;
        if (single) {
          const sc = scanComponents[0]!;
          decodeBlock(sc, 0, (uy * sc.component.blocksPerLine + ux) * 64);
        } else {
          for (let i = 0; i < ns; i++) {
            const sc = scanComponents[i]!;
            const c = sc.component;
            for (let v = 0; v < c.v; v++) {
              const row = uy * c.v + v;
              for (let h = 0; h < c.h; h++) decodeBlock(sc, i, (row * c.blocksPerLine + ux * c.h + h) * 64);
            }
          }
        }
        if (reader.exhausted) throw new EntropyDamage('the data ends before the last block');
      }
      if (unit < totalUnits) {
        // Expect RSTn at the reader's position (after byte alignment); resynchronise on damage.
        reader.reset();
        let q = reader.pos;
        while (q < data.length && data[q] === 0xff && data[q + 1] === 0xff) q++;
        if (q + 1 < data.length && data[q] === 0xff && data[q + 1]! >= 0xd0 && data[q + 1]! <= 0xd7) {
          reader.pos = q + 2;
        } else {
          const found = findRestart(data, q);
          if (found < 0) throw new EntropyDamage('a restart marker is missing');
          ctx.warnings.push(`Scan ${ctx.scanNumber}: a restart marker was missing; decoding resumed at the next one.`);
          reader.pos = found + 2;
        }
        preds.fill(0);
        ctx.setEobrun(0);
      }
    }
  } catch (err) {
    if (!(err instanceof EntropyDamage)) throw err;
    ctx.warnings.push(
      `Scan ${ctx.scanNumber}: ${err.message} at ${single ? 'block' : 'MCU'} ${unit} of ${totalUnits}; later blocks of this scan are missing (zero).`,
    );
  }
  return nextMarker(data, reader.pos);
}

function findRestart(data: Uint8Array, from: number): number {
  for (let i = from; i + 1 < data.length; i++) {
    if (data[i] !== 0xff) continue;
    const m = data[i + 1]!;
    if (m >= 0xd0 && m <= 0xd7) return i;
    if (m !== 0x00 && m !== 0xff) return -1; // another segment begins: no restart to find
  }
  return -1;
}

/**
 * The first component's samples (luma for YCbCr) rebuilt by inverse DCT from the dequantised
 * coefficients, unrounded and unclamped, width × height of that component. This is the signal
 * the encoder quantised, which decoded RGB only approximates.
 */
export function componentPlane(frame: JpegCoefficients, componentIndex = 0): { width: number; height: number; data: Float32Array } {
  const c = frame.components[componentIndex];
  if (!c) throw new RangeError(`The JPEG has no component ${componentIndex}.`);
  const q = c.quantTable;
  if (!q) throw new JpegDecodeError('The component has no quantisation table: its samples cannot be rebuilt.');
  const stride = c.blocksPerLine * 8;
  const full = new Float32Array(stride * c.blocksPerColumn * 8);
  const block = new Float64Array(64);
  for (let by = 0; by < c.blocksHigh; by++) {
    for (let bx = 0; bx < c.blocksWide; bx++) {
      const off = (by * c.blocksPerLine + bx) * 64;
      for (let k = 0; k < 64; k++) block[k] = c.coefficients[off + k]! * q[k]!;
      inverseDctInto(block, full, stride, bx * 8, by * 8);
    }
  }
  const out = new Float32Array(c.width * c.height);
  for (let y = 0; y < c.height; y++) out.set(full.subarray(y * stride, y * stride + c.width), y * c.width);
  return { width: c.width, height: c.height, data: out };
}

