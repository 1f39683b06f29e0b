// Scores as the gallery shows them: one per task (generated, manipulated, face), never the
// highest of all models mixed together (a manipulation detector's score says nothing about
// generation). Within a task, a real detector wins over a test fixture, then the highest score.
import type { ModelScore } from '../../contract/evidence';

export const TASK_ORDER = ['generated', 'manipulated', 'face'] as const;
export const TASK_SHORT: Record<string, string> = { generated: 'GEN', manipulated: 'MAN', face: 'FACE' };
export const TASK_LABEL: Record<string, string> = { generated: 'AI-generated', manipulated: 'manipulated', face: 'face swap' };

export function taskScores<S extends Pick<ModelScore, 'task' | 'score' | 'fixture'>>(scores: readonly S[]): S[] {
  const best = new Map<string, S>();
  for (const s of scores) {
    const current = best.get(s.task);
    const better = !current || (current.fixture && !s.fixture) || (current.fixture === s.fixture && s.score > current.score);
    if (better) best.set(s.task, s);
  }
  const rank = (task: string) => {
    const i = (TASK_ORDER as readonly string[]).indexOf(task);
    return i < 0 ? TASK_ORDER.length : i;
  };
  return [...best.values()].sort((a, b) => rank(a.task) - rank(b.task) || (a.task < b.task ? -1 : 1));
}
