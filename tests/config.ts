// The configuration tests run with: built the way an entry point builds it, from this checkout
// (resources/, out/renderer), independent of the machine's environment and settings file.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigStore, installLayoutFrom, loadConfig, type Config, type ConfigOverrides } from '../src/main/config';
import { ModelCatalogue } from '../src/main/inference/catalogue';

export const INSTALL = installLayoutFrom(import.meta.url);
export const ROOT = INSTALL.appRoot;
export const MODELS_DIR = join(INSTALL.resourcesDir, 'models');
export const SCRIPTS_DIR = join(INSTALL.resourcesDir, 'training');

export interface TestConfigOptions extends ConfigOverrides {
  /** Environment variables as the entry point would see them (default: none). */
  env?: Record<string, string | undefined>;
}

function inputs(options: TestConfigOptions) {
  const { env = {}, ...overrides } = options;
  // The repository's fixture models are the only ones a test may rely on: tests opt in to them.
  return { install: INSTALL, env, overrides: { showFixtureModels: true, stateDir: options.stateDir ?? mkdtempSync(join(tmpdir(), 'provenance-state-')), ...overrides }, overridesSource: 'app' as const };
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
