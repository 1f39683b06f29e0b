import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AnalysisId } from '../../src/contract/analyses';
import { ANALYSES, analysisVersions, describeAnalysis } from '../../src/main/analysis';

describe('catalogue of analyses', () => {
  it('lists every analysis once, each with a version, a legend and references', () => {
    const ids: AnalysisId[] = ['noise', 'ghosts', 'doubleJpeg', 'grid', 'copyMove', 'quantTables', 'thumbnail', 'metadataConsistency', 'c2pa', 'generatorTraces'];
    assert.deepEqual(ANALYSES.map((a) => a.id).sort(), [...ids].sort());
    for (const a of ANALYSES) {
      assert.match(a.version, new RegExp(`^${a.id}/\\d+$`));
      assert.ok(a.shows.length > 40 && a.doesNotProve.length > 40, a.id);
      assert.ok(a.references.length > 0, a.id);
      assert.equal(describeAnalysis(a.id), a);
    }
    assert.equal(analysisVersions().split(', ').length, ids.length);
    assert.throws(() => describeAnalysis('ela' as AnalysisId), /Unknown analysis/);
  });
});
