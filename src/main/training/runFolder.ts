// A Python training run's folder: only inside the app's training folder (config.trainingDir).
import { existsSync, mkdirSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';

/**
 * The real path of a training run's folder, or an Error saying why it is refused: it must lie
 * strictly inside the training folder `root`, after every symbolic link on the way is resolved
 * (a link inside the folder pointing elsewhere is refused like the path it points to). The root
 * is created when missing; the run folder need not exist yet.
 */
export function confineRunFolder(workdir: string, root: string): string {
  mkdirSync(root, { recursive: true });
  const realRoot = realpathSync(root);
  const wanted = resolve(workdir);
  // The deepest part that exists, resolved; the rest is appended as written (it cannot hold links yet).
  let existing = wanted;
  const rest: string[] = [];
  while (!existsSync(existing)) {
    const parent = dirname(existing);
    if (parent === existing) break;
    rest.unshift(basename(existing));
    existing = parent;
  }
  const real = join(realpathSync(existing), ...rest);
  const rel = relative(realRoot, real);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    throw new Error(
      `The training work folder ${wanted}${real !== wanted ? ` (really ${real})` : ''} is outside the app's training folder ${realRoot}. ` +
        'Runs are kept only there, so that a checkpoint is never read back from a folder others can write to; choose a folder inside it.',
    );
  }
  return real;
}
