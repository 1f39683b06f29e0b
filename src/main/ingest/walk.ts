import fs from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path from 'node:path';
import type { FileError } from '../../contract/evidence';

/**
 * Files operating systems drop into folders by themselves. They are never evidence, and listing
 * them as "not an image" in every folder would bury the real findings. Everything else is kept.
 */
export const OS_JUNK_NAMES: ReadonlySet<string> = new Set(['.DS_Store', 'Thumbs.db', 'desktop.ini']);

export interface WalkOptions {
  /** File names skipped inside folders (default OS_JUNK_NAMES). Paths given explicitly are never skipped. */
  ignoreNames?: ReadonlySet<string>;
  /** Stops the walk between entries. */
  signal?: AbortSignal;
}

/** A candidate file, or a path that could not be walked and why. */
export type WalkEntry = { path: string; error?: undefined } | { path: string; error: FileError };

interface WalkState {
  ignoreNames: ReadonlySet<string>;
  signal?: AbortSignal;
  /** Real path of every folder already scanned → the path it was first scanned under. */
  scannedDirs: Map<string, string>;
  /** Absolute paths already yielded, so a file given twice is analysed once. */
  seenPaths: Set<string>;
}

function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOENT':
      return 'it does not exist (check the path)';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied (check that your account may read it)';
    case 'ELOOP':
      return 'it is a chain of symbolic links that loops back on itself';
    case 'ENAMETOOLONG':
      return 'the path is too long for the operating system';
    default:
      return err instanceof Error ? err.message : String(err);
  }
}

/** Why `stat` failed, telling a dangling symbolic link apart from a missing path. */
async function statFailure(p: string, err: unknown): Promise<FileError> {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') {
    const link = await fs.readlink(p).catch(() => null);
    if (link !== null) {
      return { code: 'UNREADABLE', message: `Broken symbolic link: it points to ${link}, which does not exist.` };
    }
  }
  return { code: 'UNREADABLE', message: `Cannot read ${p}: ${describeFsError(err)}.` };
}

function compareNames(a: string, b: string): number {
  // Code-unit order, not locale order: the same folder lists the same way on every machine.
  return a < b ? -1 : a > b ? 1 : 0;
}

async function* visit(p: string, ancestors: ReadonlySet<string>, state: WalkState): AsyncGenerator<WalkEntry> {
  if (state.signal?.aborted) return;
  let stats: Stats;
  try {
    stats = await fs.stat(p); // follows symbolic links: a link to a file is analysed as that file
  } catch (err) {
    yield { path: p, error: await statFailure(p, err) };
    return;
  }
  if (stats.isFile()) {
    if (state.seenPaths.has(p)) return;
    state.seenPaths.add(p);
    yield { path: p };
    return;
  }
  if (!stats.isDirectory()) {
    yield {
      path: p,
      error: { code: 'NOT_A_FILE', message: 'Not a regular file (device, socket or pipe); only files can be analysed.' },
    };
    return;
  }
  yield* visitDirectory(p, ancestors, state);
}

async function* visitDirectory(dir: string, ancestors: ReadonlySet<string>, state: WalkState): AsyncGenerator<WalkEntry> {
  let real: string;
  try {
    real = await fs.realpath(dir);
  } catch (err) {
    yield { path: dir, error: await statFailure(dir, err) };
    return;
  }
  if (ancestors.has(real)) {
    yield {
      path: dir,
      error: {
        code: 'NOT_A_FILE',
        message: `Symbolic link loop: this folder is ${real}, which contains it; skipped so the scan ends.`,
      },
    };
    return;
  }
  const firstSeenAs = state.scannedDirs.get(real);
  if (firstSeenAs !== undefined) {
    // A second route (symbolic link) to a folder already scanned: say so instead of analysing it twice.
    if (firstSeenAs !== dir) {
      yield {
        path: dir,
        error: { code: 'NOT_A_FILE', message: `Same folder as ${firstSeenAs}, already scanned; skipped to avoid duplicates.` },
      };
    }
    return;
  }
  state.scannedDirs.set(real, dir);

  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (err) {
    yield { path: dir, error: { code: 'UNREADABLE', message: `Cannot list folder ${dir}: ${describeFsError(err)}.` } };
    return;
  }
  const inside = new Set(ancestors).add(real);
  for (const name of names.sort(compareNames)) {
    if (state.signal?.aborted) return;
    if (state.ignoreNames.has(name)) continue;
    yield* visit(path.join(dir, name), inside, state);
  }
}

/**
 * Expands files and folders (recursively) into evidence candidates, in a deterministic order:
 * inputs as given, folder entries sorted by name, depth first. Every regular file is a candidate
 * (ingest reports non-images), only OS junk inside folders is skipped. Problems come back as
 * entries with an `error`, each reported once; symbolic-link loops are detected by real path.
 */
export async function* walkEvidence(paths: readonly string[], opts: WalkOptions = {}): AsyncGenerator<WalkEntry> {
  const state: WalkState = {
    ignoreNames: opts.ignoreNames ?? OS_JUNK_NAMES,
    signal: opts.signal,
    scannedDirs: new Map(),
    seenPaths: new Set(),
  };
  for (const p of paths) {
    if (state.signal?.aborted) return;
    yield* visit(path.resolve(p), new Set(), state);
  }
}
