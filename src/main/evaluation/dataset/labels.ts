import type { Label } from '../../../contract/evaluation';

/** Words a CSV manifest may use for a label (case-insensitive). */
export const CSV_LABELS: Readonly<Record<string, Label>> = {
  '0': 0,
  real: 0,
  authentic: 0,
  '1': 1,
  fake: 1,
  manipulated: 1,
  generated: 1,
};

/** The accepted words in the order messages list them. */
export const CSV_LABEL_WORDS = ['0', '1', 'real', 'fake', 'authentic', 'manipulated', 'generated'] as const;

export function parseLabel(value: string): Label | null {
  const key = value.trim().toLowerCase();
  return Object.hasOwn(CSV_LABELS, key) ? CSV_LABELS[key] : null;
}

/** CNNDetection / ForenSynths label folders. */
export function cnnDetectionLabel(folderName: string): Label | null {
  const name = folderName.toLowerCase();
  return name === '0_real' ? 0 : name === '1_fake' ? 1 : null;
}

/** Generic label folders: real/authentic vs fake/manipulated/generated. */
export function genericLabel(folderName: string): Label | null {
  const name = folderName.toLowerCase();
  if (name === 'real' || name === 'authentic') return 0;
  if (name === 'fake' || name === 'manipulated' || name === 'generated') return 1;
  return null;
}

/** The kind of fake a label word names ("generated", "manipulated"), or undefined for "fake"/"1". */
export function taskOfLabelWord(value: string): 'generated' | 'manipulated' | undefined {
  const key = value.trim().toLowerCase();
  return key === 'generated' ? 'generated' : key === 'manipulated' ? 'manipulated' : undefined;
}
