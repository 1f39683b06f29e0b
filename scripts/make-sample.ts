// `npm run sample [-- DIR]`: a small folder to try the CLI and the app on (default ./sample):
// a dozen generated photos (some re-saved at other JPEG qualities, one with a pasted region,
// one tagged as edited), one example that each forensic analysis catches (forensics/, see
// forensics/README.txt) and the bad inputs the engine must report (empty, truncated, text named
// .jpg, a PNG header claiming 50,000×50,000 pixels, CMYK, 16-bit, animated GIF, ...).
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { jpegSegments } from '../src/main/analysis/jpegSegments';
import {
  addNoise,
  clone,
  decode,
  encodeJpeg,
  fractalImage,
  mostTextured,
  naturalImage,
  paste,
  pasteRotated,
} from '../tests/fixtures/forgeries';
import { makeBadFiles, makeJpeg, makeJpegBuffer, makeNaturalPixels, makePngBuffer, withPngTextChunk } from '../tests/fixtures/images';

const dir = resolve(process.argv[2] ?? 'sample');
rmSync(dir, { recursive: true, force: true });
mkdirSync(join(dir, 'photos'), { recursive: true });
for (let i = 0; i < 10; i++) {
  await makeJpeg(join(dir, 'photos', `photo-${String(i + 1).padStart(2, '0')}.jpg`), { width: 1024, height: 768, seed: i + 1, quality: [95, 90, 85, 75][i % 4] });
}
await makeJpeg(join(dir, 'photos', 'edited.jpg'), { width: 800, height: 600, seed: 42, quality: 88, exif: { software: 'Adobe Photoshop 25.0' } });

// A splice: a never-compressed patch pasted into a twice-compressed photo, saved losslessly.
const base = await sharp(await sharp(await makeJpegBuffer({ width: 800, height: 600, seed: 7, quality: 70 })).jpeg({ quality: 70 }).toBuffer()).raw().toBuffer();
const patch = makeNaturalPixels(200, 160, 99);
for (let y = 0; y < 160; y++) patch.copy(base, ((220 + y) * 800 + 300) * 3, y * 200 * 3, (y + 1) * 200 * 3);
await sharp(base, { raw: { width: 800, height: 600, channels: 3 } }).png().toFile(join(dir, 'photos', 'spliced.png'));

await makeForensicExamples(join(dir, 'forensics'));
await makeBadFiles(join(dir, 'problem-files'));
console.log(`sample written to ${dir}\ntry: npx provenance analyze ${dir} --out ${dir}-results.jsonl`);

/** One file per forensic analysis, each made the way a forger (or a generator) would. */
async function makeForensicExamples(out: string): Promise<void> {
  mkdirSync(out, { recursive: true });
  const notes: string[] = ['One example per forensic analysis (issue 14); the analysis that catches it and how:', ''];
  const note = (file: string, analysis: string, what: string) => notes.push(`${file}\n  ${analysis}: ${what}\n`);

  // Noise: a region of a noisier picture pasted into a JPEG photo.
  const host = await decode(await encodeJpeg(naturalImage(640, 480, 11), 90));
  const donor = naturalImage(640, 480, 12);
  addNoise(donor, { x: 200, y: 10, width: 128, height: 96 }, 6, 3);
  paste(host, donor, { x: 200, y: 10, width: 128, height: 96 }, { x: 400, y: 260 });
  writeFileSync(join(out, 'noise-splice.jpg'), await encodeJpeg(host, 92));
  note('noise-splice.jpg', 'noise', 'the 128×96 area at 400,260 is about 8× noisier than the rest');

  // JPEG ghost: a patch saved at quality 60 pasted back into the picture, saved at 90.
  const scene = naturalImage(512, 384, 9);
  const low = await decode(await encodeJpeg(scene, 60));
  const ghost = clone(scene);
  paste(ghost, low, { x: 256, y: 128, width: 128, height: 128 }, { x: 256, y: 128 });
  writeFileSync(join(out, 'ghost-q60-in-q90.jpg'), await encodeJpeg(ghost, 90));
  note('ghost-q60-in-q90.jpg', 'ghosts', 'the area at 256,128 dips at about quality 60; the file was last saved at 90');

  // Double JPEG: saved at 70, an uncompressed area pasted in, saved at 90.
  const first = await decode(await encodeJpeg(naturalImage(512, 384, 6), 70));
  paste(first, fractalImage(512, 384, 2), { x: 203, y: 117, width: 160, height: 144 }, { x: 203, y: 117 });
  writeFileSync(join(out, 'double-jpeg-70-90.jpg'), await encodeJpeg(first, 90));
  note('double-jpeg-70-90.jpg', 'doubleJpeg', 'double compression (first at about 70), with the pasted area at 203,117 singly compressed');

  // Grid: a JPEG cropped by 3 columns and 5 rows, saved losslessly.
  const gridJpeg = await encodeJpeg(naturalImage(512, 384, 4), 75);
  await sharp(gridJpeg).extract({ left: 3, top: 5, width: 509, height: 379 }).png().toFile(join(out, 'cropped-3-5.png'));
  note('cropped-3-5.png', 'grid', 'the 8×8 JPEG grid is offset by (3, 5)');

  // Copy-move: an area cloned elsewhere, and one cloned with a 15° rotation and ×1.1 scale.
  const texture = fractalImage(640, 480, 31);
  const src = mostTextured(texture, 96, { x: 16, y: 16, width: 288, height: 448 });
  const cloned = clone(texture);
  paste(cloned, texture, { ...src, width: 96, height: 96 }, { x: 504, y: 354 });
  writeFileSync(join(out, 'clone.jpg'), await encodeJpeg(cloned, 90));
  note('clone.jpg', 'copyMove', `the 96×96 area at ${src.x},${src.y} reappears at 504,354`);
  const rotated = clone(fractalImage(640, 480, 32));
  const centre = mostTextured(rotated, 112, { x: 16, y: 16, width: 288, height: 448 });
  pasteRotated(rotated, { x: centre.x + 56, y: centre.y + 56 }, 56, 15, 1.1, { x: 524, y: 374 });
  writeFileSync(join(out, 'clone-rotated.jpg'), await encodeJpeg(rotated, 90));
  note('clone-rotated.jpg', 'copyMove', 'a disc cloned with a 15° rotation and ×1.1 scale, centred at 524,374');

  // Quantisation tables: mozjpeg's tables in a file whose EXIF names a camera.
  writeFileSync(join(out, 'mozjpeg-tables.jpg'), await makeJpegBuffer({ width: 640, height: 480, seed: 14, quality: 82, mozjpeg: true, exif: { make: 'Canon', model: 'Canon EOS 5D' } }));
  note('mozjpeg-tables.jpg', 'quantTables', 'the tables are mozjpeg\'s (quality 82), which no Canon camera writes');

  // Thumbnail: the picture edited after the EXIF thumbnail was written.
  const original = await makeJpegBuffer({ width: 640, height: 480, seed: 3, quality: 90, embedThumbnail: true, exif: { make: 'Canon', model: 'PowerShot' } });
  const pixels = await decode(original);
  for (let y = 300; y < 420; y++) for (let x = 400; x < 560; x++) pixels.data.set([240, 40, 30], (y * 640 + x) * 3);
  const reencoded = await encodeJpeg(pixels, 90);
  const app1 = jpegSegments(original).find((seg) => seg.marker === 0xe1)!;
  writeFileSync(join(out, 'thumbnail-mismatch.jpg'), Buffer.concat([reencoded.subarray(0, 2), original.subarray(app1.offset, app1.offset + 4 + app1.payload.length), reencoded.subarray(2)]));
  note('thumbnail-mismatch.jpg', 'thumbnail', 'the EXIF thumbnail still shows the picture without the red rectangle at 400,300');

  // Metadata: modified before it was taken.
  writeFileSync(join(out, 'dates-out-of-order.jpg'), await makeJpegBuffer({ width: 640, height: 480, seed: 15, quality: 90, exif: { make: 'NIKON CORPORATION', model: 'NIKON D750', dateTimeOriginal: '2024:05:01 10:00:00', modifyDate: '2023:01:01 09:00:00' } }));
  note('dates-out-of-order.jpg', 'metadataConsistency', 'the modify date is before the date taken');

  // Content Credentials: real c2pa-rs test files (see tests/fixtures/c2pa/README.md).
  const c2pa = join(import.meta.dirname, '..', 'tests', 'fixtures', 'c2pa');
  copyFileSync(join(c2pa, 'ocsp.jpg'), join(out, 'c2pa-firefly-composite.jpg'));
  note('c2pa-firefly-composite.jpg', 'c2pa', 'valid Content Credentials (Adobe) declaring generative-AI content (compositeWithTrainedAlgorithmicMedia)');
  copyFileSync(join(c2pa, 'XCA.jpg'), join(out, 'c2pa-edited-after-signing.jpg'));
  note('c2pa-edited-after-signing.jpg', 'c2pa', 'the pixels were changed after signing: content hash mismatch');

  // Generator traces: Stable Diffusion web UI parameters in a PNG text chunk.
  const sd = withPngTextChunk(
    await makePngBuffer({ width: 512, height: 512, seed: 16 }),
    'parameters',
    'a lighthouse at dusk, oil painting\nSteps: 30, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 1234, Size: 512x512, Model: v1-5-pruned-emaonly, Version: v1.7.0',
  );
  writeFileSync(join(out, 'stable-diffusion.png'), sd);
  note('stable-diffusion.png', 'generatorTraces', 'AUTOMATIC1111 parameters in the "parameters" text chunk');

  writeFileSync(join(out, 'README.txt'), notes.join('\n'));
}
