// The one media URL definition: what the preload and the HTTP client build, the Electron
// protocol and the test server parse back to the same reference; anything else names nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { electronMediaUrl, httpMediaUrl, mediaPath, parseMediaPath, parseMediaUrl, type MediaRef } from '../../src/contract/media';

const REFS: MediaRef[] = [
  { kind: 'original', evidenceId: 12 },
  { kind: 'thumb', evidenceId: 12 },
  { kind: 'thumb', evidenceId: 12, rev: 0 },
  { kind: 'thumb', evidenceId: 2_147_483_647, rev: 9_007_199_254_740_991 },
  { kind: 'ela', evidenceId: 3, quality: 90 },
  { kind: 'ela-preview', evidenceId: 3, quality: 1 },
  { kind: 'localization', evidenceId: 5, model: 'manipulation-ela-mnv2' },
  { kind: 'localization', evidenceId: 5, model: 'manipulation-ela-mnv2@0bc2d70658e5' },
  { kind: 'evaluation-thumb', evaluationId: '0b8c5f0e-6a3e-4c55-9f0d-1c2b3a4d5e6f', item: 0 },
  { kind: 'evaluation-original', evaluationId: '0b8c5f0e-6a3e-4c55-9f0d-1c2b3a4d5e6f', item: 41 },
];

test('both shells build and parse the same paths: every reference survives the round trip', () => {
  for (const ref of REFS) {
    assert.deepEqual(parseMediaUrl(electronMediaUrl(ref)), ref, electronMediaUrl(ref));
    assert.deepEqual(parseMediaUrl(httpMediaUrl('http://127.0.0.1:5174', ref)), ref);
    const url = new URL(httpMediaUrl('http://x', ref));
    assert.deepEqual(parseMediaPath(url.pathname.slice('/media'.length), url.searchParams), ref);
  }
  assert.equal(electronMediaUrl({ kind: 'ela', evidenceId: 7, quality: 75 }), 'evidence://media/evidence/7/ela/75');
  assert.equal(httpMediaUrl('', { kind: 'thumb', evidenceId: 7, rev: 3 }), '/media/evidence/7/thumb?rev=3');
  assert.equal(electronMediaUrl({ kind: 'localization', evidenceId: 7, model: 'm.v2@ab12' }), 'evidence://media/evidence/7/localization/m.v2%40ab12');
  assert.equal(mediaPath({ kind: 'evaluation-original', evaluationId: REFS[8].kind === 'evaluation-thumb' ? REFS[8].evaluationId : '', item: 2 }), 'evaluation/0b8c5f0e-6a3e-4c55-9f0d-1c2b3a4d5e6f/2/original');
});

test('anything else names no media: bad numbers, traversal, extra parts, foreign hosts, the old ?v= form', () => {
  for (const url of [
    'evidence://media/evidence/0/original',
    'evidence://media/evidence/-1/original',
    'evidence://media/evidence/1e3/original',
    'evidence://media/evidence/01/original',
    'evidence://media/evidence/2147483648/original',
    'evidence://media/evidence/1/ela/0',
    'evidence://media/evidence/1/ela/101',
    'evidence://media/evidence/1/ela',
    'evidence://media/evidence/1/original?v=90',
    'evidence://media/evidence/1/thumb?rev=x',
    'evidence://media/evidence/1/thumb?rev=1&v=2',
    'evidence://media/evidence/1/original/extra',
    'evidence://media/evidence/1/localization',
    'evidence://media/evidence/1/localization/Model-Upper',
    'evidence://media/evidence/1/localization/m@XYZ',
    'evidence://media/evidence/1/localization/m@ab@cd',
    'evidence://media/evidence/1/localization/..%2F..%2Fetc',
    'evidence://media/evidence/1/localization/%E0%A4%A',
    'evidence://media/evidence/1/localization/m?v=1',
    'evidence://media/evidence/1/localization/m/extra',
    'evidence://media/evidence/1/../../etc/passwd',
    'evidence://media/evidence/1/%2e%2e',
    'evidence://media/evaluation/not-a-uuid/0/thumb',
    'evidence://media/evaluation/0b8c5f0e-6a3e-4c55-9f0d-1c2b3a4d5e6f/0/heatmap',
    'evidence://12/original',
    'evidence://eval/0b8c5f0e-6a3e-4c55-9f0d-1c2b3a4d5e6f/0/thumb',
    'file:///etc/passwd',
    'http://127.0.0.1:5174/api/evidence/1/original',
    'not a url',
  ]) {
    assert.equal(parseMediaUrl(url), null, url);
  }
});
