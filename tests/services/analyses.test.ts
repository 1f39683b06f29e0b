// The inspector's forensic analyses through the one contract: the list with each item's stored
// finding, one analysis run in full on demand (maps served by media URL from the case's derived
// folder, tables, charts), cached by SHA-256 and version, its summary stored so the gallery
// filters by it; run on the sample's examples, each caught by its analysis.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { ANALYSIS_IDS } from '../../src/contract/analyses';
import { httpMediaUrl, parseMediaPath, parseMediaUrl } from '../../src/contract/media';
import { createAppServices, type AppServices } from '../../src/main/services';
import { testConfigStore } from '../config';
import { caller, finishedJob } from './call';

const repo = resolve(import.meta.dirname, '../..');

describe('forensic analyses in the inspector (services)', { timeout: 900_000 }, () => {
  let services: AppServices;
  let root: string;
  const call = caller(() => services);
  const byName = async (name: string) => (await call('evidence.list', { text: name })).items[0]!;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'services-analyses-'));
    const made = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/make-sample.ts', join(root, 'sample')], { cwd: repo, encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    services = createAppServices({ config: testConfigStore({ stateDir: join(root, 'state') }), shell: 'test-server', pickFolder: async () => null });
    await call('cases.create', { dir: join(root, 'case'), name: 'Analyses' });
    const { jobId } = await call('evidence.import', { paths: [join(root, 'sample', 'forensics')] });
    assert.equal((await finishedJob(services, jobId, 'import')).status, 'completed');
  });
  after(async () => {
    await services?.close();
    rmSync(root, { recursive: true, force: true });
  });

  test('the list names every analysis with its legend, parameters and the stored finding of the batch ones', async () => {
    const list = await call('analysis.list', { id: (await byName('thumbnail-mismatch')).id });
    assert.deepEqual(list.map((e) => e.description.id).sort(), [...ANALYSIS_IDS].sort());
    for (const e of list) {
      assert.ok(e.description.shows.length > 20 && e.description.doesNotProve.length > 20, e.description.id);
      assert.equal(typeof e.description.parameters, 'object', `${e.description.id} parameters`);
      assert.equal(e.finding === null, e.runs === 'on demand', `${e.description.id}: batch analyses have a finding after import, on-demand ones not yet`);
    }
    const thumbnail = list.find((e) => e.description.id === 'thumbnail')!;
    assert.equal(thumbnail.finding?.summary.flagged, true, thumbnail.finding?.summary.reason);
  });

  test('copy-move on demand: flagged, its map served by media URL, cached, and its flag reaches the gallery filter', async () => {
    const item = await byName('clone.jpg');
    assert.ok(!(await call('evidence.list', { analysisFlag: 'copyMove' })).items.some((i) => i.id === item.id), 'not run yet: no flag');
    const view = await call('analysis.run', { id: item.id, analysis: 'copyMove' });
    assert.equal(view.cached, false);
    assert.equal(view.summary.flagged, true, view.summary.reason);
    assert.match(view.description.doesNotProve, /./);
    const map = view.maps.find((m) => m.name === 'clone-correlation');
    assert.ok(map && map.legend.kind === 'grey' && map.linked?.length, JSON.stringify(view.maps));
    const ref = parseMediaUrl(httpMediaUrl('http://127.0.0.1:1', { kind: 'analysis-map', evidenceId: item.id, analysis: 'copyMove', map: map.name }));
    assert.deepEqual(ref, { kind: 'analysis-map', evidenceId: item.id, analysis: 'copyMove', map: 'clone-correlation' });
    const served = await services.media(ref!);
    assert.ok(served.ok, served.ok ? '' : served.message);
    const meta = await sharp(served.body).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['png', map.width, map.height]);
    assert.ok((await call('evidence.list', { analysisFlag: 'copyMove' })).items.some((i) => i.id === item.id), 'the on-demand flag is stored and filterable');
    const again = await call('analysis.run', { id: item.id, analysis: 'copyMove' });
    assert.equal(again.cached, true);
    assert.deepEqual(again.summary, view.summary);
    assert.equal((await call('analysis.list', { id: item.id })).find((e) => e.description.id === 'copyMove')?.finding?.summary.flagged, true);
  });

  test('ghosts, C2PA, tables and metadata show what the examiner needs', async () => {
    const ghosts = await call('analysis.run', { id: (await byName('ghost-q60')).id, analysis: 'ghosts' });
    assert.ok(ghosts.summary.flagged, ghosts.summary.reason);
    const chart = ghosts.charts[0]!;
    assert.equal(chart.x.length, chart.series[0]!.values.length);
    assert.ok(chart.marks?.some((m) => m.label === 'ghost' && Math.abs(m.x - 60) <= 5), JSON.stringify(chart.marks));
    assert.ok(ghosts.maps.some((m) => m.name === 'ghost-quality' && m.legend.kind === 'inferno'));

    const c2pa = await call('analysis.run', { id: (await byName('c2pa-edited')).id, analysis: 'c2pa' });
    assert.ok(c2pa.summary.analysis === 'c2pa' && c2pa.summary.hashMismatch);
    assert.ok(c2pa.tables.some((t) => t.title === 'Validation failures' && t.rows.length > 0));

    const tables = await call('analysis.run', { id: (await byName('mozjpeg-tables')).id, analysis: 'quantTables' });
    const luma = tables.tables.find((t) => t.title.startsWith('Quantisation table 0'))!;
    assert.equal(luma.rows.length, 8);
    assert.equal(luma.rows[0]!.length, 9);

    const meta = await call('analysis.run', { id: (await byName('dates-out-of-order')).id, analysis: 'metadataConsistency' });
    assert.ok(meta.tables.some((t) => t.title === 'Findings' && t.rows.some((r) => r[1] === 'date-order')));
    const every = meta.tables.find((t) => t.title.startsWith('Every tag'))!;
    if (spawnSync('perl', ['-v']).status === 0) assert.ok(every.rows.length > 5 && every.columns.includes('tag'), JSON.stringify(every).slice(0, 300));
    else assert.match(String(every.rows[0]![0]), /ExifTool/);
  });

  test('map media URLs name only an analysis and a map name', () => {
    assert.equal(parseMediaPath('evidence/3/analysis/noise/../../x'), null);
    assert.equal(parseMediaPath('evidence/3/analysis/elsewhere/sigma'), null);
    assert.equal(parseMediaPath('evidence/3/analysis/noise/Sigma.png'), null);
    assert.deepEqual(parseMediaPath('evidence/3/analysis/noise/sigma'), { kind: 'analysis-map', evidenceId: 3, analysis: 'noise', map: 'sigma' });
  });
});
