// The configuration tests run with: built the way an entry point builds it, from this checkout
// (resources/, out/renderer), independent of the machine's environment and settings file.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigStore, installLayoutFrom, loadConfig, type Config, type ConfigOverrides } from '../src/main/config';
import { ModelCatalogue } from '../src/main/inference/catalogue';

export const INSTALL = installLayoutFrom(import.meta.url);
export const ROOT = INSTALL.appRoot;
/** The installed models folder: the shipped detectors and the test fixtures. */
export const SHIPPED_MODELS_DIR = join(INSTALL.resourcesDir, 'models');
/**
 * The repository's test fixtures alone, copied from resources/models (which also holds the
 * shipped detectors, whose scores and run times no general test may depend on). It is the
 * models folder of every test configuration and CLI test run unless a test names another, as
 * the tests of the shipped detectors do.
 */
export const MODELS_DIR = fixtureModelsDir();
export const SCRIPTS_DIR = join(INSTALL.resourcesDir, 'training');
/** The real (non-fixture) detectors shipped in resources/models, sorted (what a packaged app carries next to the fixtures). */
export const SHIPPED_DETECTORS: string[] = installedModels()
  .filter((m) => !m.fixture)
  .map((m) => m.id)
  .sort();

/** The model folders of resources/models with whether each manifest marks a test fixture; folders without a readable manifest are not models. */
function installedModels(): { id: string; fixture: boolean }[] {
  return readdirSync(SHIPPED_MODELS_DIR).flatMap((id) => {
    try {
      return [{ id, fixture: JSON.parse(readFileSync(join(SHIPPED_MODELS_DIR, id, 'manifest.json'), 'utf8')).fixture === true }];
    } catch {
      return []; // not a model folder (or a broken one)
    }
  });
}

function fixtureModelsDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'provenance-fixture-models-'));
  for (const m of installedModels().filter((m) => m.fixture)) cpSync(join(SHIPPED_MODELS_DIR, m.id), join(dir, m.id), { recursive: true });
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface TestConfigOptions extends ConfigOverrides {
  /** Environment variables as the entry point would see them (default: none). */
  env?: Record<string, string | undefined>;
}

function inputs(options: TestConfigOptions) {
  const { env = {}, ...overrides } = options;
  // The repository's fixture models are the only ones a test may rely on: tests opt in to them.
  return { install: INSTALL, env, overrides: { showFixtureModels: true, modelsDir: MODELS_DIR, stateDir: options.stateDir ?? mkdtempSync(join(tmpdir(), 'provenance-state-')), ...overrides }, overridesSource: 'app' as const };
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
