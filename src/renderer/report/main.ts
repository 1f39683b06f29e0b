// Entry of the report page: reads the ReportData the engine embedded, renders it, and marks the
// document ready once every embedded image has decoded, which is what the printers wait for.
import { flushSync, mount } from 'svelte';
import type { ReportData } from '../../contract/report';
import Report from './Report.svelte';
import './report.css';

const target = document.getElementById('report');
const json = document.getElementById('report-data')?.textContent ?? 'null';
const data = JSON.parse(json) as ReportData | null;
if (!target) throw new Error('report.html lacks the #report element');
if (!data) {
  target.textContent = 'No report data: this page is printed by Provenance Lab with a case embedded.';
} else {
  document.title = `Case report ${data.case.name} (${data.reportId})`;
  mount(Report, { target, props: { data } });
  flushSync();
}

void (async () => {
  // A picture that cannot decode prints as its placeholder; the report must not wait forever for it.
  await Promise.all([...document.images].map((img) => img.decode().catch(() => undefined)));
  await document.fonts.ready;
  document.documentElement.dataset.reportReady = 'true';
})();
