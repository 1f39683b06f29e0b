// The configuration tests run with: built the way an entry point builds it, from this checkout
// (resources/, out/renderer), independent of the machine's environment and settings file.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigStore, installLayoutFrom, loadConfig, type Config, type ConfigOverrides } from '../src/main/config';
import { ModelCatalogue } from '../src/main/inference/catalogue';

export const INSTALL = installLayoutFrom(import.meta.url);
export const ROOT = INSTALL.appRoot;
export const MODELS_DIR = join(INSTALL.resourcesDir, 'models');
export const SCRIPTS_DIR = join(INSTALL.resourcesDir, 'training');
/** The real (non-fixture) detectors installed in resources/models, sorted: default runs use them next to any fixtures a test opts in to. */
export const SHIPPED_DETECTORS: string[] = readdirSync(MODELS_DIR)
  .filter((id) => existsSync(join(MODELS_DIR, id, 'manifest.json')))
  .filter((id) => JSON.parse(readFileSync(join(MODELS_DIR, id, 'manifest.json'), 'utf8')).fixture !== true)
  .sort();

/**
 * The repository's fixture models alone, copied to a temporary folder: the models folder of
 * every test configuration, so in-process tests see exactly the fixtures they rely on whatever
 * real detectors resources/models ships (CLI tests run the real folder and allow for them).
 */
export const FIXTURE_MODELS_DIR = mkdtempSync(join(tmpdir(), 'provenance-fixture-models-'));
for (const id of readdirSync(MODELS_DIR).filter((d) => d.startsWith('fixture-'))) cpSync(join(MODELS_DIR, id), join(FIXTURE_MODELS_DIR, id), { recursive: true });

export interface TestConfigOptions extends ConfigOverrides {
  /** Environment variables as the entry point would see them (default: none). */
  env?: Record<string, string | undefined>;
}

function inputs(options: TestConfigOptions) {
  const { env = {}, ...overrides } = options;
  // The repository's fixture models are the only ones a test may rely on: tests opt in to them.
  const modelsDir = env.PROVENANCE_MODELS_DIR === undefined ? { modelsDir: FIXTURE_MODELS_DIR } : {};
  return { install: INSTALL, env, overrides: { showFixtureModels: true, ...modelsDir, stateDir: options.stateDir ?? mkdtempSync(join(tmpdir(), 'provenance-state-')), ...overrides }, overridesSource: 'app' as const };
}

/** A configuration for a test: a fresh state folder, fixture models shown, no environment. */
export function testConfig(options: TestConfigOptions = {}): Config {
  return loadConfig(inputs(options));
}

/** The same as a ConfigStore, for services and the test server. */
export function testConfigStore(options: TestConfigOptions = {}): ConfigStore {
  return new ConfigStore(inputs(options));
}

/** The catalogue of a test configuration (fixtures shown). */
export function testCatalogue(options: TestConfigOptions = {}): ModelCatalogue {
  return ModelCatalogue.fromConfig(testConfig(options));
}
