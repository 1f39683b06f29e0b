// Review shortcuts: one table drives both the key handler and the help overlay, so what the
// overlay says is what the keys do.
import type { Verdict } from '../../contract/case';

export type ShortcutAction =
  | { kind: 'next' }
  | { kind: 'previous' }
  | { kind: 'verdict'; verdict: Verdict }
  | { kind: 'flag' }
  | { kind: 'retrainFlag' }
  | { kind: 'notes' }
  | { kind: 'toggleEla' }
  | { kind: 'sideBySide' }
  | { kind: 'toggleHeatmap' }
  | { kind: 'zoomIn' }
  | { kind: 'zoomOut' }
  | { kind: 'fit' }
  | { kind: 'pan'; dx: number; dy: number }
  | { kind: 'back' }
  | { kind: 'help' };

export interface Shortcut {
  keys: string[];
  /** Arrow keys mean one thing alone and another with Shift; other keys ignore Shift ('?', '+'). */
  shift?: boolean;
  /** How the keys are shown in the help overlay. */
  label: string;
  description: string;
  action: ShortcutAction;
}

export const SHORTCUTS: readonly Shortcut[] = [
  { keys: ['j', 'ArrowRight'], shift: false, label: 'j / →', description: 'Next item', action: { kind: 'next' } },
  { keys: ['k', 'ArrowLeft'], shift: false, label: 'k / ←', description: 'Previous item', action: { kind: 'previous' } },
  { keys: ['1'], label: '1', description: 'Verdict: authentic', action: { kind: 'verdict', verdict: 'authentic' } },
  { keys: ['2'], label: '2', description: 'Verdict: manipulated', action: { kind: 'verdict', verdict: 'manipulated' } },
  { keys: ['3'], label: '3', description: 'Verdict: generated', action: { kind: 'verdict', verdict: 'generated' } },
  { keys: ['4'], label: '4', description: 'Verdict: inconclusive', action: { kind: 'verdict', verdict: 'inconclusive' } },
  { keys: ['f'], label: 'f', description: 'Review: flag the item for the case (reports and the "flagged" filter)', action: { kind: 'flag' } },
  { keys: ['r'], label: 'r', description: 'Evaluation: flag the image for retraining (a different list)', action: { kind: 'retrainFlag' } },
  { keys: ['n'], label: 'n', description: 'Write notes (Ctrl+Enter saves)', action: { kind: 'notes' } },
  { keys: ['e'], label: 'e', description: 'Toggle ELA overlay', action: { kind: 'toggleEla' } },
  { keys: ['s'], label: 's', description: 'Side-by-side ELA', action: { kind: 'sideBySide' } },
  { keys: ['m'], label: 'm', description: "Toggle a model's tamper heatmap", action: { kind: 'toggleHeatmap' } },
  { keys: ['+', '='], label: '+', description: 'Zoom in', action: { kind: 'zoomIn' } },
  { keys: ['-'], label: '−', description: 'Zoom out', action: { kind: 'zoomOut' } },
  { keys: ['0'], label: '0', description: 'Fit the image', action: { kind: 'fit' } },
  { keys: ['ArrowLeft'], shift: true, label: 'Shift+←', description: 'Pan left', action: { kind: 'pan', dx: 1, dy: 0 } },
  { keys: ['ArrowRight'], shift: true, label: 'Shift+→', description: 'Pan right', action: { kind: 'pan', dx: -1, dy: 0 } },
  { keys: ['ArrowUp'], shift: true, label: 'Shift+↑', description: 'Pan up', action: { kind: 'pan', dx: 0, dy: 1 } },
  { keys: ['ArrowDown'], shift: true, label: 'Shift+↓', description: 'Pan down', action: { kind: 'pan', dx: 0, dy: -1 } },
  { keys: ['Escape'], label: 'Esc', description: 'Back to the gallery', action: { kind: 'back' } },
  { keys: ['?'], label: '?', description: 'Show or hide this help', action: { kind: 'help' } },
];

const TEXT_INPUT_TYPES = new Set(['text', 'search', 'email', 'number', 'password', 'tel', 'url', 'date', 'datetime-local', 'month', 'time', 'week']);

/**
 * True when the key belongs to the focused control rather than to the shortcuts: text fields,
 * text areas, selects and editable content take every key; a slider keeps its arrow keys.
 */
export function keyBelongsToControl(event: KeyboardEvent): boolean {
  const target = event.target;
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) {
    if (TEXT_INPUT_TYPES.has(target.type)) return true;
    if (target.type === 'range') return event.key.startsWith('Arrow') || event.key === 'Home' || event.key === 'End';
  }
  return false;
}

/** The shortcut a key press means, or null (modified keys are left to the browser). */
export function shortcutFor(event: KeyboardEvent): ShortcutAction | null {
  if (event.ctrlKey || event.metaKey || event.altKey) return null;
  if (keyBelongsToControl(event)) return null;
  const shortcut = SHORTCUTS.find((s) => s.keys.includes(event.key) && (s.shift === undefined || s.shift === event.shiftKey));
  return shortcut ? shortcut.action : null;
}

/** What an image viewer does for the zoom and pan shortcuts (shared by every view that shows one). */
export interface ZoomableViewer {
  zoom(factor: number): void;
  fit(): void;
  pan(dx: number, dy: number): void;
}

/** Applies a zoom/pan shortcut to `viewer`; false when `action` is not one of them. */
export function applyViewerShortcut(viewer: ZoomableViewer | undefined, action: ShortcutAction): boolean {
  switch (action.kind) {
    case 'zoomIn':
      viewer?.zoom(1.25);
      return true;
    case 'zoomOut':
      viewer?.zoom(0.8);
      return true;
    case 'fit':
      viewer?.fit();
      return true;
    case 'pan':
      viewer?.pan(action.dx, action.dy);
      return true;
    default:
      return false;
  }
}
