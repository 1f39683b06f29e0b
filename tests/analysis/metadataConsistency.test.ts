import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, describe, it } from 'node:test';
import { ExifToolReader, type ExifToolDump } from '../../src/main/analysis/exiftool';
import { analyzeMetadataConsistency } from '../../src/main/analysis/metadataConsistency';
import { makeJpegBuffer, makePngBuffer } from '../fixtures/images';
import { NO_SHARED, SHARED_DIR, sharedFile } from '../fixtures/forgeries';

const now = new Date('2026-11-30T12:00:00Z');
const codes = (r: { summary: { findings: { code: string }[] } }) => r.summary.findings.map((f) => f.code);

describe('metadata consistency', () => {
  it('finds nothing to flag in a consistent camera-like file, but notes the missing maker notes', async () => {
    const bytes = await makeJpegBuffer({ width: 64, height: 48, exif: { make: 'Canon', model: 'Canon EOS R6', dateTimeOriginal: '2024:05:01 10:00:00', modifyDate: '2024:05:01 10:00:00', gps: { latitude: 48.8584, longitude: 2.2945 } } });
    const r = await analyzeMetadataConsistency(bytes, { now });
    assert.equal(r.summary.flagged, false, r.summary.reason);
    assert.deepEqual(codes(r).sort(), ['gps-present', 'makernote-missing']);
    assert.equal(r.summary.gps, true);
    assert.equal(r.summary.makerNote, false);
    assert.equal(r.summary.dates.original, '2024:05:01 10:00:00');
  });

  it('flags editing software and notes the later modify date', async () => {
    const bytes = await makeJpegBuffer({ width: 64, height: 48, exif: { make: 'NIKON CORPORATION', model: 'NIKON D750', software: 'Adobe Photoshop 25.0 Windows', dateTimeOriginal: '2024:05:01 10:00:00', modifyDate: '2024:06:12 18:30:00' } });
    const r = await analyzeMetadataConsistency(bytes, { now });
    assert.equal(r.summary.flagged, true);
    assert.ok(codes(r).includes('software-editor'));
    assert.ok(codes(r).includes('modified-after-capture'));
    assert.deepEqual(r.summary.softwareChain, [{ source: 'EXIF Software', value: 'Adobe Photoshop 25.0 Windows' }]);
    assert.match(r.summary.reason, /names editing software \("Adobe Photoshop 25\.0 Windows"\)/);
  });

  it('flags impossible and future dates, and a generator in the software tag', async () => {
    const order = await analyzeMetadataConsistency(await makeJpegBuffer({ width: 32, height: 32, exif: { dateTimeOriginal: '2024:05:01 10:00:00', modifyDate: '2023:01:01 09:00:00' } }), { now });
    assert.ok(order.summary.findings.some((f) => f.code === 'date-order' && f.severity === 'warning'));
    const future = await analyzeMetadataConsistency(await makeJpegBuffer({ width: 32, height: 32, exif: { dateTimeOriginal: '2031:01:01 10:00:00' } }), { now });
    assert.ok(codes(future).includes('future-date'));
    const generated = await analyzeMetadataConsistency(await makeJpegBuffer({ width: 32, height: 32, exif: { software: 'Midjourney v6' } }), { now });
    assert.ok(codes(generated).includes('software-generator'));
    assert.equal(generated.summary.flagged, true);
  });

  it('compares the file-system date with the capture date when given', async () => {
    const bytes = await makeJpegBuffer({ width: 32, height: 32, exif: { dateTimeOriginal: '2024:05:01 10:00:00' } });
    const r = await analyzeMetadataConsistency(bytes, { now, fileModifiedAt: '2020-01-01T00:00:00Z' });
    assert.ok(codes(r).includes('file-before-capture'));
    assert.equal(r.summary.dates.file, '2020-01-01T00:00:00Z');
  });

  it('says there is nothing to check in a file without metadata', async () => {
    const r = await analyzeMetadataConsistency(await makePngBuffer({ width: 32, height: 32 }), { now });
    assert.equal(r.summary.status, 'not-applicable');
    assert.match(r.summary.reason, /proves nothing/);
  });

  const nikon = sharedFile('cameras/Nikon_COOLPIX-P6000/ianare_gps__DSCN0010.jpg');
  const photoshop = sharedFile('cameras/_edited_software/Issue_80.jpg');
  it('reads real camera and edited files (GPS clock, XMP history of Photoshop)', { skip: !nikon || !photoshop ? NO_SHARED : false }, async () => {
    const cam = await analyzeMetadataConsistency(fs.readFileSync(nikon!), { now });
    assert.equal(cam.summary.flagged, false, cam.summary.reason);
    assert.equal(cam.summary.makerNote, true);
    assert.equal(cam.summary.gps, true);
    assert.ok(cam.summary.dates.gpsUtc, 'the GPS clock is read');
    const ps = await analyzeMetadataConsistency(fs.readFileSync(photoshop!), { now });
    assert.equal(ps.summary.flagged, true);
    assert.ok(ps.history.length > 0, 'the XMP edit history is listed');
    assert.ok(ps.summary.softwareChain.some((s) => /Photoshop|IDimager/.test(s.value)));
  });
});

describe('ExifTool dump', () => {
  const reader = new ExifToolReader();
  after(() => reader.close());
  const reference = sharedFile('cameras/exiftool_ref.json.gz');

  it('agrees with the ExifTool reference dump of the camera corpus, tag by tag', { skip: reference ? false : NO_SHARED }, async (t) => {
    try {
      await reader.version();
    } catch (err) {
      t.skip(`ExifTool cannot run here (${(err as Error).message}): it needs Perl`);
      return;
    }
    const entries = JSON.parse(zlib.gunzipSync(fs.readFileSync(reference!)).toString('utf8')) as Record<string, unknown>[];
    // EXIF proper: the groups whose values must not change between ExifTool releases.
    const groups = new Set(['IFD0', 'ExifIFD', 'GPS', 'IFD1', 'InteropIFD']);
    const wanted = ['Canon_PowerShot-S30/Canon_PowerShot_S30.jpg', 'Nikon_COOLPIX-P6000/ianare_gps__DSCN0010.jpg', 'Fujifilm_FinePix40i/ianare_exif-org__fujifilm-finepix40i.jpg', 'Samsung_SM-J327T1/Samsung_SM-J327T1.jpg', 'Apple_iPhone-4/Apple_iPhone_4.jpg'];
    let compared = 0;
    const mismatches: string[] = [];
    for (const file of wanted) {
      const ref = entries.find((e) => e.SourceFile === `./${file}`);
      const p = path.join(SHARED_DIR!, 'datasets', 'cameras', file);
      if (!ref || !fs.existsSync(p)) continue;
      const dump: ExifToolDump = await reader.dump(fs.readFileSync(p), 'jpg');
      assert.match(dump.exiftoolVersion, /^\d+\.\d+/);
      for (const [key, expected] of Object.entries(ref)) {
        const [group, name] = key.split(':');
        if (!group || !name || !groups.has(group)) continue;
        compared++;
        const actual = dump.tags.find((tag) => tag.group === group && tag.name === name)?.value;
        const same = typeof expected === 'number' ? typeof actual === 'number' && Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)) : String(actual) === String(expected);
        if (!same) mismatches.push(`${file} ${key}: ${JSON.stringify(expected)} vs ${JSON.stringify(actual)}`);
      }
    }
    assert.ok(compared > 200, `${compared} tags compared`);
    // A newer ExifTool may decode a handful of values differently; the EXIF core must agree.
    assert.ok(mismatches.length <= compared * 0.02, mismatches.join('\n'));
  });

  it('reports ExifTool warnings as consistency findings', { skip: sharedFile('cameras/Canon_PowerShot-S330/Canon_PowerShot_S330.jpg') ? false : NO_SHARED }, async (t) => {
    try {
      await reader.version();
    } catch (err) {
      t.skip(`ExifTool cannot run here (${(err as Error).message})`);
      return;
    }
    const bytes = fs.readFileSync(sharedFile('cameras/Canon_PowerShot-S330/Canon_PowerShot_S330.jpg')!);
    const dump = await reader.dump(bytes, 'jpg');
    assert.ok(dump.warnings.some((w) => /maker notes offsets/.test(w)), JSON.stringify(dump.warnings));
    assert.ok(!dump.tags.some((tag) => tag.group === 'System'), 'nothing about the temporary copy');
    const r = await analyzeMetadataConsistency(bytes, { exiftool: dump, now });
    assert.ok(r.summary.findings.some((f) => f.code === 'exiftool-warning' && /maker notes offsets/.test(f.message)));
  });
});
