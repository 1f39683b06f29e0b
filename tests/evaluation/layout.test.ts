// Layout detection and loading on real folders of generated images.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { DatasetError, detectLayout, loadLabelledSet } from '../../src/main/evaluation/dataset';
import { makeCnnDetectionSet, removeDir, tempDir, tinyJpeg } from './datasets';

let work: string;
before(() => {
  work = tempDir('pl-layout-');
});
after(() => removeDir(work));

function fresh(name: string): string {
  const dir = path.join(work, name);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

async function tinyImage(file: string, format: 'png' | 'tiff', seed: number): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await sharp({ create: { width: 12, height: 10, channels: 3, background: { r: seed * 20, g: 80, b: 120 } } })[format]().toFile(file);
}

const rel = (root: string, p: string) => path.relative(root, p).split(path.sep).join('/');

describe('CNNDetection / ForenSynths layout', () => {
  it('reads <generator>/0_real|1_fake, counts per generator and skips non-images with a warning', async () => {
    const root = await makeCnnDetectionSet(fresh('cnn'), { generators: ['biggan', 'stylegan'], perClass: 3, tiny: true });
    fs.writeFileSync(path.join(root, 'biggan', '0_real', 'README.txt'), 'not an image');
    fs.writeFileSync(path.join(root, 'biggan', '0_real', '.DS_Store'), 'junk');

    const summary = await detectLayout(root);
    assert.equal(summary.layout, 'cnndetection');
    assert.match(summary.layoutName, /CNNDetection/);
    assert.equal(summary.usable, true);
    assert.deepEqual([summary.total, summary.real, summary.fake], [12, 6, 6]);
    assert.deepEqual(summary.sources, [
      { name: 'biggan', real: 3, fake: 3 },
      { name: 'stylegan', real: 3, fake: 3 },
    ]);
    assert.equal(summary.groups, 12, 'every image is its own group');
    assert.equal(summary.largestGroup, 1);
    assert.deepEqual(summary.examples.slice(0, 1), [{ label: 0, path: 'biggan/0_real/0000.jpg' }]);
    assert.deepEqual(summary.examples.filter((e) => e.label === 1)[0], { label: 1, path: 'biggan/1_fake/0000.jpg' });
    const skipped = summary.problems.find((p) => /skipped because their extension/.test(p.message));
    assert.equal(skipped?.severity, 'warning');
    assert.match(skipped!.message, /^1 file\(s\).*biggan\/0_real\/README\.txt/);

    const set = await loadLabelledSet(root);
    assert.equal(set.items.length, 12);
    const item = set.items.find((i) => i.path.endsWith(path.join('stylegan', '1_fake', '0002.jpg')))!;
    assert.deepEqual({ ...item, path: rel(root, item.path) }, { path: 'stylegan/1_fake/0002.jpg', label: 1, source: 'stylegan', group: 'stylegan/1_fake/0002.jpg', task: 'generated' });
    assert.equal(summary.task, 'generated', 'CNNDetection fakes come from generators');
  });

  it('reads <generator>/<category>/0_real|1_fake next to generators without categories', async () => {
    const root = fresh('cnn-categories');
    await makeCnnDetectionSet(root, { generators: ['progan'], categories: ['airplane', 'cat'], perClass: 2, tiny: true });
    await makeCnnDetectionSet(root, { generators: ['whichfaceisreal'], perClass: 2, tiny: true });
    const set = await loadLabelledSet(root);
    assert.equal(set.layout, 'cnndetection');
    assert.deepEqual(set.summary.sources, [
      { name: 'progan', real: 4, fake: 4 },
      { name: 'whichfaceisreal', real: 2, fake: 2 },
    ]);
    assert.deepEqual([...new Set(set.items.map((i) => i.category))], ['airplane', 'cat', undefined]);
  });

  it('takes label folders directly under the root as one generator named after the root', async () => {
    const root = fresh('deepfake');
    await tinyJpeg(path.join(root, '0_real', 'a.jpg'), 1);
    await tinyJpeg(path.join(root, '1_fake', 'b.jpg'), 2);
    const summary = await detectLayout(root);
    assert.equal(summary.layout, 'cnndetection');
    assert.deepEqual(summary.sources, [{ name: 'deepfake', real: 1, fake: 1 }]);
  });

  it('warns about a generator with one class only (its AP is undefined)', async () => {
    const root = fresh('cnn-oneclass');
    await tinyJpeg(path.join(root, 'gan', '0_real', 'a.jpg'), 1);
    await tinyJpeg(path.join(root, 'gan', '1_fake', 'b.jpg'), 2);
    await tinyJpeg(path.join(root, 'dalle', '1_fake', 'c.jpg'), 3);
    const summary = await detectLayout(root);
    assert.equal(summary.usable, true);
    assert.ok(summary.problems.some((p) => p.severity === 'warning' && /dalle has 0 real and 1 fake images: its AP is undefined/.test(p.message)));
  });
});

describe('generic real/fake layout and video grouping', () => {
  it('groups frames of one video across real and fake, and numbered frames in a video folder', async () => {
    const root = fresh('generic');
    await tinyJpeg(path.join(root, 'real', 'clipA_frame0001.jpg'), 1);
    await tinyJpeg(path.join(root, 'real', 'clipA_frame0002.jpg'), 2);
    await tinyJpeg(path.join(root, 'real', 'street.jpg'), 3);
    await tinyJpeg(path.join(root, 'fake', 'clipA_frame0001.jpg'), 4);
    await tinyJpeg(path.join(root, 'fake', 'vid7', '0001.jpg'), 5);
    await tinyJpeg(path.join(root, 'fake', 'vid7', '0002.jpg'), 6);
    await tinyJpeg(path.join(root, 'fake', 'vid7', 'poster.jpg'), 7);

    const set = await loadLabelledSet(root);
    assert.equal(set.layout, 'generic');
    const groups = Object.fromEntries(set.items.map((i) => [rel(root, i.path), i.group]));
    assert.deepEqual(groups, {
      'fake/clipA_frame0001.jpg': 'clipA',
      'fake/vid7/0001.jpg': 'vid7',
      'fake/vid7/0002.jpg': 'vid7',
      'fake/vid7/poster.jpg': 'fake/vid7/poster.jpg',
      'real/clipA_frame0001.jpg': 'clipA',
      'real/clipA_frame0002.jpg': 'clipA',
      'real/street.jpg': 'real/street.jpg',
    });
    assert.equal(set.summary.groups, 4);
    assert.equal(set.summary.largestGroup, 3);
    assert.deepEqual(set.summary.sources, [{ name: 'generic', real: 3, fake: 4 }]);
  });

  it('reads authentic/manipulated/generated folders under each source', async () => {
    const root = fresh('generic-sources');
    await tinyJpeg(path.join(root, 'camera', 'authentic', '1.jpg'), 1);
    await tinyJpeg(path.join(root, 'camera', 'manipulated', '2.jpg'), 2);
    await tinyJpeg(path.join(root, 'phone', 'real', '3.jpg'), 3);
    await tinyJpeg(path.join(root, 'phone', 'generated', '4.jpg'), 4);
    const summary = await detectLayout(root);
    assert.equal(summary.layout, 'generic');
    assert.deepEqual(summary.sources, [
      { name: 'camera', real: 1, fake: 1 },
      { name: 'phone', real: 1, fake: 1 },
    ]);
    assert.equal(summary.task, 'mixed', 'the folders name both kinds of fake');
  });
});

describe('CASIA layout', () => {
  it('labels Au/Tp, ties splices to their authentic sources, pairs masks by stem', async () => {
    const root = fresh('CASIA2');
    await tinyJpeg(path.join(root, 'Au', 'Au_ani_00018.jpg'), 1);
    await tinyJpeg(path.join(root, 'Au', 'Au_sec_00096.jpg'), 2);
    await tinyJpeg(path.join(root, 'Au', 'Au_arc_00013.jpg'), 3);
    await tinyJpeg(path.join(root, 'Au', 'Au_nat_00001.jpg'), 4);
    await tinyJpeg(path.join(root, 'Au', 'Au_pla_00002.jpg'), 5);
    // Splice of sec00096 into ani00018; another splice ties nat00001 to ani00018 as well.
    await tinyImage(path.join(root, 'Tp', 'Tp_D_NRN_S_N_ani00018_sec00096_00138.tif'), 'tiff', 6);
    await tinyJpeg(path.join(root, 'Tp', 'Tp_D_CRN_M_N_nat00001_ani00018_10000.jpg'), 7);
    // Copy-move inside arc00013 names the same source twice.
    await tinyJpeg(path.join(root, 'Tp', 'Tp_S_NRN_S_N_arc00013_arc00013_01113.jpg'), 8);
    await tinyJpeg(path.join(root, 'Tp', 'holiday.jpg'), 9);
    await tinyImage(path.join(root, 'CASIA 2 Groundtruth', 'Tp_D_NRN_S_N_ani00018_sec00096_00138_gt.png'), 'png', 10);
    await tinyImage(path.join(root, 'CASIA 2 Groundtruth', 'Tp_S_NRN_S_N_xyz00001_xyz00001_00001_gt.png'), 'png', 11);

    const set = await loadLabelledSet(root);
    assert.equal(set.layout, 'casia');
    const byName = Object.fromEntries(set.items.map((i) => [path.basename(i.path), i]));
    assert.equal(byName['Au_ani_00018.jpg'].label, 0);
    assert.equal(byName['Tp_S_NRN_S_N_arc00013_arc00013_01113.jpg'].label, 1);
    // One group for ani18, sec96, nat1 and both splices; one for arc13 and its copy-move.
    for (const name of ['Au_ani_00018.jpg', 'Au_sec_00096.jpg', 'Au_nat_00001.jpg', 'Tp_D_NRN_S_N_ani00018_sec00096_00138.tif', 'Tp_D_CRN_M_N_nat00001_ani00018_10000.jpg']) {
      assert.equal(byName[name].group, 'ani18', name);
    }
    assert.equal(byName['Au_arc_00013.jpg'].group, 'arc13');
    assert.equal(byName['Tp_S_NRN_S_N_arc00013_arc00013_01113.jpg'].group, 'arc13');
    assert.equal(byName['Au_pla_00002.jpg'].group, 'pla2');
    assert.equal(byName['holiday.jpg'].group, 'Tp/holiday.jpg');
    // Sources are content categories (of the first source image for a splice).
    assert.equal(byName['Tp_D_CRN_M_N_nat00001_ani00018_10000.jpg'].source, 'nat');
    assert.equal(byName['holiday.jpg'].source, 'CASIA');
    assert.equal(byName['Tp_D_NRN_S_N_ani00018_sec00096_00138.tif'].maskPath, path.join(root, 'CASIA 2 Groundtruth', 'Tp_D_NRN_S_N_ani00018_sec00096_00138_gt.png'));
    assert.equal(byName['Tp_D_CRN_M_N_nat00001_ani00018_10000.jpg'].maskPath, undefined);

    const s = set.summary;
    assert.deepEqual([s.total, s.real, s.fake, s.groups, s.masks], [9, 5, 4, 4, 1]);
    assert.equal(s.task, 'manipulated', 'CASIA fakes are tampered photographs');
    const warnings = s.problems.map((p) => p.message).join('\n');
    assert.match(warnings, /3 tampered image\(s\) have no ground-truth mask/);
    assert.match(warnings, /1 mask\(s\) match no tampered image by file stem, e\.g\. CASIA 2 Groundtruth\/Tp_S_NRN_S_N_xyz00001/);
    assert.match(warnings, /1 file name\(s\) do not follow the CASIA convention.*Tp\/holiday\.jpg/);
    assert.match(s.grouping, /Tp_D_NRN_S_N_ani00018_sec00096_00138 ties to Au_ani_00018 and Au_sec_00096/);
  });

  it('reads CASIA v1 names (Sp_ prefix, 4-digit ids) against Au names with other padding', async () => {
    const root = fresh('CASIA1');
    await tinyJpeg(path.join(root, 'Au', 'Au_ani_0049.jpg'), 1);
    await tinyJpeg(path.join(root, 'Au', 'Au_ani_0102.jpg'), 2);
    await tinyJpeg(path.join(root, 'Sp', 'Sp_D_NRN_A_ani0049_ani0102_0267.jpg'), 3);
    const set = await loadLabelledSet(root);
    assert.deepEqual(set.items.map((i) => [path.basename(i.path), i.label, i.group]), [
      ['Au_ani_0049.jpg', 0, 'ani102'],
      ['Au_ani_0102.jpg', 0, 'ani102'],
      ['Sp_D_NRN_A_ani0049_ani0102_0267.jpg', 1, 'ani102'],
    ]);
  });
});

describe('CSV manifest', () => {
  it('resolves relative paths against its folder, reads groups and sources, tolerates BOM, CRLF and quotes', async () => {
    const root = fresh('csv');
    await tinyJpeg(path.join(root, 'imgs', 'a.jpg'), 1);
    await tinyJpeg(path.join(root, 'imgs', 'b, with comma.jpg'), 2);
    await tinyJpeg(path.join(root, 'imgs', 'clip9_frame0003.jpg'), 3);
    const elsewhere = await tinyJpeg(path.join(work, 'outside.jpg'), 4);
    const csv = path.join(root, 'labels.csv');
    fs.writeFileSync(
      csv,
      '\ufeffPath,Label,Group,Generator,notes\r\n' +
        'imgs/a.jpg,real,photo-1,camera,x\r\n' +
        '"imgs/b, with comma.jpg",FAKE,photo-1,sd15,"say ""hi"""\r\n' +
        'imgs/clip9_frame0003.jpg,generated,,sd15,\r\n' +
        `${elsewhere},0,,,\r\n` +
        '\r\n' +
        'imgs/missing.jpg,1,g9,sd15,\r\n',
    );
    const set = await loadLabelledSet(csv);
    assert.equal(set.layout, 'csv');
    assert.deepEqual(
      set.items.map((i) => [i.path, i.label, i.group, i.source]),
      [
        [path.join(root, 'imgs', 'a.jpg'), 0, 'photo-1', 'camera'],
        [path.join(root, 'imgs', 'b, with comma.jpg'), 1, 'photo-1', 'sd15'],
        [path.join(root, 'imgs', 'clip9_frame0003.jpg'), 1, 'imgs/clip9', 'sd15'],
        [elsewhere, 0, elsewhere, 'all'],
        [path.join(root, 'imgs', 'missing.jpg'), 1, 'g9', 'sd15'],
      ],
    );
    const problems = set.summary.problems;
    assert.ok(problems.every((p) => p.severity === 'warning'));
    assert.ok(problems.some((p) => p.line === 1 && /column\(s\) notes ignored/.test(p.message)));
    const missing = problems.find((p) => /missing\.jpg does not exist/.test(p.message));
    assert.equal(missing?.line, 7);
    assert.match(missing!.message, /^line 7: .*counted as unreadable/);

    // A folder holding exactly one CSV is read through it.
    assert.equal((await detectLayout(root)).layout, 'csv');
  });

  it('reports every error with its line number and refuses to load', async () => {
    const root = fresh('csv-bad');
    await tinyJpeg(path.join(root, 'a.jpg'), 1);
    const csv = path.join(root, 'bad.csv');
    fs.writeFileSync(
      csv,
      [
        'path,label,group',
        'a.jpg,real,g1', // line 2: fine
        'b.jpg,maybe,g2', // line 3: bad label
        ',fake,g3', // line 4: empty path
        'c.jpg,fake', // line 5: too few fields
        'a.jpg,fake,g1', // line 6: a.jpg again with another label
        '',
        '"d.jpg,1,g4', // line 8: quote never closed
      ].join('\n'),
    );
    const summary = await detectLayout(csv);
    assert.equal(summary.usable, false);
    const errors = summary.problems.filter((p) => p.severity === 'error');
    // The unclosed quote stops parsing: it is the one error reported for a syntax problem.
    assert.deepEqual(errors.map((e) => e.line), [8]);
    assert.match(errors[0].message, /^line 8: a quoted field is never closed/);

    fs.writeFileSync(csv, fs.readFileSync(csv, 'utf8').replace('"d.jpg', 'd.jpg'));
    const fixedQuote = await detectLayout(csv);
    const lines = fixedQuote.problems.filter((p) => p.severity === 'error').map((p) => [p.line, p.message]);
    assert.deepEqual(lines.map(([l]) => l), [3, 4, 5, 6]);
    assert.match(String(lines[0][1]), /^line 3: label "maybe" is not one of 0, 1, real, fake, authentic, manipulated, generated \(any case\)/);
    assert.match(String(lines[1][1]), /^line 4: path is empty/);
    assert.match(String(lines[2][1]), /^line 5: 2 field\(s\) but the header has 3/);
    assert.match(String(lines[3][1]), /^line 6: a\.jpg is listed again with another label \(line 2 says real\)/);
    await assert.rejects(loadLabelledSet(csv), (err: unknown) => {
      assert.ok(err instanceof DatasetError);
      assert.equal(err.code, 'INVALID_MANIFEST');
      assert.match(err.message, /has 4 problem\(s\):\n {2}line 3: label "maybe"/);
      return true;
    });
  });

  it('requires a header naming path and label, and says so when the first line is data', async () => {
    const csv = path.join(fresh('csv-noheader'), 'm.csv');
    fs.writeFileSync(csv, 'a.jpg,real\nb.jpg,fake\n');
    const summary = await detectLayout(csv);
    assert.equal(summary.problems[0].line, 1);
    assert.match(summary.problems[0].message, /^line 1: the header must name the columns path and label \(missing: path, label; .*The first line looks like data/);
    fs.writeFileSync(csv, '');
    assert.match((await detectLayout(csv)).problems[0].message, /line 1: the manifest is empty/);
    fs.writeFileSync(csv, 'path,label\n');
    await assert.rejects(loadLabelledSet(csv), (e: unknown) => e instanceof DatasetError && e.code === 'EMPTY' && /lists no images/.test(e.message));
  });
});

describe('unusable datasets', () => {
  it('a folder in no known layout is UNRECOGNISED, naming what was found and what is expected', async () => {
    const root = fresh('holiday');
    await tinyJpeg(path.join(root, 'beach', 'a.jpg'), 1);
    const summary = await detectLayout(root);
    assert.equal(summary.layout, null);
    assert.equal(summary.usable, false);
    assert.match(summary.problems[0].message, /not a dataset layout this tool recognises \(top-level folders: beach\)\. Expected one of: .*0_real\|1_fake.*Au\/ and Tp\/.*CSV manifest/);
    await assert.rejects(loadLabelledSet(root), (e: unknown) => e instanceof DatasetError && e.code === 'UNRECOGNISED');
  });

  it('label folders without images are EMPTY; a missing path is NOT_FOUND; a non-CSV file is UNRECOGNISED', async () => {
    const root = fresh('empty');
    fs.mkdirSync(path.join(root, 'gan', '0_real'), { recursive: true });
    fs.mkdirSync(path.join(root, 'gan', '1_fake'), { recursive: true });
    await assert.rejects(loadLabelledSet(root), (e: unknown) => e instanceof DatasetError && e.code === 'EMPTY' && /no images found/.test(e.message));
    await assert.rejects(loadLabelledSet(path.join(root, 'nope')), (e: unknown) => e instanceof DatasetError && e.code === 'NOT_FOUND' && /does not exist/.test(e.message));
    const jpeg = await tinyJpeg(path.join(root, 'x.jpg'), 1);
    await assert.rejects(loadLabelledSet(jpeg), (e: unknown) => e instanceof DatasetError && e.code === 'UNRECOGNISED' && /not a \.csv manifest/.test(e.message));
  });
});
