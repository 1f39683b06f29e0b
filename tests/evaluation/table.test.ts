import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Label } from '../../src/contract/evaluation';
import { formatGeneratorTableMarkdown, formatGeneratorTableText, generatorTable } from '../../src/shared/generatorTable';

const row = (source: string, label: Label, score: number) => ({ source, label, score });

// Two generators and one source with fakes only:
//   progan:   real .1 .2 .7 | fake .9 .8 .6  → at .5: TN 2 FP 1, TP 3 FN 0: acc 5/6, real 2/3, fake 1;
//             ranking .9 .8 .7(real) .6 → AP = (1/3)·1 + (1/3)·1 + 0 + (1/3)·(3/4) = 11/12
//   stylegan: real .3 .6 | fake .4 .55    → TN 1 FP 1, TP 1 FN 1: acc 1/2, real 1/2, fake 1/2;
//             ranking .6(real) .55 .4 .3(real): .6 P0 R0; .55 P½ R½; .4 P⅔ R1 → AP = ½·½ + ½·⅔ = 7/12
//   dalle:    fake .7 .2                  → TP 1 FN 1: acc ½, real n/a, fake ½, AP n/a (one class)
const SCORED = [
  row('progan', 0, 0.1), row('progan', 0, 0.2), row('progan', 0, 0.7),
  row('progan', 1, 0.9), row('progan', 1, 0.8), row('progan', 1, 0.6),
  row('stylegan', 0, 0.3), row('stylegan', 0, 0.6), row('stylegan', 1, 0.4), row('stylegan', 1, 0.55),
  row('dalle', 1, 0.7), row('dalle', 1, 0.2),
];

const near = (a: number | null, b: number) => assert.ok(a !== null && Math.abs(a - b) < 1e-12, `expected ${b}, got ${a}`);

describe('per-generator table (Wang et al. 2020 layout)', () => {
  const table = generatorTable(SCORED, 0.5);

  it('has one row per source, in order of first appearance, with n, acc, real acc, fake acc and AP', () => {
    assert.deepEqual(table.rows.map((r) => [r.source, r.n, r.real, r.fake]), [
      ['progan', 6, 3, 3],
      ['stylegan', 4, 2, 2],
      ['dalle', 2, 0, 2],
    ]);
    const [progan, stylegan, dalle] = table.rows;
    near(progan.accuracy, 5 / 6);
    near(progan.realAccuracy, 2 / 3);
    near(progan.fakeAccuracy, 1);
    near(progan.ap, 11 / 12);
    near(stylegan.accuracy, 0.5);
    near(stylegan.ap, 7 / 12);
    near(dalle.accuracy, 0.5);
    assert.equal(dalle.realAccuracy, null);
    assert.equal(dalle.ap, null);
    assert.match(dalle.notes.join(' '), /AP is undefined/);
  });

  it('averages each generator once in the mean row; mAP over the rows whose AP is defined', () => {
    near(table.mean.accuracy, (5 / 6 + 0.5 + 0.5) / 3);
    near(table.mean.realAccuracy, (2 / 3 + 0.5) / 2);
    near(table.mean.fakeAccuracy, (1 + 0.5 + 0.5) / 3);
    near(table.mean.ap, (11 / 12 + 7 / 12) / 2);
    assert.equal(table.mean.rowsWithAp, 2);
    assert.equal(table.mean.rows, 3);
    assert.equal(table.mean.n, 12);
  });

  it('formats to Markdown with percentages, a bold mean row and footnotes', () => {
    const md = formatGeneratorTableMarkdown(table);
    const lines = md.split('\n');
    assert.equal(lines[0], '| Generator | n | Real | Fake | Acc | Real acc | Fake acc | AP |');
    assert.equal(lines[1], '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    assert.equal(lines[2], '| progan | 6 | 3 | 3 | 83.3 | 66.7 | 100.0 | 91.7 |');
    assert.equal(lines[3], '| stylegan | 4 | 2 | 2 | 50.0 | 50.0 | 50.0 | 58.3 |');
    assert.equal(lines[4], '| dalle | 2 | 0 | 2 | 50.0 | n/a | 50.0 | n/a |');
    // Mean: acc (83.33+50+50)/3 = 61.1, real (66.67+50)/2 = 58.3, fake (100+50+50)/3 = 66.7, mAP (91.67+58.33)/2 = 75.0
    assert.equal(lines[5], '| **Mean** | 12 |  |  | 61.1 | 58.3 | 66.7 | **75.0** (mAP) |');
    assert.match(md, /mAP is the mean over the 2 of 3 rows whose AP is defined/);
    assert.match(md, /dalle: AP is undefined/);
  });

  it('formats to an aligned terminal table with the mean row under a rule', () => {
    const text = formatGeneratorTableText(table).split('\n');
    assert.match(text[0], /^Generator\s+n\s+Real\s+Fake\s+Acc\s+Real acc\s+Fake acc\s+AP$/);
    assert.match(text[2], /^progan\s+6\s+3\s+3\s+83\.3\s+66\.7\s+100\.0\s+91\.7$/);
    assert.match(text[5], /^-+/);
    assert.match(text[6], /^Mean\s+12\s+61\.1\s+58\.3\s+66\.7\s+75\.0 mAP$/);
    // Numbers are right-aligned: every data row ends at the same column as the header.
    assert.equal(text[2].length, text[0].length);
  });

  it('refuses an empty input', () => {
    assert.throws(() => generatorTable([], 0.5), /no scored images/);
  });
});
