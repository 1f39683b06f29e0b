// Worker-thread entry of the inference host (see inferenceHost.ts): holds onnxruntime sessions
// and runs them, so `session.run` never blocks the main thread. Requests are answered in order.
import { parentPort } from 'node:worker_threads';
import type { InferenceSession } from 'onnxruntime-node';
import { Tensor } from 'onnxruntime-node';
import type { InferenceReply, InferenceRequest, OpenedReply } from './inferenceHost';
import { preprocess } from './preprocess';
import { createSession, SessionOpenError } from './session';

const sessions = new Map<number, InferenceSession>();
let nextSession = 1;

async function handle(req: InferenceRequest): Promise<{ value: unknown; transfer: ArrayBuffer[] }> {
  switch (req.op) {
    case 'open': {
      const opened = await createSession(req.modelPath, req.order, req.options);
      const session = nextSession++;
      sessions.set(session, opened.session);
      const value: OpenedReply = {
        session,
        provider: opened.provider,
        attempts: opened.attempts,
        inputNames: [...opened.session.inputNames],
        outputNames: [...opened.session.outputNames],
        inputMetadata: [...opened.session.inputMetadata],
      };
      return { value, transfer: [] };
    }
    case 'run': {
      const session = sessions.get(req.session);
      if (!session) throw new Error(`no open session ${req.session} in the inference worker`);
      const result = await session.run({ [req.input]: new Tensor('float32', req.data, req.dims) }, req.outputs);
      const value: Record<string, Float32Array> = {};
      const transfer: ArrayBuffer[] = [];
      for (const name of req.outputs) {
        const data = result[name]?.data;
        if (!(data instanceof Float32Array)) throw new Error(`output "${name}" is not float32`);
        // Outputs own their memory only sometimes (onnxruntime may hand out a view): copy when not.
        const own = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : data.slice();
        value[name] = own;
        transfer.push(own.buffer as ArrayBuffer);
      }
      return { value, transfer };
    }
    case 'release': {
      const session = sessions.get(req.session);
      sessions.delete(req.session);
      await session?.release();
      return { value: null, transfer: [] };
    }
    case 'preprocess': {
      const { data, width, height } = req.image;
      const crops = await preprocess({ data: Buffer.from(data.buffer, data.byteOffset, data.byteLength), width, height, channels: 3 }, req.manifest);
      return { value: crops, transfer: crops.map((c) => c.buffer as ArrayBuffer) };
    }
  }
}

parentPort?.on('message', async (req: InferenceRequest) => {
  try {
    const { value, transfer } = await handle(req);
    parentPort!.postMessage({ id: req.id, ok: true, value } satisfies InferenceReply, transfer);
  } catch (err) {
    const error: Extract<InferenceReply, { ok: false }>['error'] = { message: err instanceof Error ? err.message : String(err) };
    if (err instanceof SessionOpenError && req.op === 'open') {
      error.attempts = err.attempts;
      error.modelPath = req.modelPath;
    }
    parentPort!.postMessage({ id: req.id, ok: false, error } satisfies InferenceReply);
  }
});
