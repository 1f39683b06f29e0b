// The one configuration of the engine. Each entry point (the Electron shell, the test server,
// the CLI) builds it once, from, in increasing precedence:
//
//   defaults (the installation's folders, the platform's state folder)
//   < the settings file  <stateDir>/settings.json  (also what the Settings view writes)
//   < environment variables  (PROVENANCE_*)
//   < the entry point's own overrides  (CLI options; a test's choices)
//
// and passes it down. Nothing else in src/main reads process.env or guesses where the app is
// installed: this file is the only place that knows.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { editableSettingsSchema } from '../contract/ipc';
import {
  LOG_LEVELS,
  MAX_PIXELS_RANGE,
  PROVIDER_CHOICES,
  type EditableSettings,
  type FixedSettings,
  type SettingKey,
  type SettingSource,
  type SettingsView,
} from '../contract/settings';
import { DEFAULT_INGEST_OPTIONS } from './ingest';
import { browserCandidates } from './reports/browser';

export const PRODUCT_NAME = 'Provenance Lab';
const PACKAGE_NAME = 'provenance-lab';
export const SETTINGS_FILE = 'settings.json';

/** Everything the engine is configured with. */
export interface Config extends EditableSettings, FixedSettings {
  /** Files larger than this are refused without being read. */
  maxFileBytes: number;
  /** Where a Chromium-family browser is looked for when none is configured (`chromium` null). */
  chromiumCandidates: string[];
  /** electron-vite's dev server for the renderer (development only); null otherwise. */
  rendererDevUrl: string | null;
  /** The user's home folder: where the in-app folder browser starts when nothing else is given. */
  homeDir: string;
  /** Face detectors the face-swap models name (resources/faces of the installation; not a setting). */
  faceDetectorsDir: string;
  sources: Record<SettingKey, SettingSource>;
  problems: string[];
}

/** Where the application's own files are: resources/ (models, trainer) and the built pages. */
export interface InstallLayout {
  /** The package root (holding package.json), or the app's asar in a packaged build. */
  appRoot: string;
  /** resources/ in a checkout; Electron's process.resourcesPath when packaged. */
  resourcesDir: string;
  /** The built renderer (out/renderer): the app's pages and the report page. */
  rendererDir: string;
}

/** What the entry point fixes; each key overrides every other source. */
export interface ConfigOverrides {
  stateDir?: string;
  /** Replaces the bundled model folder (extra folders from the settings file still apply). */
  modelsDir?: string;
  userModelsDir?: string;
  trainingDir?: string;
  trainingScriptsDir?: string;
  rendererDir?: string;
  python?: string | null;
  chromium?: string;
  provider?: string;
  maxPixels?: number;
  examinerName?: string;
  organisation?: string;
  showFixtureModels?: boolean;
  logLevel?: string;
}

export interface ConfigInputs {
  install: InstallLayout;
  /** The shell's own state folder (Electron's userData); default: the platform's. */
  defaultStateDir?: string;
  /** Default: this process's environment. Tests pass {} to be independent of the machine. */
  env?: Record<string, string | undefined>;
  overrides?: ConfigOverrides;
  /** How overrides are labelled in the Settings view. */
  overridesSource?: Extract<SettingSource, 'command line' | 'app'>;
  platform?: NodeJS.Platform;
  home?: string;
}

/** A setting that cannot be used: the message names the variable or option and what is accepted. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** The environment variable behind each setting. */
export const ENVIRONMENT: Partial<Record<SettingKey, string>> = {
  stateDir: 'PROVENANCE_STATE_DIR',
  modelDirs: 'PROVENANCE_MODELS_DIR',
  userModelsDir: 'PROVENANCE_USER_MODELS_DIR',
  trainingDir: 'PROVENANCE_TRAINING_RUNS_DIR',
  trainingScriptsDir: 'PROVENANCE_TRAINING_DIR',
  rendererDir: 'PROVENANCE_RENDERER_DIR',
  python: 'PROVENANCE_PYTHON',
  chromium: 'PROVENANCE_CHROMIUM',
  provider: 'PROVENANCE_EP',
  maxPixels: 'PROVENANCE_MAX_PIXELS',
  examinerName: 'PROVENANCE_EXAMINER',
  organisation: 'PROVENANCE_ORGANISATION',
  showFixtureModels: 'PROVENANCE_SHOW_FIXTURES',
  logLevel: 'PROVENANCE_LOG_LEVEL',
};

// ---------------------------------------------------------------------------------------------
// Where the app is installed.

/**
 * The package root above a module of this package (the same from src/ under tsx and from the
 * bundled out/main), found by walking up to its package.json.
 */
export function findPackageRoot(moduleUrl: string): string {
  let dir = dirname(fileURLToPath(moduleUrl));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === PACKAGE_NAME) return dir;
      } catch {
        // Not ours or unreadable: keep walking up.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new ConfigError(`Cannot find the ${PACKAGE_NAME} package above ${fileURLToPath(moduleUrl)}.`);
    dir = parent;
  }
}

/**
 * Where the application's files are, seen from one of its modules: in a checkout, resources/ and
 * out/renderer under the package root; for the command built into an installed app
 * (<resources>/app.asar.unpacked/out/cli, see scripts/build-cli.mjs), the installation's
 * resources folder (models, trainer) and the pages unpacked beside the command.
 */
export function installLayoutFrom(moduleUrl: string): InstallLayout {
  for (let dir = dirname(fileURLToPath(moduleUrl)); dirname(dir) !== dir; dir = dirname(dir)) {
    if (basename(dir) === 'app.asar.unpacked') {
      const resourcesDir = dirname(dir);
      return { appRoot: join(resourcesDir, 'app.asar'), resourcesDir, rendererDir: join(dir, 'out', 'renderer') };
    }
    if (existsSync(join(dir, 'package.json'))) break;
  }
  const appRoot = findPackageRoot(moduleUrl);
  return { appRoot, resourcesDir: join(appRoot, 'resources'), rendererDir: join(appRoot, 'out', 'renderer') };
}

/**
 * The folder Electron uses as userData for this app, so the CLI and the app share settings,
 * trained models and logs: ~/.config/Provenance Lab on Linux ($XDG_CONFIG_HOME respected),
 * ~/Library/Application Support/Provenance Lab on macOS, %APPDATA%\Provenance Lab on Windows.
 */
export function platformStateDir(env: Record<string, string | undefined>, platform: NodeJS.Platform, home: string): string {
  let appData: string;
  if (platform === 'win32') appData = env.APPDATA ?? join(home, 'AppData', 'Roaming');
  else if (platform === 'darwin') appData = join(home, 'Library', 'Application Support');
  else appData = env.XDG_CONFIG_HOME ?? join(home, '.config');
  return join(appData, PRODUCT_NAME);
}

/**
 * The environment for a child process (Python trainer, probes): this process's, plus `extra`.
 * Here so that this file stays the only one reading process.env.
 */
export function childEnvironment(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...extra };
}

// ---------------------------------------------------------------------------------------------
// One rule per setting: how it reads from text (environment, CLI) and what it must be.

const absolutePath = z.string().min(1).max(4096).refine((p) => isAbsolute(p) && !p.includes('\0'), 'must be an absolute path');

/**
 * Settings a settings file may hold, with their rules; unknown keys are reported and ignored.
 * The editable ones follow the same rules as the Settings view's requests (contract/ipc.ts).
 */
const FILE_RULES = {
  ...editableSettingsSchema.shape,
  python: absolutePath.nullable(),
  chromium: absolutePath,
  modelsDir: absolutePath,
  extraModelDirs: z.array(absolutePath).max(20),
  userModelsDir: absolutePath,
  trainingDir: absolutePath,
} as const;
type FileKey = keyof typeof FILE_RULES;
type FileSettings = { [K in FileKey]?: z.output<(typeof FILE_RULES)[K]> };

/** What the Settings view may send: any subset of the editable settings, nothing else. */
const settingsPatchSchema = editableSettingsSchema.partial().strict();

function parseBoolean(value: string): boolean | undefined {
  const v = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
  return undefined;
}

function issueText(error: z.ZodError): string {
  return error.issues.map((i) => i.message).join('; ');
}

// ---------------------------------------------------------------------------------------------

interface FileRead {
  settings: FileSettings;
  problems: string[];
}

/** Reads the settings file field by field: a bad field is reported and ignored, the rest applies. */
export function readSettingsFile(path: string): FileRead {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { settings: {}, problems: [] };
    return { settings: {}, problems: [`${path} cannot be read (${(err as Error).message}); its settings are ignored.`] };
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    return { settings: {}, problems: [`${path} is not valid JSON (${(err as Error).message}); its settings are ignored until it is fixed.`] };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { settings: {}, problems: [`${path} must hold a JSON object; its settings are ignored.`] };
  const settings: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, value] of Object.entries(json)) {
    if (key === '$comment') continue;
    if (!Object.hasOwn(FILE_RULES, key)) {
      problems.push(`${path}: "${key}" is not a setting (known: ${Object.keys(FILE_RULES).join(', ')}); ignored.`);
      continue;
    }
    const parsed = FILE_RULES[key as FileKey].safeParse(value);
    if (parsed.success) settings[key] = parsed.data;
    else problems.push(`${path}: "${key}" ${issueText(parsed.error)} (got ${JSON.stringify(value)}); the default applies.`);
  }
  return { settings: settings as FileSettings, problems };
}

/**
 * Applies a Settings-view change to the settings file (other keys kept as they are), written
 * atomically. A file that is not valid JSON is not overwritten: the user's other settings
 * would be lost.
 */
export function writeSettings(path: string, patch: Partial<EditableSettings>): void {
  const checked = settingsPatchSchema.safeParse(patch);
  if (!checked.success) throw new ConfigError(`Invalid settings: ${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  let current: Record<string, unknown> = {};
  if (existsSync(path)) {
    try {
      const json: unknown = JSON.parse(readFileSync(path, 'utf8'));
      if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error('not a JSON object');
      current = json as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError(`${path} is not a valid settings file (${(err as Error).message}); fix or delete it before changing settings here.`);
    }
  }
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ ...current, ...checked.data }, null, 2)}\n`);
  renameSync(tmp, path);
}

/** Builds the configuration. Throws ConfigError for a bad environment variable or override. */
export function loadConfig(inputs: ConfigInputs): Config {
  const env = inputs.env ?? process.env;
  const platform = inputs.platform ?? process.platform;
  const home = inputs.home ?? homedir();
  const o = inputs.overrides ?? {};
  const overrideSource = inputs.overridesSource ?? 'command line';
  const sources = {} as Record<SettingKey, SettingSource>;

  /** The environment variable's text, trimmed; undefined when unset or empty. */
  const fromEnv = (key: SettingKey): string | undefined => {
    const name = ENVIRONMENT[key];
    const v = name ? env[name]?.trim() : undefined;
    return v ? v : undefined;
  };
  const envError = (key: SettingKey, expected: string) => new ConfigError(`${ENVIRONMENT[key]}="${env[ENVIRONMENT[key]!]}" is not ${expected}.`);
  const overrideError = (key: string, value: unknown, expected: string) => new ConfigError(`The ${key} setting ${JSON.stringify(value)} is not ${expected}.`);

  // The state folder first: the settings file lives in it.
  let stateDir = inputs.defaultStateDir ?? platformStateDir(env, platform, home);
  sources.stateDir = inputs.defaultStateDir ? 'app' : 'default';
  if (fromEnv('stateDir')) [stateDir, sources.stateDir] = [resolve(fromEnv('stateDir')!), 'environment'];
  if (o.stateDir !== undefined) [stateDir, sources.stateDir] = [resolve(o.stateDir), overrideSource];
  const settingsFile = join(stateDir, SETTINGS_FILE);
  const file = readSettingsFile(settingsFile);
  const problems = [...file.problems];

  /** One setting through the layers: default < settings file < environment < override. */
  function layer<T>(key: SettingKey, fallback: T, fileValue: T | undefined, envValue: (text: string) => T, override: T | undefined): T {
    let value = fallback;
    sources[key] = 'default';
    if (fileValue !== undefined) [value, sources[key]] = [fileValue, 'settings file'];
    const e = fromEnv(key);
    if (e !== undefined) [value, sources[key]] = [envValue(e), 'environment'];
    if (override !== undefined) [value, sources[key]] = [override, overrideSource];
    return value;
  }

  const asPath = (text: string) => resolve(text);
  const checkedOverride = <T>(key: string, value: unknown, rule: z.ZodType<T>, expected: string): T | undefined => {
    if (value === undefined) return undefined;
    const r = rule.safeParse(value);
    if (!r.success) throw overrideError(key, value, expected);
    return r.data;
  };
  /** An environment variable's text through a setting's rule; what fails it stops the entry point. */
  const fromText =
    <T>(key: SettingKey, rule: z.ZodType<T>, expected: string, prepare: (text: string) => unknown = (t) => t) =>
    (text: string): T => {
      const p = rule.safeParse(prepare(text));
      if (!p.success) throw envError(key, expected);
      return p.data;
    };
  const providerText = `an execution provider; use one of ${PROVIDER_CHOICES.join(', ')}`;
  const levelText = `a log level; use one of ${LOG_LEVELS.join(', ')}`;
  const pixelsText = `a whole number of pixels from ${MAX_PIXELS_RANGE.min} to ${MAX_PIXELS_RANGE.max}`;

  const s = file.settings;
  const bundledModels = layer('modelDirs', join(inputs.install.resourcesDir, 'models'), s.modelsDir, asPath, o.modelsDir && resolve(o.modelsDir));
  const config: Config = {
    stateDir,
    settingsFile,
    logFile: join(stateDir, 'logs', 'provenance.log'),
    modelDirs: [bundledModels, ...(s.extraModelDirs ?? []).filter((d) => resolve(d) !== bundledModels)],
    userModelsDir: layer('userModelsDir', join(stateDir, 'models'), s.userModelsDir, asPath, o.userModelsDir && resolve(o.userModelsDir)),
    trainingDir: layer('trainingDir', join(stateDir, 'training-runs'), s.trainingDir, asPath, o.trainingDir && resolve(o.trainingDir)),
    faceDetectorsDir: join(inputs.install.resourcesDir, 'faces'),
    trainingScriptsDir: layer('trainingScriptsDir', join(inputs.install.resourcesDir, 'training'), undefined, asPath, o.trainingScriptsDir && resolve(o.trainingScriptsDir)),
    rendererDir: layer('rendererDir', inputs.install.rendererDir, undefined, asPath, o.rendererDir && resolve(o.rendererDir)),
    // A bare command ("python3") is looked up on PATH by the child process; a path is made absolute.
    python: layer<string | null>('python', null, s.python, (t) => (t.includes('/') || t.includes('\\') ? resolve(t) : t), o.python),
    chromium: layer<string | null>('chromium', null, s.chromium, asPath, o.chromium && resolve(o.chromium)),
    chromiumCandidates: browserCandidates(platform, env, home),
    provider: layer('provider', 'auto', s.provider, fromText('provider', FILE_RULES.provider, providerText, (t) => t.toLowerCase()), checkedOverride('--ep', o.provider?.toLowerCase(), FILE_RULES.provider, providerText)),
    maxPixels: layer('maxPixels', DEFAULT_INGEST_OPTIONS.maxPixels, s.maxPixels, fromText('maxPixels', FILE_RULES.maxPixels, pixelsText, Number), checkedOverride('--max-pixels', o.maxPixels, FILE_RULES.maxPixels, pixelsText)),
    maxFileBytes: DEFAULT_INGEST_OPTIONS.maxFileBytes,
    examinerName: layer('examinerName', '', s.examinerName, (t) => t.slice(0, 500), o.examinerName),
    organisation: layer('organisation', '', s.organisation, (t) => t.slice(0, 500), o.organisation),
    showFixtureModels: layer('showFixtureModels', false, s.showFixtureModels, fromText('showFixtureModels', z.boolean(), 'a yes/no value (1, 0, true, false)', parseBoolean), o.showFixtureModels),
    logLevel: layer('logLevel', 'info', s.logLevel, fromText('logLevel', FILE_RULES.logLevel, levelText, (t) => t.toLowerCase()), checkedOverride('log level', o.logLevel, FILE_RULES.logLevel, levelText)),
    rendererDevUrl: env.ELECTRON_RENDERER_URL?.trim() || null,
    homeDir: home,
    sources,
    problems,
  };
  sources.settingsFile = sources.stateDir;
  sources.logFile = sources.stateDir;
  return config;
}

/** The configuration as the Settings view shows it. */
export function settingsView(config: Config): SettingsView {
  return {
    editable: {
      provider: config.provider,
      maxPixels: config.maxPixels,
      examinerName: config.examinerName,
      organisation: config.organisation,
      showFixtureModels: config.showFixtureModels,
      logLevel: config.logLevel,
    },
    fixed: {
      stateDir: config.stateDir,
      settingsFile: config.settingsFile,
      logFile: config.logFile,
      modelDirs: config.modelDirs,
      userModelsDir: config.userModelsDir,
      trainingDir: config.trainingDir,
      trainingScriptsDir: config.trainingScriptsDir,
      rendererDir: config.rendererDir,
      python: config.python,
      chromium: config.chromium,
    },
    sources: config.sources,
    environment: ENVIRONMENT,
    problems: config.problems,
  };
}

/**
 * The configuration of a running app: built once from its inputs, rebuilt from the same
 * inputs after the Settings view changes the settings file, so environment variables and
 * overrides keep their precedence.
 */
export class ConfigStore {
  private config: Config;

  constructor(private readonly inputs: ConfigInputs) {
    this.config = loadConfig(inputs);
  }

  get current(): Config {
    return this.config;
  }

  update(patch: Partial<EditableSettings>): Config {
    writeSettings(this.config.settingsFile, patch);
    this.config = loadConfig(this.inputs);
    return this.config;
  }
}
