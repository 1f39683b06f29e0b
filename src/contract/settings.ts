// The settings the app runs with, as the Settings view shows them. The engine builds one
// configuration (src/main/config.ts) from defaults, the settings file in the state folder,
// environment variables and command-line options; this is its shape on the renderer side.
// Plain constants and types only: the preload and the renderer import it too.

/** Execution-provider choices: 'auto' tries the fastest available first, a name demands it. */
export const PROVIDER_CHOICES = ['auto', 'webgpu', 'dml', 'coreml', 'cuda', 'cpu'] as const;
export type ProviderChoice = (typeof PROVIDER_CHOICES)[number];

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Bounds of the pixel limit (decompression-bomb guard): 1 MP to 2 GP. */
export const MAX_PIXELS_RANGE = { min: 1_000_000, max: 2_000_000_000 } as const;

/**
 * What the Settings view may change. Folders and executables are not among them: a page must
 * never choose what runs or where files go; those come from the settings file, environment
 * variables or command-line options only.
 */
export interface EditableSettings {
  /** Where detectors run: import, evaluation and training's held-out checks all use it. */
  provider: ProviderChoice;
  /** Images declaring more pixels are refused before decoding. */
  maxPixels: number;
  /** Who works at this workstation: the default examiner of new cases and of reports. */
  examinerName: string;
  organisation: string;
  /** Developer setting: list the repository's test-fixture models with the real detectors. */
  showFixtureModels: boolean;
  /** How much goes to the log file. */
  logLevel: LogLevel;
}
export type EditableSettingKey = keyof EditableSettings;

/** Settings the Settings view shows but cannot change. */
export interface FixedSettings {
  stateDir: string;
  settingsFile: string;
  logFile: string | null;
  /** Detector folders searched in order: the bundled one first, then the extra ones. */
  modelDirs: string[];
  /** Trained model versions (activate, roll back, discard). */
  userModelsDir: string;
  /** Where training runs keep their checkpoints. */
  trainingDir: string;
  /** The Python trainer's scripts. */
  trainingScriptsDir: string;
  /** The built pages (the app and the report page). */
  rendererDir: string;
  /** The Python interpreter for training; null = discover one. */
  python: string | null;
  /** The Chromium, Chrome or Edge that prints reports outside the app; null = the first found in the usual places. */
  chromium: string | null;
}
export type FixedSettingKey = keyof FixedSettings;

export type SettingKey = EditableSettingKey | FixedSettingKey;

/** Where a setting's value came from, the later overriding the earlier. */
export type SettingSource = 'default' | 'settings file' | 'environment' | 'command line' | 'app';

export interface SettingsView {
  editable: EditableSettings;
  fixed: FixedSettings;
  sources: Record<SettingKey, SettingSource>;
  /** The environment variable that overrides each setting, where there is one. */
  environment: Partial<Record<SettingKey, string>>;
  /** What was wrong in the settings file or the environment (the rest still applies). */
  problems: string[];
}
