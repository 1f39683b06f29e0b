// "What does this score mean?": one click on any score opens one explanation (ScoreExplainer,
// mounted once by App.svelte) next to it, outside any clipping container.
import type { ModelScore } from '../../contract/evidence';

export type ExplainedScore = Pick<ModelScore, 'modelId' | 'score' | 'threshold' | 'fixture' | 'task'> & { modelVersion?: string };

class ScoreExplain {
  open = $state.raw<{ score: ExplainedScore; anchor: { left: number; top: number; bottom: number } } | null>(null);

  show(score: ExplainedScore, anchor: HTMLElement): void {
    const r = anchor.getBoundingClientRect();
    this.open = { score, anchor: { left: r.left, top: r.top, bottom: r.bottom } };
  }

  close(): void {
    this.open = null;
  }
}

export const scoreExplain = new ScoreExplain();
