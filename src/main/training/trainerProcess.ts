// Runs train.py / convert.py as a child process: parses its JSON lines, relays stderr as log
// lines, and cancels it the way it expects (SIGTERM, then wait for the checkpoint). Every
// running child is kept in a registry so the app can stop them all when it quits.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { TRAINER_PROTOCOL, trainerEventSchema, type TrainerEvent, type TrainingEvent } from '../../contract/training';
import { pythonCommand } from './python';
import { childEnvironment } from '../config';

/** What one stdout line of the trainer is. */
export type TrainerLine =
  | { kind: 'event'; event: TrainerEvent }
  /** A JSON object that claims to be an event but breaks the protocol: the reason says how. */
  | { kind: 'invalid'; reason: string; protocolMismatch: boolean }
  /** Anything else (a stray print that escaped the trainer's redirection). */
  | { kind: 'text' };

/**
 * Validates one stdout line against the protocol schema (src/contract/training.ts). A line is
 * only trusted as an event when it carries this app's TRAINER_PROTOCOL and every field has the
 * type the app relies on; a trainer from another release is recognised as such.
 */
export function readTrainerLine(line: string): TrainerLine {
  const text = line.trim();
  if (!text.startsWith('{')) return { kind: 'text' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'text' };
  }
  if (typeof value !== 'object' || value === null || typeof (value as { type?: unknown }).type !== 'string') return { kind: 'text' };
  const version = (value as { protocol?: unknown }).protocol;
  if (version !== TRAINER_PROTOCOL) {
    return {
      kind: 'invalid',
      protocolMismatch: true,
      reason: `the trainer speaks protocol ${JSON.stringify(version ?? null)}, this app protocol ${TRAINER_PROTOCOL}: the training scripts (resources/training) do not belong to this version of the app`,
    };
  }
  const parsed = trainerEventSchema.safeParse(value);
  if (parsed.success) return { kind: 'event', event: parsed.data };
  const issues = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(line)'}: ${i.message}`);
  return { kind: 'invalid', protocolMismatch: false, reason: `malformed "${(value as { type: string }).type}" event (${issues.join('; ')})` };
}

/** A trainer event from one stdout line, or null for anything else. */
export function parseTrainerLine(line: string): TrainerEvent | null {
  const read = readTrainerLine(line);
  return read.kind === 'event' ? read.event : null;
}

export interface TrainerProcessOptions {
  /** Python command accepted by findPython (its `executable` is best: no shim in between). */
  python: string;
  script: 'train.py' | 'convert.py';
  /** The trainer's folder (config.trainingScriptsDir): the script's location and working directory. */
  scriptsDir: string;
  args: string[];
  signal?: AbortSignal;
  onEvent?: (event: TrainingEvent) => void;
  /** How long a cancelled trainer may take to write its checkpoint before it is killed. Default 120 s. */
  cancelGraceMs?: number;
  env?: NodeJS.ProcessEnv;
}

export interface TrainerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Every trainer event, in order (step events included). */
  events: TrainerEvent[];
  /** The last event of each type, for quick access. */
  last: Partial<{ [K in TrainerEvent['type']]: Extract<TrainerEvent, { type: K }> }>;
  /** The last stderr lines (tracebacks), to explain a failure. */
  stderrTail: string[];
  /** Lines that looked like events but broke the protocol (first few), with the reason. */
  protocolErrors: string[];
  /** True when the abort signal fired while the process ran. */
  aborted: boolean;
  /** True when the process ignored the cancel request and was killed. */
  killed: boolean;
}

export interface RunningTrainer {
  pid: number;
  script: string;
  args: string[];
  startedAt: string;
}

const running = new Map<ChildProcess, RunningTrainer>();

/** The trainer processes this app started and that are still running. */
export function runningTrainers(): RunningTrainer[] {
  return [...running.values()];
}

/** Asks every running trainer to checkpoint and stop; resolves when they have exited. */
export async function stopAllTrainers(graceMs = 120_000): Promise<void> {
  await Promise.all([...running.keys()].map((child) => requestStop(child, graceMs)));
}

/** Resolves true when the child had to be killed because it ignored the request. */
function requestStop(child: ChildProcess, graceMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(false);
  return new Promise((resolvePromise) => {
    let killed = false;
    const timer = setTimeout(() => {
      // It had its chance to checkpoint; a hung trainer must not keep the app alive.
      killed = true;
      child.kill('SIGKILL');
    }, graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolvePromise(killed);
    });
    // POSIX: the trainer's SIGTERM handler finishes the step and checkpoints. Windows has no
    // signals to catch, so a trainer started with --parent-pipe also watches stdin for "stop".
    child.stdin?.write('stop\n', () => undefined);
    if (process.platform !== 'win32') child.kill('SIGTERM');
  });
}

const STDERR_TAIL = 40;
const PROTOCOL_ERRORS_KEPT = 5;

/** Spawns the script and resolves when it exits (never rejects for a failed run; see `code`). */
export function runTrainerProcess(options: TrainerProcessOptions): Promise<TrainerExit> {
  const [exe, leading] = pythonCommand(options.python);
  const script = join(options.scriptsDir, options.script);
  const child = spawn(exe, [...leading, '-u', script, ...options.args], {
    cwd: options.scriptsDir,
    stdio: ['pipe', 'pipe', 'pipe'],
    windowsHide: true,
    // Its own process group on POSIX: Ctrl+C in a terminal then reaches only this process,
    // which asks the trainer to checkpoint, instead of killing its data-loading workers.
    detached: process.platform !== 'win32',
    // No __pycache__ in the shipped resources (often read-only); unbuffered lines.
    env: childEnvironment({ ...options.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' }),
  });
  const result: TrainerExit = { code: null, signal: null, events: [], last: {}, stderrTail: [], protocolErrors: [], aborted: false, killed: false };
  const emit = (event: TrainingEvent) => {
    try {
      options.onEvent?.(event);
    } catch {
      // A failing listener (a closed window) must not take the trainer down with it.
    }
  };
  running.set(child, { pid: child.pid ?? -1, script: options.script, args: options.args, startedAt: new Date().toISOString() });

  const onAbort = () => {
    result.aborted = true;
    void requestStop(child, options.cancelGraceMs ?? 120_000).then((killed) => {
      result.killed ||= killed;
    });
  };
  if (options.signal?.aborted) queueMicrotask(onAbort);
  else options.signal?.addEventListener('abort', onAbort, { once: true });

  let mismatchStopped = false;
  const stdoutDone = new Promise<void>((r) => {
    createInterface({ input: child.stdout! })
      .on('line', (line) => {
        const read = readTrainerLine(line);
        if (read.kind === 'event') {
          result.events.push(read.event);
          (result.last as Record<string, TrainerEvent>)[read.event.type] = read.event;
          emit(read.event);
        } else if (read.kind === 'invalid') {
          if (result.protocolErrors.length < PROTOCOL_ERRORS_KEPT) result.protocolErrors.push(read.reason);
          emit({ type: 'log', stream: 'stdout', line: `ignored trainer line: ${read.reason}` });
          // A trainer of another release: nothing it says can be trusted, so it is stopped
          // (with its checkpoint) instead of training on for hours toward a result the app cannot read.
          if (read.protocolMismatch && !mismatchStopped) {
            mismatchStopped = true;
            void requestStop(child, options.cancelGraceMs ?? 120_000);
          }
        } else if (line.trim()) {
          emit({ type: 'log', stream: 'stdout', line });
        }
      })
      .on('close', r);
  });
  const stderrDone = new Promise<void>((r) => {
    createInterface({ input: child.stderr! })
      .on('line', (line) => {
        result.stderrTail.push(line);
        if (result.stderrTail.length > STDERR_TAIL) result.stderrTail.shift();
        emit({ type: 'log', stream: 'stderr', line });
      })
      .on('close', r);
  });
  // A closed stdin (the trainer exited) must not crash the app with EPIPE.
  child.stdin?.on('error', () => undefined);

  return new Promise((resolvePromise) => {
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      running.delete(child);
      options.signal?.removeEventListener('abort', onAbort);
      resolvePromise(result);
    };
    child.once('error', (err) => {
      // Only a failed spawn ends the run here; other errors (a failed kill) are followed by 'close'.
      if (child.pid !== undefined) return;
      const error: TrainerEvent = { type: 'error', protocol: TRAINER_PROTOCOL, code: 'SPAWN', message: `Could not start ${options.python}: ${err.message}` };
      result.events.push(error);
      result.last.error = error;
      emit(error);
      finish();
    });
    child.once('close', async (code, signal) => {
      await Promise.all([stdoutDone, stderrDone]);
      result.code = code;
      result.signal = signal;
      finish();
    });
  });
}

/** The sentence that best explains why a trainer run failed. */
export function failureMessage(exit: TrainerExit): string {
  if (exit.last.error) return exit.last.error.message;
  if (exit.protocolErrors.length > 0) return `The trainer's output could not be trusted: ${exit.protocolErrors[0]}`;
  const tail = exit.stderrTail.filter((l) => l.trim()).slice(-3).join(' | ');
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  return `The trainer ${how}${tail ? `: ${tail}` : ' without saying why'}`;
}
