// Worker-thread entry of the prepare stage (see preparePool.ts): ingest, decode and ELA for one
// file at a time, so the per-pixel JavaScript loops of many files run on many cores instead of
// all on the main thread. Pixels go back as transferred buffers (no copy).
import { parentPort } from 'node:worker_threads';
import { elaDifference } from '../analysis';
import { toFileError } from '../errors';
import { IngestRefusal } from '../ingest';
import { PrepareFailure, prepareFile, type PrepareOptions } from './prepare';

export interface PrepareRequest {
  id: number;
  path: string;
  options: PrepareOptions;
}

export type PrepareReply =
  | { id: number; ok: true; prepared: Omit<import('./prepare').PreparedFile, 'image'> & { pixels: ArrayBuffer; width: number; height: number; elaDiff?: ArrayBuffer } }
  | { id: number; ok: false; error: ReturnType<typeof toFileError>; metadata?: import('../../contract/evidence').EvidenceMetadata; sha256?: string };

/** A Buffer's bytes as a standalone ArrayBuffer that can be transferred. */
function ownBuffer(buf: Buffer): ArrayBuffer {
  return buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength && buf.buffer instanceof ArrayBuffer
    ? buf.buffer
    : (buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer);
}

parentPort?.on('message', async (req: PrepareRequest) => {
  try {
    const prepared = await prepareFile(req.path, req.options);
    const { image, ...rest } = prepared;
    // The ELA difference is cached per image; sending it back spares a detector with the ELA
    // input transform a second JPEG round trip on the main thread.
    const diff = req.options.ela ? await elaDifference(image, req.options.ela.quality) : undefined;
    const pixels = ownBuffer(image.data);
    const elaDiff = diff ? ownBuffer(Buffer.from(diff)) : undefined;
    const reply: PrepareReply = { id: req.id, ok: true, prepared: { ...rest, pixels, width: image.width, height: image.height, elaDiff } };
    parentPort!.postMessage(reply, elaDiff ? [pixels, elaDiff] : [pixels]);
  } catch (err) {
    const failure = err instanceof PrepareFailure ? err : undefined;
    const cause = failure ? failure.reason : err;
    const reply: PrepareReply = {
      id: req.id,
      ok: false,
      error: toFileError(cause),
      metadata: failure?.metadata,
      sha256: err instanceof IngestRefusal ? err.sha256 : failure?.metadata?.sha256,
    };
    parentPort!.postMessage(reply);
  }
});
