// Issue 12's proof: one setting, honoured by every consumer. With PROVENANCE_EP=cpu and the
// trained models in a non-default folder (PROVENANCE_USER_MODELS_DIR, where version r1 of
// fixture-texture-cnn is active), analyze, import, evaluate, report and the UI all run the
// models on the CPU and score with r1. The same variable naming a provider this build does not
// ship makes each of them refuse, naming it: the variable reaches every one of them (and
// nothing falls back silently), whatever machine the test runs on.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { EvaluationResult } from '../../src/contract/evaluation';
import type { AnalysisRecord } from '../../src/contract/evidence';
import { ConfigStore } from '../../src/main/config';
import { availableProviders, PROVIDER_NAMES } from '../../src/main/inference/providers';
import { createAppServices } from '../../src/main/services';
import { openCaseDatabase } from '../../src/main/store';
import { activateVersion, registerVersion } from '../../src/main/training/versions';
import { runCli } from '../cli/run';
import { INSTALL, SHIPPED_DETECTORS } from '../config';
import { e2eSkipReason, importThroughUi, createCaseThroughUi, invokeFromPage, screenshot, startApp } from '../e2e/harness';
import { makeCnnDetectionSet } from '../evaluation/datasets';
import { makeJpeg } from '../fixtures/images';
import { reportSkipReason } from '../reports/helpers';
import { caller, finishedJob } from '../services/call';
import { fixtureVersion } from '../training/helpers';

const TEXTURE = 'fixture-texture-cnn';
const root = mkdtempSync(join(tmpdir(), 'provenance-honoured-'));
const trained = join(root, 'elsewhere', 'trained-models');
const evidence = join(root, 'evidence');
/** A provider this onnxruntime build does not ship (dml on Linux and macOS, coreml elsewhere). */
const unshipped = PROVIDER_NAMES.find((p) => !availableProviders().includes(p))!;
const env = { PROVENANCE_EP: 'cpu', PROVENANCE_USER_MODELS_DIR: trained, PROVENANCE_SHOW_FIXTURES: '1' };
const refusing = { ...env, PROVENANCE_EP: unshipped };
const refusal = new RegExp(`\\b${unshipped}\\b`);

before(async () => {
  await registerVersion(trained, fixtureVersion(TEXTURE));
  await activateVersion(trained, TEXTURE, 'r1');
  mkdirSync(evidence);
  for (let i = 0; i < 3; i++) await makeJpeg(join(evidence, `photo-${i}.jpg`), { width: 160, height: 120, seed: 40 + i });
});
after(() => rmSync(root, { recursive: true, force: true }));

/** Every score of fixture-texture-cnn came from version r1 on the CPU; the other model is the installed one. */
function assertScoredWithR1OnCpu(scores: { modelId: string; modelVersion: string; provider: string }[], where: string): void {
  assert.ok(scores.length > 0, `${where}: scores`);
  for (const s of scores) assert.equal(s.provider, 'cpu', `${where}: ${s.modelId} ran on ${s.provider}`);
  const texture = scores.filter((s) => s.modelId === TEXTURE);
  assert.ok(texture.length > 0 && texture.every((s) => s.modelVersion === 'r1'), `${where}: ${TEXTURE} versions ${texture.map((s) => s.modelVersion)}`);
}

describe('PROVENANCE_EP=cpu and a trained-models folder elsewhere, honoured by every consumer', () => {
  test('analyze', () => {
    const out = join(root, 'analyze.jsonl');
    const r = runCli(['analyze', evidence, '--out', out, '--quiet', '--no-ela'], { env });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /model fixture-texture-cnn r1 on cpu \(asked: cpu\)/);
    const records = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AnalysisRecord);
    assert.equal(records.length, 3);
    assertScoredWithR1OnCpu(records.flatMap((rec) => rec.scores ?? []), 'analyze');

    const refused = runCli(['analyze', evidence, '--out', join(root, 'refused.jsonl'), '--quiet'], { env: refusing });
    assert.equal(refused.status, 1, refused.stderr);
    assert.match(refused.stderr, refusal);
  });

  test('import, and the report of that case', { timeout: 240_000 }, async (t) => {
    const caseDir = join(root, 'case');
    const r = runCli(['import', caseDir, evidence, '--name', 'Honoured', '--quiet'], { env });
    assert.equal(r.status, 0, r.stderr);
    const store = openCaseDatabase(caseDir, { readonly: true });
    try {
      const [run] = store.listRuns();
      assert.equal(run.parameters.provider, 'cpu', 'the run records the provider asked for');
      assert.deepEqual(run.parameters.models.filter((m) => !SHIPPED_DETECTORS.includes(m.id)).map((m) => [m.id, m.version]).sort(), [['fixture-ela-cnn', '1.0.0'], [TEXTURE, 'r1']]);
      assertScoredWithR1OnCpu(store.listEvidence({}).flatMap((i) => i.latestResult?.scores ?? []), 'import');
    } finally {
      store.close();
    }
    const refused = runCli(['import', join(root, 'refused-case'), evidence, '--name', 'Refused', '--quiet'], { env: refusing });
    assert.equal(refused.status, 1, refused.stderr);
    assert.match(refused.stderr, refusal);

    const skip = reportSkipReason();
    if (skip) return t.skip(skip);
    const pdf = join(root, 'report.pdf');
    const report = runCli(['report', caseDir, '--out', pdf, '--items', 'all', '--examiner', 'T. Tester', '--quiet'], { env });
    assert.equal(report.status, 0, report.stderr);
    const text = spawnSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8' }).stdout;
    assert.match(text, /\br1\s+generated\s+cpu\b/, 'the models table names version r1, run on the CPU');
    assert.match(text, /completed\s+provenance-lab\s+(\S+\s+)?cpu\b/, 'the runs table records the provider asked for');
  });

  test('evaluate', async () => {
    const dataset = await makeCnnDetectionSet(join(root, 'dataset'), { generators: ['progan'], perClass: 3, size: 64 });
    const out = join(root, 'eval.json');
    const r = runCli(['evaluate', dataset, '--models', TEXTURE, '--bootstrap', '0', '--out', out, '--quiet'], { env });
    assert.equal(r.status, 0, r.stderr);
    const result = JSON.parse(readFileSync(out, 'utf8')) as EvaluationResult;
    assert.deepEqual(result.models.map((m) => [m.id, m.version, m.provider]), [[TEXTURE, 'r1', 'cpu']]);
    const refused = runCli(['evaluate', dataset, '--models', TEXTURE, '--bootstrap', '0', '--quiet'], { env: refusing });
    assert.equal(refused.status, 1, refused.stderr);
    assert.match(refused.stderr, refusal);
  });

  test('the UI (the test server built from the same environment)', { skip: e2eSkipReason(), timeout: 180_000 }, async () => {
    const app = await startApp({ config: { env } });
    try {
      const { page } = app;
      await page.getByTestId('nav-settings').click();
      await page.getByTestId('settings-form').waitFor();
      assert.equal(await page.getByTestId('setting-provider').inputValue(), 'cpu');
      assert.match((await page.getByTestId('locked-provider').textContent()) ?? '', /PROVENANCE_EP/);
      assert.match((await page.locator('tr[data-setting="userModelsDir"]').textContent()) ?? '', new RegExp(`${trained.replace(/[/\\.]/g, '.')}.*environment`));

      await page.getByTestId('nav-models').click();
      const entry = page.locator(`[data-testid="model-entry"][data-model="${TEXTURE}"]`);
      await entry.waitFor();
      assert.equal(await entry.getByTestId('model-in-use').textContent(), 'r1');
      await screenshot(page, 'honoured-models.png');

      await createCaseThroughUi(app, join(app.tmp, 'case'), { name: 'Honoured in the UI' });
      await importThroughUi(app, evidence);
      const { items } = await invokeFromPage(page, 'evidence.list', {});
      assert.equal(items.length, 3);
      // Gallery tiles carry no provider: the whole items say which one ran.
      const details = await Promise.all(items.map((i) => invokeFromPage(page, 'evidence.get', { id: i.id })));
      assertScoredWithR1OnCpu(details.flatMap((d) => d.item.latestResult?.scores ?? []), 'UI import');
      assert.deepEqual(app.pageErrors, []);
    } finally {
      await app.close();
    }

    // The same services, with the variable naming a provider this build lacks: the import job fails, naming it.
    const services = createAppServices({ config: new ConfigStore({ install: INSTALL, env: refusing, overrides: { stateDir: join(root, 'ui-state') } }), shell: 'test-server', pickFolder: async () => null });
    const call = caller(() => services);
    try {
      await call('cases.create', { dir: join(root, 'ui-refused'), name: 'Refused' });
      const { jobId } = await call('evidence.import', { paths: [evidence] });
      const job = await finishedJob(services, jobId, 'import');
      assert.equal(job.status, 'failed');
      assert.match(job.error ?? '', refusal);
    } finally {
      await services.close();
    }
  });
});
