import { open } from 'node:fs/promises';
import { totalmem } from 'node:os';
import sharp from 'sharp';

/**
 * Memory the prepare stage needs per decoded pixel, all of it at once: the decoded RGB, the ELA
 * round trip (re-encoded, decoded again, difference), heatmaps and the thumbnail, and libvips'
 * own buffers. Measured as the peak RSS growth of one large image through the pipeline
 * (tests/pipeline/memoryBudget.test.ts measures it again): about 14 bytes per pixel.
 */
export const PREPARE_BYTES_PER_PIXEL = 14;

/**
 * How much memory the images being prepared at once may take together: a quarter of the
 * machine's memory, between 1 GiB and 8 GiB. Small images never wait for it; a few very large
 * ones (or decompression bombs under the pixel limit) are prepared one or two at a time instead
 * of one per worker, which is what exhausted memory before.
 */
export function defaultMemoryBudget(total: number = totalmem()): number {
  return Math.round(Math.min(8 * 1024 ** 3, Math.max(1024 ** 3, total / 4)));
}

/**
 * A budget of bytes shared by the files in flight: `acquire` waits until the bytes fit, in
 * request order (no large file starves behind a stream of small ones). A file larger than the
 * whole budget still runs, alone, so it is never refused here (the pixel limit decides that).
 */
export class MemoryBudget {
  private used = 0;
  private holders = 0;
  private readonly waiting: { bytes: number; grant: () => void }[] = [];

  constructor(readonly capacity: number) {
    if (!(capacity > 0)) throw new RangeError(`a memory budget must be positive, got ${capacity}`);
  }

  /** Bytes granted and not yet released. */
  get inUse(): number {
    return this.used;
  }

  /** Waits for `bytes` and returns the function that gives them back (idempotent). */
  async acquire(bytes: number): Promise<() => void> {
    const want = Math.max(0, bytes);
    await new Promise<void>((grant) => {
      this.waiting.push({ bytes: want, grant });
      this.pump();
    });
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.used -= want;
      this.holders -= 1;
      this.pump();
    };
  }

  /** Grants waiting requests in order while they fit (the first one always fits when nothing is held). */
  private pump(): void {
    while (this.waiting.length > 0) {
      const head = this.waiting[0];
      if (this.holders > 0 && this.used + head.bytes > this.capacity) return;
      this.waiting.shift();
      this.used += head.bytes;
      this.holders += 1;
      head.grant();
    }
  }
}

/** How much of a file is read to find its dimensions (JPEG frames come after EXIF and ICC segments). */
const PEEK_BYTES = 2 * 1024 * 1024;

/**
 * The memory preparing `path` will need, from its header alone (a few KB read, nothing
 * decoded). A file above `maxPixels` is refused from its header before decoding, so it needs
 * nothing; a header that cannot be read in the first bytes (a TIFF with its directory at the
 * end) is estimated from the file size as if it were uncompressed.
 */
export async function estimatePrepareBytes(path: string, maxPixels: number): Promise<number> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch {
    return 0; // ingest will report why it cannot be read
  }
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(Math.min(size, PEEK_BYTES));
    await handle.read(head, 0, head.length, 0);
    try {
      const { width, height } = await sharp(head, { limitInputPixels: false }).metadata();
      if (width && height) return width * height > maxPixels ? 0 : width * height * PREPARE_BYTES_PER_PIXEL;
    } catch {
      // not an image, or its dimensions are further in: fall through
    }
    return Math.min(maxPixels, Math.round(size / 3)) * PREPARE_BYTES_PER_PIXEL;
  } finally {
    await handle.close();
  }
}
