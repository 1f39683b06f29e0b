import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { analyzeC2pa } from '../../src/main/analysis/c2pa';
import { jpegSegments } from '../../src/main/analysis/jpegSegments';
import { encodeJpeg, naturalImage } from '../fixtures/forgeries';

const fixture = (name: string) => fs.readFileSync(path.join(import.meta.dirname, '../fixtures/c2pa', name));

describe('Content Credentials (C2PA)', () => {
  // Reading must never touch the network: every fetch attempt is recorded and refused.
  const fetched: unknown[] = [];
  const realFetch = globalThis.fetch;
  beforeEach(() => {
    fetched.length = 0;
    globalThis.fetch = ((input: unknown) => {
      fetched.push(input);
      return Promise.reject(new Error('network access attempted'));
    }) as typeof fetch;
  });
  afterEach(() => {
    globalThis.fetch = realFetch;
    assert.deepEqual(fetched, [], 'no network access');
  });

  it('validates a signed file: signer, generator, actions, ingredient; untrusted without a trust list', async () => {
    const r = await analyzeC2pa(fixture('CA.jpg'), 'jpeg');
    const s = r.summary;
    assert.equal(s.state, 'valid');
    assert.equal(s.signatureValid, true);
    assert.equal(s.hashMismatch, false);
    assert.equal(s.trusted, false);
    assert.equal(s.signer?.commonName, 'C2PA Signer');
    assert.equal(s.signer?.issuer, 'C2PA Test Signing Cert');
    assert.match(s.claimGenerator!, /make_test_images/);
    assert.deepEqual(s.actions.map((a) => a.action), ['c2pa.opened', 'c2pa.color_adjustments']);
    assert.equal(s.ingredients.length, 1);
    assert.equal(s.generated, false);
    assert.equal(s.flagged, false);
    assert.match(s.reason, /not on a configured trust list/);
  });

  it('trusts the same signer once its root is configured', async () => {
    const r = await analyzeC2pa(fixture('CA.jpg'), 'jpeg', { trustAnchors: fixture('test_cert_root_bundle.pem').toString('utf8') });
    assert.equal(r.summary.state, 'valid');
    assert.equal(r.summary.trusted, true);
    assert.equal(r.summary.parameters.trustList, 'configured');
  });

  it('reports the pixels changed after signing as a hash mismatch (c2pa-rs fixture)', async () => {
    const r = await analyzeC2pa(fixture('XCA.jpg'), 'jpeg');
    assert.equal(r.summary.state, 'invalid');
    assert.equal(r.summary.hashMismatch, true);
    assert.equal(r.summary.signatureValid, true, 'the signature itself is intact');
    assert.equal(r.summary.flagged, true);
    assert.match(r.summary.reason, /changed after signing/);
  });

  it('reports a hash mismatch when image data of a signed file is altered here', async () => {
    const bytes = Buffer.from(fixture('CA.jpg'));
    const sos = jpegSegments(bytes).find((s) => s.marker === 0xda)!;
    const start = sos.offset + 4 + sos.payload.length + 100;
    for (let i = start; i < start + 16; i++) bytes[i] = 0x00; // entropy-coded data: no marker is created
    const r = await analyzeC2pa(bytes, 'jpeg');
    assert.equal(r.summary.hashMismatch, true);
    assert.ok(r.summary.failures.some((f) => f.code === 'assertion.dataHash.mismatch'));
  });

  it('reports a damaged signature', async () => {
    const r = await analyzeC2pa(fixture('E-sig-CA.jpg'), 'jpeg');
    assert.equal(r.summary.state, 'invalid');
    assert.equal(r.summary.signatureValid, false);
    assert.equal(r.summary.hashMismatch, false);
    assert.match(r.summary.reason, /signature is invalid/);
  });

  it('says a valid manifest declaring generative AI is strong evidence', async () => {
    const r = await analyzeC2pa(fixture('ocsp.jpg'), 'jpeg');
    const s = r.summary;
    assert.equal(s.state, 'valid');
    assert.equal(s.generated, true);
    assert.equal(s.digitalSourceType, 'http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia');
    assert.ok(s.actions.some((a) => a.action === 'c2pa.edited' && a.softwareAgent === 'Adobe Firefly'));
    assert.equal(s.signer?.issuer, 'Adobe Inc.');
    assert.equal(s.flagged, true);
    assert.match(s.reason, /strong evidence that it is AI-generated/);
  });

  it('does not fetch a remote manifest (PNG pointing to a URL) and says so', async () => {
    const r = await analyzeC2pa(fixture('libpng-test_with_url.png'), 'png');
    assert.equal(r.summary.state, 'unreadable');
    assert.match(r.summary.reason, /stored remotely \(http:\/\/localhost:5000\/libpng-test\.c2pa\); they were not fetched/);
  });

  it('says a missing manifest proves nothing', async () => {
    const r = await analyzeC2pa(await encodeJpeg(naturalImage(64, 48, 1), 90), 'jpeg');
    assert.equal(r.summary.state, 'absent');
    assert.equal(r.summary.flagged, false);
    assert.match(r.summary.reason, /proves nothing/);
    assert.equal(r.manifestStore, null);
  });
});
