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

/** Each format's renderer of one kind of report. */
type Renderers<R> = Readonly<Record<ReportFormat, (report: R, options: RenderOptions) => string>>;

const CHECK_RENDERERS: Renderers<Report> = {
  text: (r, o) => renderText(r, { color: o.color }),
  json: (r) => renderJson(r),
  markdown: renderMarkdown,
  html: renderHtml,
  sarif: renderSarif,
  junit: (r) => renderJunit(r),
  intoto: (r) => renderIntoto(r),
};

const VERIFY_RENDERERS: Renderers<VerifyReport> = {
  text: (r) => renderVerifyText(r),
  json: (r) => renderVerifyJson(r),
  markdown: renderVerifyMarkdown,
  html: renderVerifyHtml,
  sarif: renderVerifySarif,
  junit: (r) => renderVerifyJunit(r),
  intoto: (r) => renderVerifyIntoto(r),
};

/**
 * A report rendered in one format. The text and JSON reports keep every path as it was read
 * (docs/report-format.md, Paths); the evidence formats, which leave the machine, write paths
 * under the working directory relative to it and paths under the home directory from `~`,
 * as the inputs manifest does, wherever they appear (identity, messages, evidence).
 */
function rendered<R>(renderers: Renderers<R>, full: R, format: ReportFormat, options: RenderOptions): string {
  const report = EVIDENCE_FORMATS.includes(format) ? (JSON.parse(JSON.stringify(full), (_key, value: unknown) => (typeof value === 'string' ? localizePaths(value, options.base) : value)) as R) : full;
  return renderers[format](report, options);
}

export const renderReport = (report: Report, format: ReportFormat, options: RenderOptions): string => rendered(CHECK_RENDERERS, report, format, options);

export const renderVerifyReport = (report: VerifyReport, format: ReportFormat, options: RenderOptions): string => rendered(VERIFY_RENDERERS, report, format, options);

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
