// `npm run sample [-- DIR]`: a small folder to try the CLI and the app on (default ./sample):
// a dozen generated photos (some re-saved at other JPEG qualities, one with a pasted region,
// one tagged as edited) and the bad inputs the engine must report (empty, truncated, text named
// .jpg, a PNG header claiming 50,000×50,000 pixels, CMYK, 16-bit, animated GIF, ...).
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { makeBadFiles, makeJpeg, makeJpegBuffer, makeNaturalPixels } from '../tests/fixtures/images';

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

await makeBadFiles(join(dir, 'problem-files'));
console.log(`sample written to ${dir}\ntry: npx provenance analyze ${dir} --out ${dir}-results.jsonl`);
