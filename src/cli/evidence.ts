import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { renderHtml } from '../report/html.js';
import { renderIntoto } from '../report/intoto.js';
import { renderJson } from '../report/json.js';
import { renderJunit } from '../report/junit.js';
import { renderMarkdown } from '../report/markdown.js';
import type { Report } from '../report/report.js';
import { renderSarif } from '../report/sarif.js';
import { renderText } from '../report/text.js';
import { renderVerifyJson, renderVerifyText, type VerifyReport } from '../report/verify.js';
import { renderVerifyHtml, renderVerifyIntoto, renderVerifyJunit, renderVerifyMarkdown, renderVerifySarif } from '../report/verify-evidence.js';
import { writeOutputFile } from './output.js';
import { localizePaths, type PathBase } from '../paths.js';

export const REPORT_FORMATS = ['text', 'json', 'markdown', 'html', 'sarif', 'junit', 'intoto'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];
/** The formats made to be filed or fed to another system: they list every input's digest and the time. */
export const EVIDENCE_FORMATS: readonly ReportFormat[] = ['markdown', 'html', 'sarif', 'junit', 'intoto'];

/** The file each format is written to in an --evidence directory. */
const EVIDENCE_FILES: Readonly<Record<ReportFormat, string>> = {
  text: 'report.txt',
  json: 'report.json',
  markdown: 'report.md',
  html: 'report.html',
  sarif: 'report.sarif',
  junit: 'junit.xml',
  intoto: 'attestation.intoto.json',
};

export interface RenderOptions {
  readonly color: boolean;
  readonly docsUrl: string;
  /** Where the run was made: the evidence formats name no absolute path under it or under the home directory. */
  readonly base: PathBase;
}

/**
 * A report rendered in one format. The text and JSON reports keep every path as it was read
 * (docs/report-format.md, Paths); the evidence formats, which leave the machine, write paths
 * under the working directory relative to it and paths under the home directory from `~`,
 * as the inputs manifest does, wherever they appear (identity, messages, evidence).
 */
export function renderReport(full: Report, format: ReportFormat, options: RenderOptions): string {
  const report = EVIDENCE_FORMATS.includes(format) ? localized(full, options.base) : full;
  switch (format) {
    case 'text':
      return renderText(report, { color: options.color });
    case 'json':
      return renderJson(report);
    case 'markdown':
      return renderMarkdown(report, options);
    case 'html':
      return renderHtml(report, options);
    case 'sarif':
      return renderSarif(report, options);
    case 'junit':
      return renderJunit(report);
    case 'intoto':
      return renderIntoto(report);
  }
}

/** The evidence formats leave the machine: paths under the working directory and the home directory are written relative to them. */
function localized<T>(report: T, base: PathBase): T {
  return JSON.parse(JSON.stringify(report), (_key, value: unknown) => (typeof value === 'string' ? localizePaths(value, base) : value)) as T;
}

/** A verify report in one format; as for check's, the evidence formats localize their paths. */
export function renderVerifyReport(full: VerifyReport, format: ReportFormat, options: RenderOptions): string {
  const report = EVIDENCE_FORMATS.includes(format) ? localized(full, options.base) : full;
  switch (format) {
    case 'text':
      return renderVerifyText(report);
    case 'json':
      return renderVerifyJson(report);
    case 'markdown':
      return renderVerifyMarkdown(report, options);
    case 'html':
      return renderVerifyHtml(report, options);
    case 'sarif':
      return renderVerifySarif(report, options);
    case 'junit':
      return renderVerifyJunit(report);
    case 'intoto':
      return renderVerifyIntoto(report);
  }
}

/** Every format into `dir` (created when missing), each in its file; the paths written, in format order. */
export function writeEvidence(dir: string, render: (format: ReportFormat) => string): string[] {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new InputError(dir, `cannot make the evidence directory: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (!statSync(dir).isDirectory()) throw new InputError(dir, 'is not a directory (--evidence names a directory to write the formats into)');
  return REPORT_FORMATS.map((format) => {
    const path = join(dir, EVIDENCE_FILES[format]);
    writeOutputFile(path, render(format), `${format} report`);
    return path;
  });
}
