import type { Channel, IpcResult, Request, Responses } from '../../src/contract/ipc';
import { isJobKind, type JobInfo, type JobKind } from '../../src/contract/jobs';
import type { AppServices } from '../../src/main/services';

/** Dispatches like the renderer does and unwraps the value; an error value fails the test with its code and message. */
export function caller(services: () => AppServices) {
  return async function call<C extends Channel>(channel: C, req: Request<C>): Promise<Responses[C]> {
    const r = (await services().dispatch(channel, req)) as IpcResult<C>;
    if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
    return r.value;
  };
}

/** Waits for a job to end and checks its kind, so its result is typed as that kind's. */
export async function finishedJob<K extends JobKind>(services: AppServices, jobId: string, kind: K): Promise<Extract<JobInfo, { kind: K }>> {
  const job = await services.context.jobs.wait(jobId);
  if (!isJobKind(job, kind)) throw new Error(`job ${jobId} is ${job ? `a ${job.kind} job` : 'unknown'}, not ${kind}`);
  return job;
}
