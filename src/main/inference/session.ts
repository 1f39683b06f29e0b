// Opens an onnxruntime session on the first execution provider that works. Each provider is
// tried ALONE (executionProviders: [ep]) rather than as one list, because onnxruntime would
// otherwise quietly assign nodes to the CPU and we could not say which provider ran.
import { availableParallelism } from 'node:os';
import { InferenceSession } from 'onnxruntime-node';
import type { ExecutionProviderName } from '../../contract/evidence';

export interface ProviderAttempt {
  provider: ExecutionProviderName;
  /** Why this provider could not open the model; absent for the one that did. */
  error?: string;
}

export interface OpenedSession {
  session: InferenceSession;
  provider: ExecutionProviderName;
  attempts: ProviderAttempt[];
}

export interface SessionOptions {
  /** Threads inside one operator (CPU provider); onnxruntime's default when absent. */
  intraOpNumThreads?: number;
}

/**
 * Intra-op threads for a CPU session on a machine with `cores` cores. The analyse pipeline keeps
 * every core busy preparing images while models run, so extra inference threads mostly compete
 * with that work: on 2 cores, two intra-op threads cost +35% CPU for no throughput gain on
 * small models. One thread up to 3 cores, then a quarter of the cores (4 on 16).
 */
export function defaultIntraOpThreads(cores = availableParallelism()): number {
  return cores < 4 ? 1 : Math.max(1, Math.floor(cores / 4));
}

/** No provider in the order could open the model; `attempts` says why for each. */
export class SessionOpenError extends Error {
  readonly attempts: ProviderAttempt[];
  constructor(modelPath: string, attempts: ProviderAttempt[]) {
    const reasons = attempts.map((a) => `${a.provider}: ${a.error}`).join('; ');
    super(`Could not open ${modelPath} on ${attempts.map((a) => a.provider).join(' or ')} (${reasons})`);
    this.name = 'SessionOpenError';
    this.attempts = attempts;
  }
}

/**
 * The part of an onnxruntime error that says what went wrong: its first line, and for
 * ORT_ENFORCE failures ("<source file>:<line> <function> <condition> was false. <message>")
 * only the message.
 */
function reason(err: unknown): string {
  const line = (err instanceof Error ? err.message : String(err)).split('\n')[0].trim();
  const enforced = / was false\. (.+)$/.exec(line);
  return (enforced ? enforced[1] : line) || 'unknown error';
}

/**
 * Providers that failed for a reason of the machine rather than the model (no GPU adapter),
 * remembered for the life of the process: probing WebGPU costs up to a second and prints
 * driver noise, and the answer cannot change until the process restarts.
 */
const machineUnavailable = new Map<ExecutionProviderName, string>();
const MACHINE_WIDE_FAILURE = /adapter/i;

export async function createSession(
  modelPath: string,
  order: readonly ExecutionProviderName[],
  options: SessionOptions = {},
): Promise<OpenedSession> {
  if (order.length === 0) throw new Error('createSession needs at least one execution provider to try');
  if (options.intraOpNumThreads !== undefined && !(Number.isInteger(options.intraOpNumThreads) && options.intraOpNumThreads >= 0)) {
    throw new Error(`intraOpNumThreads must be a whole number >= 0 (0 = onnxruntime default), got ${options.intraOpNumThreads}`);
  }
  const attempts: ProviderAttempt[] = [];
  for (const provider of order) {
    const known = machineUnavailable.get(provider);
    if (known) {
      attempts.push({ provider, error: `${known} (found earlier in this process)` });
      continue;
    }
    try {
      const session = await InferenceSession.create(modelPath, {
        executionProviders: [provider],
        // onnxruntime-node rejects an explicit undefined, so the key is only set when given.
        ...(options.intraOpNumThreads !== undefined ? { intraOpNumThreads: options.intraOpNumThreads } : {}),
        // One graph node at a time: parallelism comes from intra-op threads and from running
        // inference beside the prepare stage, not from a second pool of threads.
        interOpNumThreads: 1,
        executionMode: 'sequential',
        // Idle intra-op threads sleep instead of spinning: on a machine shared with the prepare
        // stage (and other programs) spinning burns the cores that work needs.
        extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
        graphOptimizationLevel: 'all',
        // Failures are reported through `attempts`; onnxruntime's own warnings would only
        // repeat them on stderr.
        logSeverityLevel: 3,
      });
      attempts.push({ provider });
      return { session, provider, attempts };
    } catch (err) {
      const why = reason(err);
      if (MACHINE_WIDE_FAILURE.test(why)) machineUnavailable.set(provider, why);
      attempts.push({ provider, error: why });
    }
  }
  throw new SessionOpenError(modelPath, attempts);
}
