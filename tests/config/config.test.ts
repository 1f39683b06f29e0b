// The one configuration: defaults < settings file < environment < entry-point overrides, each
// setting's source reported, bad input named, the settings file written without losing keys.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  ConfigError,
  ConfigStore,
  findPackageRoot,
  installLayoutFrom,
  loadConfig,
  platformStateDir,
  readSettingsFile,
  settingsView,
  writeSettings,
} from '../../src/main/config';
import { DEFAULT_INGEST_OPTIONS } from '../../src/main/ingest';
import { INSTALL, ROOT } from '../config';

const tmp = mkdtempSync(join(tmpdir(), 'provenance-config-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function stateDir(name: string, settings?: unknown): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  if (settings !== undefined) writeFileSync(join(dir, 'settings.json'), typeof settings === 'string' ? settings : JSON.stringify(settings));
  return dir;
}

describe('where the app is installed', () => {
  test('the package root is found once, from any module of the package', () => {
    assert.equal(findPackageRoot(import.meta.url), ROOT);
    assert.equal(findPackageRoot(new URL('../../src/main/inference/catalogue.ts', import.meta.url).href), ROOT);
    const layout = installLayoutFrom(import.meta.url);
    assert.deepEqual(layout, { appRoot: ROOT, resourcesDir: join(ROOT, 'resources'), rendererDir: join(ROOT, 'out', 'renderer') });
    assert.throws(() => findPackageRoot('file:///nowhere/at/all.ts'), ConfigError);
  });

  test("the state folder is Electron's userData for this app on every platform", () => {
    assert.equal(platformStateDir({}, 'linux', '/home/ann'), '/home/ann/.config/Provenance Lab');
    assert.equal(platformStateDir({ XDG_CONFIG_HOME: '/cfg' }, 'linux', '/home/ann'), '/cfg/Provenance Lab');
    assert.equal(platformStateDir({}, 'darwin', '/Users/ann'), '/Users/ann/Library/Application Support/Provenance Lab');
    assert.equal(platformStateDir({ APPDATA: 'C:\\Users\\ann\\AppData\\Roaming' }, 'win32', 'C:\\Users\\ann'), join('C:\\Users\\ann\\AppData\\Roaming', 'Provenance Lab'));
  });

  test('reports look for a Chromium-family browser where this platform installs one, unless one is configured', () => {
    const linux = loadConfig({ install: INSTALL, env: {}, overrides: { stateDir: stateDir('browser') }, platform: 'linux', home: '/home/ann' });
    assert.equal(linux.chromium, null, 'none configured: found at print time');
    assert.equal(linux.chromiumCandidates[0], '/usr/bin/chromium');
    const mac = loadConfig({ install: INSTALL, env: {}, overrides: { stateDir: stateDir('browser') }, platform: 'darwin', home: '/Users/ann' });
    assert.ok(mac.chromiumCandidates.includes('/Users/ann/Applications/Google Chrome.app/Contents/MacOS/Google Chrome'));
    const set = loadConfig({ install: INSTALL, env: { PROVENANCE_CHROMIUM: '/opt/chrome/chrome' }, overrides: { stateDir: stateDir('browser') } });
    assert.equal(set.chromium, '/opt/chrome/chrome');
    assert.equal(set.sources.chromium, 'environment');
  });

  test('the command built into an installed app finds the installation around it', () => {
    const layout = installLayoutFrom('file:///opt/Provenance%20Lab/resources/app.asar.unpacked/out/cli/provenance.mjs');
    assert.deepEqual(layout, {
      appRoot: '/opt/Provenance Lab/resources/app.asar',
      resourcesDir: '/opt/Provenance Lab/resources',
      rendererDir: '/opt/Provenance Lab/resources/app.asar.unpacked/out/renderer',
    });
  });
});

describe('loadConfig', () => {
  test('defaults: the installation folders and the state folder, nothing from the environment', () => {
    const dir = stateDir('defaults');
    const c = loadConfig({ install: INSTALL, env: {}, overrides: { stateDir: dir } });
    assert.equal(c.stateDir, dir);
    assert.equal(c.settingsFile, join(dir, 'settings.json'));
    assert.equal(c.logFile, join(dir, 'logs', 'provenance.log'));
    assert.deepEqual(c.modelDirs, [join(ROOT, 'resources', 'models')]);
    assert.equal(c.userModelsDir, join(dir, 'models'));
    assert.equal(c.trainingDir, join(dir, 'training-runs'));
    assert.equal(c.trainingScriptsDir, join(ROOT, 'resources', 'training'));
    assert.equal(c.rendererDir, join(ROOT, 'out', 'renderer'));
    assert.equal(c.provider, 'auto');
    assert.equal(c.maxPixels, DEFAULT_INGEST_OPTIONS.maxPixels);
    assert.equal(c.showFixtureModels, false, 'test fixtures are hidden unless a developer asks');
    assert.equal(c.python, null);
    assert.equal(c.sources.provider, 'default');
    assert.equal(c.sources.stateDir, 'command line');
    assert.deepEqual(c.problems, []);
    const platformDefault = loadConfig({ install: INSTALL, env: { XDG_CONFIG_HOME: join(tmp, 'xdg') }, platform: 'linux', home: '/nowhere' });
    assert.equal(platformDefault.stateDir, join(tmp, 'xdg', 'Provenance Lab'));
    const electron = loadConfig({ install: INSTALL, env: {}, defaultStateDir: dir });
    assert.equal(electron.sources.stateDir, 'app');
  });

  test('the settings file, then the environment, then the overrides win, and each source is named', () => {
    const extra = join(tmp, 'extra-models');
    const dir = stateDir('layers', { provider: 'webgpu', maxPixels: 50_000_000, examinerName: 'R. Okafor', userModelsDir: join(tmp, 'from-file'), extraModelDirs: [extra], showFixtureModels: true });
    const fileOnly = loadConfig({ install: INSTALL, env: {}, overrides: { stateDir: dir } });
    assert.equal(fileOnly.provider, 'webgpu');
    assert.equal(fileOnly.maxPixels, 50_000_000);
    assert.equal(fileOnly.examinerName, 'R. Okafor');
    assert.equal(fileOnly.userModelsDir, join(tmp, 'from-file'));
    assert.deepEqual(fileOnly.modelDirs, [join(ROOT, 'resources', 'models'), extra]);
    assert.equal(fileOnly.showFixtureModels, true);
    assert.equal(fileOnly.sources.provider, 'settings file');

    const env = { PROVENANCE_EP: 'CPU', PROVENANCE_USER_MODELS_DIR: join(tmp, 'from-env'), PROVENANCE_MODELS_DIR: join(tmp, 'bundled-elsewhere'), PROVENANCE_SHOW_FIXTURES: '0' };
    const withEnv = loadConfig({ install: INSTALL, env, overrides: { stateDir: dir } });
    assert.equal(withEnv.provider, 'cpu', 'PROVENANCE_EP is case-insensitive');
    assert.equal(withEnv.userModelsDir, join(tmp, 'from-env'));
    assert.deepEqual(withEnv.modelDirs, [join(tmp, 'bundled-elsewhere'), extra], 'the extra folders stay after the replaced bundled one');
    assert.equal(withEnv.showFixtureModels, false);
    assert.equal(withEnv.examinerName, 'R. Okafor', 'what the environment does not set stays from the file');
    assert.equal(withEnv.sources.provider, 'environment');

    const cli = loadConfig({ install: INSTALL, env, overrides: { stateDir: dir, provider: 'webgpu', userModelsDir: join(tmp, 'from-cli') } });
    assert.equal(cli.provider, 'webgpu');
    assert.equal(cli.userModelsDir, join(tmp, 'from-cli'));
    assert.equal(cli.sources.userModelsDir, 'command line');

    const view = settingsView(withEnv);
    assert.equal(view.editable.provider, 'cpu');
    assert.equal(view.environment.provider, 'PROVENANCE_EP');
    assert.equal(view.fixed.userModelsDir, join(tmp, 'from-env'));
  });

  test('a bad environment variable or option is an error naming it; a bad settings field is reported and ignored', () => {
    const dir = stateDir('bad');
    assert.throws(() => loadConfig({ install: INSTALL, env: { PROVENANCE_EP: 'gpu' }, overrides: { stateDir: dir } }), (err: unknown) => err instanceof ConfigError && /PROVENANCE_EP="gpu" is not an execution provider; use one of auto, webgpu/.test(err.message));
    assert.throws(() => loadConfig({ install: INSTALL, env: { PROVENANCE_MAX_PIXELS: '12x' }, overrides: { stateDir: dir } }), /PROVENANCE_MAX_PIXELS="12x" is not a whole number of pixels/);
    assert.throws(() => loadConfig({ install: INSTALL, env: { PROVENANCE_SHOW_FIXTURES: 'maybe' }, overrides: { stateDir: dir } }), /PROVENANCE_SHOW_FIXTURES="maybe"/);
    assert.throws(() => loadConfig({ install: INSTALL, env: {}, overrides: { stateDir: dir, provider: 'tpu' } }), /The --ep setting "tpu" is not an execution provider/);

    const messy = stateDir('messy', { provider: 'gpu', maxPixels: 5, python: 'relative/python', colour: 'blue', examinerName: 'Kept' });
    const c = loadConfig({ install: INSTALL, env: {}, overrides: { stateDir: messy } });
    assert.equal(c.provider, 'auto');
    assert.equal(c.maxPixels, DEFAULT_INGEST_OPTIONS.maxPixels);
    assert.equal(c.python, null);
    assert.equal(c.examinerName, 'Kept', 'good fields still apply');
    assert.equal(c.problems.length, 4, c.problems.join('\n'));
    assert.ok(c.problems.some((p) => p.includes('"provider"') && p.includes('"gpu"')));
    assert.ok(c.problems.some((p) => p.includes('"python" must be an absolute path')));
    assert.ok(c.problems.some((p) => p.includes('"colour" is not a setting')));

    const broken = stateDir('broken', '{ "provider": ');
    const b = loadConfig({ install: INSTALL, env: {}, overrides: { stateDir: broken } });
    assert.equal(b.provider, 'auto');
    assert.match(b.problems[0], /is not valid JSON .*ignored until it is fixed/);
  });
});

describe('changing settings', () => {
  test('writeSettings keeps the keys it does not change and refuses what is not editable or valid', () => {
    const dir = stateDir('write', { python: '/usr/bin/python3', $comment: 'mine' });
    const file = join(dir, 'settings.json');
    writeSettings(file, { provider: 'cpu', examinerName: 'J. Doe' });
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { python: '/usr/bin/python3', $comment: 'mine', provider: 'cpu', examinerName: 'J. Doe' });
    assert.deepEqual(readSettingsFile(file).problems, []);
    assert.throws(() => writeSettings(file, { python: '/bin/sh' } as never), /Invalid settings: : Unrecognized key/);
    assert.throws(() => writeSettings(file, { maxPixels: 10 }), /Invalid settings: maxPixels/);
    writeFileSync(file, 'not json');
    assert.throws(() => writeSettings(file, { provider: 'cpu' }), /not a valid settings file .*fix or delete it/);
    assert.equal(readFileSync(file, 'utf8'), 'not json', 'a file it cannot read is left alone');
  });

  test('ConfigStore rebuilds from the same inputs, so the environment still wins over a changed file', () => {
    const dir = stateDir('store');
    const store = new ConfigStore({ install: INSTALL, env: { PROVENANCE_EP: 'cpu' }, overrides: { stateDir: dir }, overridesSource: 'app' });
    const next = store.update({ provider: 'webgpu', showFixtureModels: true, maxPixels: 40_000_000 });
    assert.equal(next.provider, 'cpu', 'PROVENANCE_EP still applies');
    assert.equal(next.sources.provider, 'environment');
    assert.equal(next.showFixtureModels, true);
    assert.equal(next.maxPixels, 40_000_000);
    assert.equal(store.current, next);
    assert.equal(JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8')).provider, 'webgpu', 'saved for when the variable is gone');
  });
});
