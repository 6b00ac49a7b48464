import type { Report } from './report.js';

/** The report as JSON: fixed key order (the Report type's), two-space indent, trailing newline. */
export function renderJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
