// The options every command shares, and the configuration they feed: one parse, in front of
// every command; a bad value stops the command with exit code 2 and names it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { extractGlobalOptions } from '../../src/main/cli';
import { UsageError } from '../../src/main/cli/usage';
import { runCli } from './run';
import { SHIPPED_DETECTORS } from '../config';

describe('shared CLI options', () => {
  test('are taken out of argv wherever they stand, before the command parses its own', () => {
    const r = extractGlobalOptions(['photos', '--out', 'r.jsonl', '--ep', 'cpu', '--max-pixels=5000000', '--fixtures', '--verbose', '--user-models', '/m', '--', '--ep']);
    assert.deepEqual(r.rest, ['photos', '--out', 'r.jsonl', '--', '--ep']);
    assert.deepEqual(r.overrides, { provider: 'cpu', maxPixels: 5_000_000, showFixtureModels: true, userModelsDir: '/m' });
    assert.equal(r.verbose, true);
    assert.throws(() => extractGlobalOptions(['--ep']), (e: unknown) => e instanceof UsageError && /--ep needs a value/.test(e.message));
    assert.throws(() => extractGlobalOptions(['--max-pixels', 'lots']), /--max-pixels must be a positive whole number/);
    assert.throws(() => extractGlobalOptions(['--fixtures=yes']), /--fixtures takes no value/);
  });

  test('models: fixtures hidden unless asked for; a bad provider from the environment or a flag exits 2 naming it; --verbose shows the configuration', () => {
    const hidden = runCli(['models'], { env: { PROVENANCE_SHOW_FIXTURES: '0' } });
    assert.equal(hidden.status, 0, hidden.stderr);
    if (SHIPPED_DETECTORS.length === 0) assert.match(hidden.stdout, /\(no detectors installed\)/);
    for (const id of SHIPPED_DETECTORS) assert.match(hidden.stdout, new RegExp(`^${id}\\s`, 'm'), `the installed detector ${id} is listed`);
    assert.doesNotMatch(hidden.stdout, /^fixture-/m);
    assert.match(hidden.stdout, /2 test-fixture models not run: fixture-ela-cnn, fixture-texture-cnn; --fixtures runs them/);
    const shown = runCli(['models', '--fixtures', '--verbose'], { env: { PROVENANCE_SHOW_FIXTURES: '0', PROVENANCE_EP: 'cpu' } });
    assert.equal(shown.status, 0, shown.stderr);
    assert.match(shown.stdout, /fixture-texture-cnn\s+1\.0\.0\s+generated\s+ok/);
    assert.match(shown.stdout, /configured: cpu/);
    assert.match(shown.stderr, /^debug: configuration .*"provider":"cpu".*"showFixtureModels":"command line"/m);

    const badEnv = runCli(['models'], { env: { PROVENANCE_EP: 'gpu' } });
    assert.equal(badEnv.status, 2);
    assert.match(badEnv.stderr, /PROVENANCE_EP="gpu" is not an execution provider; use one of auto, webgpu, dml, coreml, cuda, cpu/);
    const badFlag = runCli(['analyze', 'x', '--out', 'y', '--ep', 'tpu']);
    assert.equal(badFlag.status, 2);
    assert.match(badFlag.stderr, /The --ep setting "tpu" is not an execution provider/);
  });
});
