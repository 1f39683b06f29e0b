// Worker-thread entry of the prepare stage (see preparePool.ts): ingest, decode, ELA, thumbnail
// and model inputs for one file at a time, so the per-pixel work of many files runs on many
// cores and never on the main thread. What goes back is small (metadata, statistics, model
// input tensors, transferred without a copy); the decoded pixels stay and die here.
import { parentPort } from 'node:worker_threads';
import type { EvidenceMetadata } from '../../contract/evidence';
import { toFileError } from '../errors';
import { IngestRefusal } from '../ingest';
import { PrepareFailure, prepareFile, writeEvidenceHeatmap, type HeatmapJob, type PrepareOptions, type PreparedFile } from './prepare';

export type PrepareRequest = { id: number; kind: 'prepare'; path: string; options: PrepareOptions } | { id: number; kind: 'heatmap'; job: HeatmapJob };

export type PrepareReply =
  | { id: number; ok: true; prepared: PreparedFile }
  | { id: number; ok: true; heatmapPath: string }
  | { id: number; ok: false; error: ReturnType<typeof toFileError>; metadata?: EvidenceMetadata; sha256?: string };

parentPort?.on('message', async (req: PrepareRequest) => {
  try {
    if (req.kind === 'heatmap') {
      parentPort!.postMessage({ id: req.id, ok: true, heatmapPath: await writeEvidenceHeatmap(req.job) } satisfies PrepareReply);
      return;
    }
    const prepared = await prepareFile(req.path, req.options);
    const transfer = Object.values(prepared.inputs).flatMap((crops) => crops.map((c) => c.buffer as ArrayBuffer));
    parentPort!.postMessage({ id: req.id, ok: true, prepared } satisfies PrepareReply, transfer);
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
