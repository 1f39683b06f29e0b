import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, describe, it } from 'node:test';
import sharp, { type JpegOptions } from 'sharp';
import { ExifToolReader } from '../../src/main/analysis/exiftool';
import { analyzeQuantTables, jpegDigest, loadDigestDatabase, scaleTable, TABLE_FAMILIES } from '../../src/main/analysis/quantTables';
import { encodePng, naturalImage, NO_SHARED, sharedFile } from '../fixtures/forgeries';

const picture = naturalImage(160, 120, 21);
const encode = (options: JpegOptions) =>
  sharp(picture.data, { raw: { width: 160, height: 120, channels: 3 } }).jpeg(options).toBuffer();

describe('quantisation-table fingerprint', () => {
  for (const quality of [50, 75, 90, 95]) {
    it(`recognises libjpeg's standard tables at quality ${quality}`, async () => {
      const r = analyzeQuantTables(await encode({ quality, mozjpeg: false }));
      assert.equal(r.summary.status, 'ok');
      assert.deepEqual(r.summary.matches[0], { source: 'IJG libjpeg (standard Annex K tables)', setting: `quality ${quality}`, kind: 'exact' });
      assert.equal(r.summary.nearestIjgQuality, quality);
      assert.equal(r.summary.flagged, false);
      assert.match(r.summary.reason, /do not identify one program/);
    });
  }

  it("recognises mozjpeg's default table (sharp's mozjpeg option) and does not call it libjpeg", async () => {
    const r = analyzeQuantTables(await encode({ quality: 80, mozjpeg: true }));
    assert.equal(r.summary.fingerprint, 'mozjpeg default (table 3, N. Robidoux for ImageMagick), quality 80');
    assert.ok(!r.summary.matches.some((m) => m.source.startsWith('IJG')), JSON.stringify(r.summary.matches));
    assert.ok(r.summary.ijgDistance > 0.05, 'the tables are not scaled Annex K tables');
  });

  it('recognises the other libjpeg-turbo/mozjpeg table sets by index', async () => {
    const r = analyzeQuantTables(await encode({ quality: 70, quantisationTable: 5 }));
    assert.equal(r.summary.matches[0]?.source, TABLE_FAMILIES[5]!.source);
    assert.equal(r.summary.matches[0]?.setting, 'quality 70');
  });

  it('scales tables exactly as libjpeg (quality 10 → scale 500%, clamped to 255)', () => {
    const t = scaleTable(TABLE_FAMILIES[0]!.luminance, 10);
    assert.equal(t[0], 80); // 16 × 5
    assert.equal(t[63], 255); // 99 × 5 clamped
    assert.deepEqual(scaleTable(TABLE_FAMILIES[0]!.luminance, 100), new Array(64).fill(1));
  });

  it('does not apply to a PNG', async () => {
    const r = analyzeQuantTables(await encodePng(picture));
    assert.equal(r.summary.status, 'not-applicable');
    assert.equal(r.summary.flagged, false);
  });

  const photoshop = sharedFile('cameras/_edited_software/Issue_80.jpg');
  const canon = sharedFile('cameras/Canon_PowerShot-S30/Canon_PowerShot_S30.jpg');
  it('names Photoshop tables and flags them; names a camera and checks it against the EXIF make', { skip: !photoshop || !canon ? NO_SHARED : false }, () => {
    assert.ok(loadDigestDatabase()!.size > 2000, 'the ExifTool digest database is readable');
    const ps = analyzeQuantTables(fs.readFileSync(photoshop!), { claimed: { make: 'Canon' } });
    assert.match(ps.summary.fingerprint, /^Adobe Photoshop, Quality \d+$/);
    assert.equal(ps.summary.flagged, true);
    assert.match(ps.summary.reason, /last saved by that software, although its EXIF names a Canon camera/);
    const cam = analyzeQuantTables(fs.readFileSync(canon!), { claimed: { make: 'Canon' } });
    assert.equal(cam.summary.fingerprint, 'Canon PowerShot, Fine');
    assert.equal(cam.summary.flagged, false);
    const lying = analyzeQuantTables(fs.readFileSync(canon!), { claimed: { make: 'NIKON CORPORATION' } });
    assert.equal(lying.summary.flagged, true);
    assert.match(lying.summary.reason, /disagree about the camera/);
  });

  const reader = new ExifToolReader();
  after(() => reader.close());
  const digestFiles = [canon, photoshop, sharedFile('cameras/Nikon_COOLPIX-P6000/ianare_gps__DSCN0010.jpg')].filter((f): f is string => f !== null);
  it("computes ExifTool's JPEGDigest exactly", { skip: digestFiles.length === 0 ? NO_SHARED : false }, async (t) => {
    try {
      await reader.version();
    } catch (err) {
      t.skip(`ExifTool cannot run here (${(err as Error).message}): it needs Perl`);
      return;
    }
    const files = [...digestFiles.map((f) => fs.readFileSync(f)), await encode({ quality: 90, mozjpeg: false })];
    for (const bytes of files) {
      const dump = await reader.dump(bytes, 'jpg');
      const theirs = dump.tags.find((tag) => tag.name === 'JPEGDigest')?.value;
      assert.equal(jpegDigest(bytes, loadDigestDatabase()).digest, theirs);
    }
  });
});
