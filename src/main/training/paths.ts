// Where the training backend and the user's trained models live.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TRAINING_DIR_ENV = 'PROVENANCE_TRAINING_DIR';
export const USER_MODELS_DIR_ENV = 'PROVENANCE_USER_MODELS_DIR';
export const PYTHON_ENV = 'PROVENANCE_PYTHON';

/** Electron's productName: userData is <appData>/<productName>, see defaultUserModelsDir. */
const PRODUCT_NAME = 'Provenance Lab';

/** The package root (holding package.json and resources/), found by walking up from this module. */
function packageResources(name: string): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'resources', name);
    if (existsSync(join(dir, 'package.json')) && existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * The Python trainer (train.py, convert.py, probe.py): $PROVENANCE_TRAINING_DIR, else
 * <resourcesPath>/training in a packaged app (shipped outside the asar, Python cannot read
 * inside it), else resources/training of this package.
 */
export function trainingScriptsDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env[TRAINING_DIR_ENV]) return resolve(env[TRAINING_DIR_ENV]!);
  const resourcesPath = (process as { resourcesPath?: string }).resourcesPath;
  if (resourcesPath && existsSync(join(resourcesPath, 'training'))) return join(resourcesPath, 'training');
  return packageResources('training') ?? resolve('resources', 'training');
}

/**
 * The folder Electron uses as userData for this app, so the CLI and the app share one state
 * (trained versions, the audit-anchor key and log): ~/.config/Provenance Lab on Linux
 * ($XDG_CONFIG_HOME respected), ~/Library/Application Support/Provenance Lab on macOS,
 * %APPDATA%\Provenance Lab on Windows.
 */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  const home = homedir();
  let appData: string;
  if (platform === 'win32') appData = env.APPDATA ?? join(home, 'AppData', 'Roaming');
  else if (platform === 'darwin') appData = join(home, 'Library', 'Application Support');
  else appData = env.XDG_CONFIG_HOME ?? join(home, '.config');
  return join(appData, PRODUCT_NAME);
}

/**
 * Where trained versions go: $PROVENANCE_USER_MODELS_DIR, else "models" in the app's state
 * folder (defaultStateDir). The shell may pass its own <userData>/models instead; it is the same place.
 */
export function defaultUserModelsDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env[USER_MODELS_DIR_ENV]) return resolve(env[USER_MODELS_DIR_ENV]!);
  return join(defaultStateDir(env, platform), 'models');
}
