// Starting the engine's worker threads (prepare pool, inference), from source or from the
// electron-vite bundle, with one rule for where the worker file is.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * A worker running `name` (e.g. 'prepareWorker'), the module next to `callerUrl` (the caller's
 * `import.meta.url`). From source (tsx) a plain-JS bootstrap registers the TypeScript loader
 * in the worker first (workers do not inherit module hooks on Node 20). From the bundle, worker
 * entries sit beside index.js (see electron.config.ts) or beside the command's provenance.mjs
 * (scripts/build-cli.mjs); shared code may live one folder down in chunks/, so the parent folder
 * is tried too. Null when the worker file cannot be found or the
 * thread does not come online: callers then do the work in-process.
 */
export async function startWorker(callerUrl: string, name: string, options: WorkerOptions = {}): Promise<Worker | null> {
  let url: URL;
  let workerData: unknown = options.workerData;
  if (callerUrl.endsWith('.ts')) {
    let tsxApi: string;
    try {
      tsxApi = import.meta.resolve('tsx/esm/api');
    } catch {
      // No TypeScript loader for a worker: the caller does the work in-process (slower, same results).
      return null;
    }
    workerData = { entry: new URL(`./${name}.ts`, callerUrl).href, tsxApi, data: options.workerData };
    url = new URL('./workerBootstrap.mjs', import.meta.url);
  } else {
    // The app's bundle has .js files; the command's (out/cli, scripts/build-cli.mjs) and the
    // benchmarks bundled for the GPU machine (bench/gpu/prepare.sh) have .mjs: the caller's own
    // extension first.
    const exts = callerUrl.endsWith('.mjs') ? ['mjs', 'js'] : ['js', 'mjs'];
    const candidates = exts.flatMap((ext) => [new URL(`./${name}.${ext}`, callerUrl), new URL(`../${name}.${ext}`, callerUrl)]);
    const found = candidates.find((u) => existsSync(fileURLToPath(u)));
    if (!found) return null;
    url = found;
    workerData = { data: options.workerData };
  }
  const worker = new Worker(url, { ...options, workerData });
  try {
    await new Promise<void>((resolve, reject) => {
      worker.once('online', resolve);
      worker.once('error', reject);
    });
  } catch {
    await worker.terminate();
    return null;
  }
  return worker;
}

/** What a worker started by startWorker was given as `workerData` by its parent. */
export function workerPayload<T>(raw: unknown): T | undefined {
  return (raw as { data?: T } | undefined)?.data;
}
