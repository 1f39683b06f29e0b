// Starts a TypeScript worker when running from source: workers do not inherit the main thread's
// module hooks on Node 20, so tsx is registered here before the worker module is imported.
import { workerData } from 'node:worker_threads';

if (workerData?.tsxApi) {
  const { register } = await import(workerData.tsxApi);
  register();
}
await import(workerData.entry);
