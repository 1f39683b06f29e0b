// The false positives and false negatives of one model at a threshold: shared by the engine
// (saved with an evaluation) and the renderer (recomputed live as the threshold moves).
import type { Label, MistakePick } from '../contract/evaluation';

/** One scored image as the model evaluation sees it; `item` indexes EvaluationResult.items. */
export interface ScoredItem {
  item: number;
  path: string;
  label: Label;
  source: string;
  score: number;
}

/** Real images at or above the threshold, highest first; fakes below it, lowest first; ties by path. */
export function mistakes(scored: readonly ScoredItem[], threshold: number): { falsePositives: MistakePick[]; falseNegatives: MistakePick[] } {
  const pick = (s: ScoredItem): MistakePick => ({ item: s.item, path: s.path, source: s.source, score: s.score });
  const byPath = (a: ScoredItem, b: ScoredItem) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  return {
    falsePositives: scored.filter((s) => s.label === 0 && s.score >= threshold).sort((a, b) => b.score - a.score || byPath(a, b)).map(pick),
    falseNegatives: scored.filter((s) => s.label === 1 && s.score < threshold).sort((a, b) => a.score - b.score || byPath(a, b)).map(pick),
  };
}
