// The robustness sweep as a self-contained SVG (model cards, reports): one panel per
// perturbation (JPEG quality, blur σ, downscale factor), AP as solid lines with dots and accuracy
// at the threshold as dashed lines, one colour per model. No fonts or scripts outside the file.
import type { EvaluatedModel, RobustnessResult } from '../../contract/evaluation';

const PANEL_W = 260;
const PANEL_H = 190;
const MARGIN = { left: 44, right: 14, top: 30, bottom: 40 };
const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const TITLES = { jpeg: 'JPEG quality', blur: 'Gaussian blur σ (px)', downscale: 'Downscale factor' } as const;

export function robustnessSvg(r: RobustnessResult, models: readonly EvaluatedModel[], title = 'Robustness'): string {
  const kinds = (['jpeg', 'blur', 'downscale'] as const).filter((k) => r.levels[k].length > 0);
  const width = kinds.length * (PANEL_W + MARGIN.left + MARGIN.right);
  const legendH = 22 * models.length + 26;
  const height = PANEL_H + MARGIN.top + MARGIN.bottom + legendH + 24;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">${escape(title)}</text>`,
  ];
  kinds.forEach((kind, p) => {
    const ox = p * (PANEL_W + MARGIN.left + MARGIN.right) + MARGIN.left;
    const oy = MARGIN.top + 10;
    const values = r.levels[kind];
    // JPEG quality reads best from 100 down to the lowest, like the others from "no change".
    const ordered = kind === 'jpeg' ? [...values].sort((a, b) => b - a) : kind === 'downscale' ? [...values].sort((a, b) => b - a) : [...values].sort((a, b) => a - b);
    const xAt = (v: number) => {
      const i = ordered.indexOf(v);
      return ox + (ordered.length === 1 ? PANEL_W / 2 : (i * PANEL_W) / (ordered.length - 1));
    };
    const yAt = (v: number) => oy + PANEL_H - v * PANEL_H;
    parts.push(`<rect x="${ox}" y="${oy}" width="${PANEL_W}" height="${PANEL_H}" fill="none" stroke="#999"/>`);
    for (const t of [0, 0.25, 0.5, 0.75, 1]) {
      parts.push(`<line x1="${ox}" x2="${ox + PANEL_W}" y1="${yAt(t)}" y2="${yAt(t)}" stroke="#e5e5e5"/>`);
      parts.push(`<text x="${ox - 6}" y="${yAt(t) + 4}" text-anchor="end">${t.toFixed(2)}</text>`);
    }
    for (const v of ordered) parts.push(`<text x="${xAt(v)}" y="${oy + PANEL_H + 16}" text-anchor="middle">${v}</text>`);
    parts.push(`<text x="${ox + PANEL_W / 2}" y="${oy + PANEL_H + 32}" text-anchor="middle">${escape(TITLES[kind])}</text>`);
    models.forEach((m, mi) => {
      const curve = r.curves.find((c) => c.kind === kind && c.modelId === m.id);
      if (!curve) return;
      const colour = COLOURS[mi % COLOURS.length];
      const pts = ordered.map((v) => curve.points.find((pt) => pt.value === v)).filter((pt) => pt !== undefined);
      const path = (key: 'ap' | 'accuracy') =>
        pts
          .filter((pt) => pt[key] !== null)
          .map((pt, i) => `${i === 0 ? 'M' : 'L'}${xAt(pt.value).toFixed(1)},${yAt(pt[key]!).toFixed(1)}`)
          .join(' ');
      parts.push(`<path d="${path('ap')}" fill="none" stroke="${colour}" stroke-width="2"/>`);
      parts.push(`<path d="${path('accuracy')}" fill="none" stroke="${colour}" stroke-width="1.5" stroke-dasharray="5,3"/>`);
      for (const pt of pts) if (pt.ap !== null) parts.push(`<circle cx="${xAt(pt.value).toFixed(1)}" cy="${yAt(pt.ap).toFixed(1)}" r="2.8" fill="${colour}"><title>${escape(`${m.id}, ${TITLES[kind]} ${pt.value}: AP ${pt.ap.toFixed(3)}, accuracy ${pt.accuracy?.toFixed(3) ?? 'n/a'} (n = ${pt.n})`)}</title></circle>`);
    });
  });
  const ly = MARGIN.top + PANEL_H + MARGIN.bottom + 24;
  models.forEach((m, mi) => {
    const colour = COLOURS[mi % COLOURS.length];
    const y = ly + mi * 22;
    parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + 26}" y1="${y}" y2="${y}" stroke="${colour}" stroke-width="2"/>`);
    parts.push(`<line x1="${MARGIN.left + 32}" x2="${MARGIN.left + 58}" y1="${y}" y2="${y}" stroke="${colour}" stroke-width="1.5" stroke-dasharray="5,3"/>`);
    parts.push(`<text x="${MARGIN.left + 66}" y="${y + 4}">${escape(`${m.id} ${m.version}: AP (solid), accuracy at the evaluation's threshold (dashed)`)}</text>`);
  });
  parts.push(`<text x="${MARGIN.left}" y="${ly + models.length * 22 + 6}" fill="#555">Perturbations applied in memory to the decoded pixels before the model's preprocessing.</text>`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
