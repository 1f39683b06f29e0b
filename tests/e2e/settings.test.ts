// The Settings view in the real renderer against the real engine: what may be changed is
// changed and saved to settings.json (and takes effect: the fixture models appear in Models,
// new cases get the examiner), what the environment fixes is shown locked, folders and programs
// are shown with their source and cannot be edited from the page.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { createCaseThroughUi, e2eSkipReason, invokeFromPage, screenshot, slow, startApp } from './harness';

const skip = e2eSkipReason();

/** Posts a raw settings.update from the page (with the run's token), as a compromised renderer could. */
async function postSettings(page: Page, token: string, body: unknown): Promise<{ ok: boolean; error: { code: string; message: string } }> {
  const answer: unknown = await page.evaluate(
    async ({ payload, token }) => (await fetch('/api/settings.update', { method: 'POST', headers: { 'content-type': 'application/json', 'x-provenance-token': token }, body: JSON.stringify(payload) })).json(),
    { payload: body, token },
  );
  return answer as { ok: boolean; error: { code: string; message: string } };
}

test('change the provider, the examiner and the fixture setting; saved to settings.json and in force at once', { skip, timeout: slow(120_000) }, async () => {
  // No override for the fixture setting: like a user's install, where the settings file decides.
  const app = await startApp({ config: { showFixtureModels: undefined }, settings: { organisation: 'Forensic Unit North', $comment: 'kept by the Settings view' } });
  try {
    const { page } = app;
    const settingsFile = path.join(app.tmp, 'state', 'settings.json');

    // Fixtures are hidden by default: the Models view says so and lists none.
    await page.getByTestId('nav-models').click();
    await page.getByTestId('hidden-fixtures').waitFor();
    assert.match((await page.getByTestId('hidden-fixtures').textContent()) ?? '', /2 test-fixture models hidden \(fixture-ela-cnn, fixture-texture-cnn\)/);
    assert.deepEqual((await invokeFromPage(page, 'models.list', {})).models, []);

    await page.getByTestId('nav-settings').click();
    await page.getByTestId('settings-form').waitFor();
    assert.equal(await page.getByTestId('setting-organisation').inputValue(), 'Forensic Unit North', 'read from the settings file');
    assert.equal(await page.getByTestId('settings-save').isDisabled(), true, 'nothing to save yet');
    // Folders and programs are shown, with their source, and there is nothing to type them into.
    const fixed = page.getByTestId('settings-fixed');
    assert.match((await fixed.locator('tr[data-setting="userModelsDir"]').textContent()) ?? '', new RegExp(`${path.join(app.tmp, 'state', 'models').replace(/[/\\]/g, '.')}.*default`));
    assert.match((await fixed.locator('tr[data-setting="python"]').textContent()) ?? '', /PROVENANCE_PYTHON/);
    assert.equal(await fixed.locator('input, select, textarea').count(), 0);

    await page.getByTestId('setting-provider').selectOption('cpu');
    await page.getByTestId('setting-examiner').fill('R. Okafor');
    await page.getByTestId('setting-fixtures').check();
    await page.getByTestId('setting-max-pixels').fill('80');
    await page.getByTestId('settings-save').click();
    await page.getByTestId('settings-saved').waitFor();
    await screenshot(page, 'settings-saved.png');

    const saved = JSON.parse(fs.readFileSync(settingsFile, 'utf8'));
    assert.deepEqual(saved, { organisation: 'Forensic Unit North', $comment: 'kept by the Settings view', provider: 'cpu', examinerName: 'R. Okafor', showFixtureModels: true, maxPixels: 80_000_000 });
    const info = await invokeFromPage(page, 'app.info', {});
    assert.equal(info.provider, 'cpu');

    // In force at once: the fixtures are listed and run; the examiner fills a new case.
    await page.getByTestId('nav-models').click();
    await page.locator('[data-testid="model-entry"][data-model="fixture-texture-cnn"]').waitFor();
    assert.equal(await page.getByTestId('hidden-fixtures').count(), 0);
    await page.getByTestId('nav-cases').click();
    assert.equal(await page.getByTestId('new-case-examiner').getAttribute('placeholder'), 'R. Okafor');
    await createCaseThroughUi(app, path.join(app.tmp, 'case'), { name: 'Settings case' });
    const current = await invokeFromPage(page, 'cases.current', {});
    assert.equal(current?.case.examiner, 'R. Okafor', 'a blank examiner is the workstation’s');
    assert.equal(current?.case.organisation, 'Forensic Unit North');

    // The renderer cannot smuggle in what it may not set.
    const refused = await postSettings(page, app.token, { python: '/bin/sh' });
    assert.equal(refused.ok, false);
    assert.equal(refused.error.code, 'INVALID_REQUEST');
    assert.deepEqual(app.pageErrors, []);
  } finally {
    await app.close();
  }
});

test('a setting fixed by the environment is shown locked, and the problems of a bad settings file are listed', { skip, timeout: slow(90_000) }, async () => {
  const app = await startApp({ config: { env: { PROVENANCE_EP: 'cpu' } }, settings: { provider: 'webgpu', maxPixels: 12, colour: 'blue' } });
  try {
    const { page } = app;
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('settings-form').waitFor();
    assert.equal(await page.getByTestId('setting-provider').inputValue(), 'cpu');
    assert.equal(await page.getByTestId('setting-provider').isDisabled(), true);
    assert.match((await page.getByTestId('locked-provider').textContent()) ?? '', /PROVENANCE_EP/);
    const problems = (await page.getByTestId('settings-problems').textContent()) ?? '';
    assert.match(problems, /"maxPixels"/);
    assert.match(problems, /"colour" is not a setting/);
    await screenshot(page, 'settings-locked.png');
    const r = await postSettings(page, app.token, { provider: 'webgpu' });
    assert.equal(r.ok, false);
    assert.match(r.error.message, /set by the environment variable PROVENANCE_EP/);
  } finally {
    await app.close();
  }
});
