// chart.js with only the pieces the evaluation charts use (line charts on linear axes), so the
// bundle leaves the rest out, and defaults that suit the dark theme.
import { Chart, Legend, LinearScale, LineController, LineElement, PointElement, ScatterController, Tooltip } from 'chart.js';

Chart.register(LineController, ScatterController, LineElement, PointElement, LinearScale, Legend, Tooltip);
Chart.defaults.color = '#a0a0a0';
Chart.defaults.borderColor = '#333';
Chart.defaults.font.family = "system-ui, 'Segoe UI', 'DejaVu Sans', sans-serif";

/** One colour per model, the same in every chart and table of an evaluation. */
export const SERIES_COLOURS = ['#5b9cf0', '#e7b447', '#6cc38a', '#c99cf5', '#f2665a', '#4fc1c9', '#d98c5f', '#b8b8b8', '#8fa8ff', '#e88bc4'];

export function seriesColour(index: number): string {
  return SERIES_COLOURS[index % SERIES_COLOURS.length];
}

export { Chart };
export type { ChartDataset, ChartOptions } from 'chart.js';
