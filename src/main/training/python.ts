// Finds a Python that can run the trainer: one whose interpreter imports torch and
// torchvision. Several Pythons commonly coexist (a pyenv shim first on PATH, the system one
// with the distribution's PyTorch), so every candidate is asked, in order, and the answers
// are kept so the app can say why each one was passed over.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { PythonEnvironment, PythonProbe } from '../../contract/training';
import { childEnvironment, ENVIRONMENT, type Config } from '../config';

export interface FindPythonOptions {
  /** The configured interpreter (config.python: settings file, environment, --python): tried first. */
  python?: string | null;
  /** Where config.python came from, for the probe list (default 'option'). */
  pythonFrom?: 'option' | 'env';
  /** The trainer's scripts (config.trainingScriptsDir): probe.py is run from there. */
  scriptsDir: string;
  /** Overrides the platform's usual candidates (tests). */
  candidates?: string[];
  platform?: NodeJS.Platform;
  /** Per candidate; importing torch from a cold disk can take many seconds. Default 90 s. */
  timeoutMs?: number;
  /** Ask again instead of reusing this process's earlier answers. */
  fresh?: boolean;
}

/** A command line as given: "py -3" is the Windows launcher with an argument. */
interface Candidate {
  command: string;
  source: PythonProbe['source'];
}

const cache = new Map<string, Promise<PythonProbe>>();

function platformCandidates(platform: NodeJS.Platform): string[] {
  if (platform === 'win32') return ['py -3', 'python', 'python3'];
  // The system interpreter first: Debian/Ubuntu's python3-torch lives there, while a
  // pyenv/conda "python3" earlier on PATH often lacks it.
  return ['/usr/bin/python3', '/usr/local/bin/python3', '/opt/homebrew/bin/python3', 'python3', 'python'];
}

/** How to install what the trainer needs, for the platform, as sentences for the user. */
export function installHint(platform: NodeJS.Platform = process.platform): string {
  const pip = 'pip install torch torchvision onnx';
  const common = ` Then restart Provenance Lab, or point it at that interpreter with the "python" setting in settings.json, --python PATH, or the ${ENVIRONMENT.python} environment variable.`;
  if (platform === 'linux') {
    return `No Python with PyTorch was found. On Debian or Ubuntu: sudo apt-get install python3-torch python3-torchvision python3-onnx. Elsewhere: ${pip} (for an NVIDIA GPU, take the CUDA build from pytorch.org).${common}`;
  }
  if (platform === 'darwin') return `No Python with PyTorch was found. Install Python 3 (python.org or Homebrew), then: ${pip} (Apple-silicon GPUs are used through MPS).${common}`;
  if (platform === 'win32') return `No Python with PyTorch was found. Install Python 3 from python.org, then: py -3 -m ${pip} (for an NVIDIA GPU, take the CUDA build from pytorch.org).${common}`;
  return `No Python with PyTorch was found. Install Python 3, then: ${pip}.${common}`;
}

function splitCommand(command: string): [string, string[]] {
  // A path with spaces (C:\Program Files\...) is one executable; "py -3" is a launcher + flag.
  if (/^py(\.exe)? -\d/.test(command)) {
    const [exe, ...args] = command.split(' ');
    return [exe, args];
  }
  return [command, []];
}

function runProbe(candidate: Candidate, scriptsDir: string, timeoutMs: number): Promise<PythonProbe> {
  const [exe, args] = splitCommand(candidate.command);
  const script = join(scriptsDir, 'probe.py');
  return new Promise((resolvePromise) => {
    execFile(exe, [...args, script], { timeout: timeoutMs, windowsHide: true, env: childEnvironment({ PYTHONDONTWRITEBYTECODE: '1' }) }, (err, stdout, stderr) => {
      const base = { command: candidate.command, source: candidate.source };
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') return resolvePromise({ ...base, ok: false, problem: 'not found' });
      if (err && (err as { killed?: boolean }).killed) return resolvePromise({ ...base, ok: false, problem: `did not answer within ${Math.round(timeoutMs / 1000)} s` });
      const line = stdout.split('\n').find((l) => l.trim().startsWith('{'));
      if (!line) {
        const why = (stderr || (err as Error | null)?.message || 'no output').trim().split('\n').slice(-1)[0];
        return resolvePromise({ ...base, ok: false, problem: `is not a working Python 3 (${why})` });
      }
      let info: Record<string, any>;
      try {
        info = JSON.parse(line);
      } catch {
        return resolvePromise({ ...base, ok: false, problem: 'answered with something that is not JSON' });
      }
      const probe: PythonProbe = {
        ...base,
        // A torch whose load() cannot refuse pickled code is not used (checkpoint.py refuses it too).
        ok: Boolean(info.torch && info.torchvision && info.safeLoading !== false),
        executable: info.executable,
        python: info.python,
        torch: info.torch ?? null,
        torchvision: info.torchvision ?? null,
        onnx: info.onnx ?? null,
        device: info.device,
      };
      if (!info.torch) probe.problem = `Python ${info.python} has no PyTorch (import torch failed: ${info.problems?.torch ?? 'not installed'})`;
      else if (!info.torchvision) probe.problem = `Python ${info.python} has PyTorch ${info.torch} but no torchvision`;
      else if (info.safeLoading === false) probe.problem = `PyTorch ${info.torch} cannot load weights without unpickling them (unpickling can run code); install PyTorch 1.13 or newer`;
      resolvePromise(probe);
    });
  });
}

function probe(candidate: Candidate, scriptsDir: string, timeoutMs: number, fresh: boolean): Promise<PythonProbe> {
  const key = `${candidate.command}\u0000${scriptsDir}`;
  if (!fresh && cache.has(key)) return cache.get(key)!.then((p) => ({ ...p, source: candidate.source }));
  const pending = runProbe(candidate, scriptsDir, timeoutMs);
  cache.set(key, pending);
  return pending;
}

/**
 * The first Python that imports torch and torchvision, trying in order: the configured
 * interpreter (settings file, $PROVENANCE_PYTHON or --python, see config.ts), then the
 * platform's usual commands. Never throws: when none works the answer says what each
 * candidate lacked and what to install.
 */
export async function findPython(options: FindPythonOptions): Promise<PythonEnvironment> {
  const platform = options.platform ?? process.platform;
  const candidates: Candidate[] = [];
  const seen = new Set<string>();
  const add = (command: string | undefined, source: Candidate['source']) => {
    const c = command?.trim();
    if (c && !seen.has(c)) {
      seen.add(c);
      candidates.push({ command: c, source });
    }
  };
  add(options.python ?? undefined, options.pythonFrom ?? 'option');
  for (const c of options.candidates ?? platformCandidates(platform)) add(c, 'candidate');

  const probes: PythonProbe[] = [];
  for (const candidate of candidates) {
    const result = await probe(candidate, options.scriptsDir, options.timeoutMs ?? 90_000, options.fresh ?? false);
    probes.push(result);
    if (result.ok) {
      return {
        found: true,
        command: result.command,
        executable: result.executable ?? result.command,
        python: result.python!,
        torch: result.torch!,
        torchvision: result.torchvision!,
        onnx: result.onnx ?? null,
        device: result.device ?? { kind: 'cpu', name: 'CPU' },
        probes,
      };
    }
  }
  return { found: false, probes, install: installHint(platform) };
}

/** One line per candidate, for logs and the CLI. */
export function describeProbes(probes: PythonProbe[]): string {
  return probes
    .map((p) => `${p.command} (${p.source}): ${p.ok ? `Python ${p.python}, torch ${p.torch}, torchvision ${p.torchvision}, ${p.device?.kind} ${p.device?.name}` : p.problem}`)
    .join('\n');
}

/** [executable, leading args] to spawn for a command findPython accepted. */
export function pythonCommand(command: string): [string, string[]] {
  return splitCommand(command);
}

/** The Python settings of a configuration, as findPython takes them. */
export function pythonSettings(config: Pick<Config, 'python' | 'sources' | 'trainingScriptsDir'>): Pick<FindPythonOptions, 'python' | 'pythonFrom' | 'scriptsDir'> {
  return { python: config.python, pythonFrom: config.sources.python === 'environment' ? 'env' : 'option', scriptsDir: config.trainingScriptsDir };
}
