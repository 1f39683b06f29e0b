import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { analyzeDoubleJpeg } from '../../src/main/analysis/doubleJpeg';
import type { DecodedImage } from '../../src/main/ingest/decoded';
import { coverage } from '../../src/main/analysis/maps';
import { cameraOriginals, decode, encodeJpeg, encodePng, naturalImage, NO_SHARED, paste, sharedFile } from '../fixtures/forgeries';

async function doubleCompressed(image: DecodedImage, first: number, second: number): Promise<Buffer> {
  return encodeJpeg(await decode(await encodeJpeg(image, first)), second);
}

describe('double JPEG compression', () => {
  const scans = ['1.tif', '12.tif', '14.tif'].map((f) => sharedFile(`photos/mcmaster18/${f}`)).filter((f): f is string => f !== null);

  it('tells single- from double-compressed versions of the same photographs', { skip: scans.length === 0 ? NO_SHARED : false }, async () => {
    for (const scan of scans) {
      const photo = await decode(scan);
      for (const [first, second] of [[70, 90], [85, 90], [60, 75]] as const) {
        const single = analyzeDoubleJpeg(await encodeJpeg(photo, second));
        const double = analyzeDoubleJpeg(await doubleCompressed(photo, first, second));
        assert.equal(single.summary.flagged, false, `${scan} single q${second}: ${single.summary.reason}`);
        assert.ok(single.summary.probability < 0.1, `single q${second}: ${single.summary.probability}`);
        assert.equal(double.summary.flagged, true, `${scan} q${first}→q${second}: ${double.summary.reason}`);
        assert.ok(double.summary.probability > 0.9);
        // The first quality is read back from the estimated steps (coarse at the small steps of high qualities).
        assert.ok(Math.abs(double.summary.primaryQualityEstimate! - first) <= 3, `first quality of ${scan} q${first}→q${second}: ${double.summary.primaryQualityEstimate}`);
        assert.equal(double.summary.lastQuality, second);
      }
    }
  });

  it('tells them apart on a synthetic scene, and reads the first quantisation steps', async () => {
    const scene = naturalImage(384, 288, 6);
    const single = analyzeDoubleJpeg(await encodeJpeg(scene, 90));
    const double = analyzeDoubleJpeg(await doubleCompressed(scene, 70, 90));
    assert.equal(single.summary.flagged, false, single.summary.reason);
    assert.equal(double.summary.flagged, true, double.summary.reason);
    // The first AC frequency of the libjpeg q=70 luma table has step 7 (q=90: 2).
    const first = double.frequencies[0]!;
    assert.equal(first.q2, 2);
    assert.equal(first.q1, 7);
    assert.ok(first.gain > 10 * Math.max(1e-4, single.frequencies[0]!.gain));
  });

  it('maps the area pasted in after the first compression as singly compressed', { skip: scans.length === 0 ? NO_SHARED : false }, async () => {
    const host = await decode(scans[0]!);
    const donor = await decode(scans[1]!);
    const first = await decode(await encodeJpeg(host, 70));
    const area = { x: 203, y: 117, width: 160, height: 144 };
    paste(first, donor, area, area); // never compressed, off the 8×8 grid
    const r = analyzeDoubleJpeg(await encodeJpeg(first, 90));
    assert.equal(r.summary.flagged, true);
    const region = r.summary.region!;
    assert.ok(coverage(area, region) > 0.8, `the region ${JSON.stringify(region)} covers the pasted area`);
    assert.ok(region.width * region.height < 3 * area.width * area.height, 'and not much more');
    assert.match(r.summary.reason, /lacks that trace/);
  });

  const cameras = cameraOriginals().filter((c) => /Canon_PowerShot_S30\.jpg|DSCN0010|Samsung|HTC|Panasonic|Minolta/.test(c.file));
  it('does not flag camera originals', { skip: cameras.length === 0 ? NO_SHARED : false }, () => {
    for (const c of cameras) {
      const r = analyzeDoubleJpeg(fs.readFileSync(c.path));
      assert.equal(r.summary.flagged, false, `${c.file}: ${r.summary.reason}`);
    }
  });

  it('does not apply to a PNG', async () => {
    const r = analyzeDoubleJpeg(await encodePng(naturalImage(64, 64, 1)));
    assert.equal(r.summary.status, 'not-applicable');
  });
});
