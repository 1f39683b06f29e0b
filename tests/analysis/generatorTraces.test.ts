import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { analyzeGeneratorTraces, digitalSourceTerm, pngTextChunks } from '../../src/main/analysis/generatorTraces';
import { makeJpegBuffer, makePngBuffer, withPngTextChunk } from '../fixtures/images';
import { naturalImage } from '../fixtures/forgeries';

const A1111 =
  'a lighthouse at dusk, oil painting\nNegative prompt: blurry\nSteps: 30, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 1234, Size: 512x512, Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Version: v1.7.0';
const COMFY_PROMPT = JSON.stringify({ '3': { class_type: 'KSampler', inputs: { seed: 5, steps: 20 } }, '4': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'sdxl.safetensors' } } });

/** A PNG chunk of any type, with its CRC. */
function chunk(type: string, data: Buffer): Buffer {
  const table = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  let crc = 0xffffffff;
  for (const b of body) crc = table[(crc ^ b) & 0xff]! ^ (crc >>> 8);
  const out = Buffer.alloc(8 + data.length + 4);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE((crc ^ 0xffffffff) >>> 0, 8 + data.length);
  return out;
}

function insertBeforeIdat(png: Buffer, extra: Buffer): Buffer {
  const idat = png.indexOf('IDAT', 8, 'latin1') - 4;
  return Buffer.concat([png.subarray(0, idat), extra, png.subarray(idat)]);
}

function xmpWith(description: string): string {
  return (
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
    `<rdf:Description rdf:about="" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" ${description}/>` +
    '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
  );
}

describe('generator traces', () => {
  it('reads Stable Diffusion web UI parameters from a PNG text chunk', async () => {
    const png = withPngTextChunk(await makePngBuffer({ width: 32, height: 32 }), 'parameters', A1111);
    const s = analyzeGeneratorTraces(png);
    assert.equal(s.flagged, true);
    assert.equal(s.traces[0]?.generator, 'AUTOMATIC1111 Stable Diffusion web UI (or a compatible front-end)');
    assert.equal(s.traces[0]?.location, 'PNG text "parameters"');
    assert.ok(s.traces[0]!.excerpt.length <= 200, 'never the whole prompt');
    assert.equal(s.declaredGenerated, false);
  });

  it('reads a ComfyUI workflow, also from compressed (zTXt and iTXt) chunks', async () => {
    const base = await makePngBuffer({ width: 32, height: 32 });
    const ztxt = chunk('zTXt', Buffer.concat([Buffer.from('prompt\0\0', 'latin1'), zlib.deflateSync(Buffer.from(COMFY_PROMPT))]));
    const itxt = chunk('iTXt', Buffer.concat([Buffer.from('workflow\0\x01\0\0\0', 'latin1'), zlib.deflateSync(Buffer.from('{"nodes":[]}'))]));
    const png = insertBeforeIdat(base, Buffer.concat([ztxt, itxt]));
    assert.deepEqual(pngTextChunks(png).map((c) => c.keyword), ['prompt', 'workflow']);
    const s = analyzeGeneratorTraces(png);
    assert.ok(s.traces.length === 2 && s.traces.every((t) => t.generator === 'ComfyUI (node graph)'), JSON.stringify(s.traces));
  });

  it('reads the same parameters from a JPEG EXIF UserComment', async () => {
    const img = naturalImage(32, 32, 1);
    const jpeg = await sharp(img.data, { raw: { width: 32, height: 32, channels: 3 } }).withExif({ IFD2: { UserComment: A1111.replace(/\n/g, ' ') } }).jpeg().toBuffer();
    const s = analyzeGeneratorTraces(jpeg);
    assert.equal(s.traces[0]?.location, 'EXIF UserComment');
    assert.match(s.traces[0]!.generator, /AUTOMATIC1111/);
  });

  it('reads a declared IPTC digital source type: trainedAlgorithmicMedia flags, digitalCapture does not', async () => {
    const img = naturalImage(32, 32, 2);
    const withXmp = (xmp: string) => sharp(img.data, { raw: { width: 32, height: 32, channels: 3 } }).withXmp(xmp).jpeg().toBuffer();
    const ai = analyzeGeneratorTraces(await withXmp(xmpWith('Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"')));
    assert.equal(ai.declaredGenerated, true);
    assert.equal(ai.flagged, true);
    assert.equal(ai.digitalSourceType, 'http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia');
    assert.match(ai.reason, /declares itself AI-generated \(IPTC digital source type "trainedAlgorithmicMedia"/);
    const camera = analyzeGeneratorTraces(await withXmp(xmpWith('Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"')));
    assert.equal(camera.flagged, false);
    assert.match(camera.reason, /a digital capture \(camera\)/);
  });

  it('names a generator in the software field and says absence proves nothing', async () => {
    const named = analyzeGeneratorTraces(await makeJpegBuffer({ width: 32, height: 32, exif: { software: 'Adobe Firefly Image 3' } }));
    assert.equal(named.traces[0]?.location, 'EXIF Software');
    const plain = analyzeGeneratorTraces(await makeJpegBuffer({ width: 32, height: 32, exif: { make: 'Canon', model: 'EOS' } }));
    assert.equal(plain.flagged, false);
    assert.match(plain.reason, /absence proves nothing/);
  });

  it('takes the term from a vocabulary URI', () => {
    assert.equal(digitalSourceTerm('http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia/'), 'compositeWithTrainedAlgorithmicMedia');
    assert.equal(digitalSourceTerm('trainedAlgorithmicMedia'), 'trainedAlgorithmicMedia');
  });
});
