import { InputError } from '../errors.js';
import { FINDING_KINDS, isWaivable, type FindingId } from '../findings/index.js';
import { readInputText } from '../input-file.js';
import { LIMITS } from '../limits.js';
import type { ReportFinding } from '../report/report.js';

/** The report formats `waive` reads: findings with id, object, symbol and sites (5), and waivers (6, 7). */
const READABLE_VERSIONS = [5, 6, 7];

/**
 * A starting waivers file from a JSON report: one entry per finding no waiver accepts yet,
 * matched by id, object file name and symbol (or type), with an empty justification and
 * approver. The file is refused by `check --waivers` until a person fills both in: the tool
 * writes what to waive, never why it is acceptable. Findings that cannot be waived (a check
 * that could not run) are listed as comments.
 */
export function startingWaivers(reportPath: string, expires: string): string {
  const text = readInputText(reportPath, 'JSON report', 'utf8', LIMITS.JSON_FILE_SIZE);
  let report: { format?: unknown; formatVersion?: unknown; findings?: unknown };
  try {
    report = JSON.parse(text) as typeof report;
  } catch {
    throw new InputError(reportPath, 'not JSON: relinkable waive reads the report of check --format json');
  }
  if (report?.format !== 'relinkable-report' || !READABLE_VERSIONS.includes(report.formatVersion as number) || !Array.isArray(report.findings)) {
    throw new InputError(reportPath, `not a relinkable JSON report of format ${READABLE_VERSIONS.slice(0, -1).join(', ')} or ${READABLE_VERSIONS.at(-1)} (check --format json writes one)`);
  }
  const findings = report.findings as ReportFinding[];
  const lines = [
    `# Waivers for the findings of ${reportPath}, written by relinkable waive.`,
    '# check --waivers refuses this file until every waiver has a justification (why the finding',
    '# is acceptable for this module and kernel) and an approver; remove the waivers you do not',
    '# accept: their findings then count toward --fail-on. Schema: docs/evidence.md.',
    'version: 1',
    'waivers:',
  ];
  const seen = new Set<string>();
  for (const f of findings) {
    if (!(f.id in FINDING_KINDS) || (f as { waived?: unknown }).waived) continue;
    const object = f.object.slice(f.object.lastIndexOf('/') + 1);
    const type = f.symbol !== null && /^(struct|union|enum) /.test(f.symbol);
    const entry = [
      `  - id: ${f.id}`,
      `    object: ${quote(object)}`,
      ...(f.symbol !== null ? [`    ${type ? 'type' : 'symbol'}: ${quote(f.symbol)}`] : []),
      `    justification: ""`,
      `    approver: ""`,
      `    expires: ${expires}`,
    ];
    const key = entry.join('\n');
    if (seen.has(key)) continue;
    seen.add(key);
    if (!isWaivable(f.id as FindingId)) {
      lines.push(`  # ${f.id}${f.symbol ? ` ${f.symbol}` : ''} (${object}) cannot be waived: a check that could not run is not a judgement to accept`);
      continue;
    }
    lines.push(`  # ${f.severity}: ${oneLine(f.message)}`, ...entry);
  }
  if (seen.size === 0) lines[lines.length - 1] = 'waivers: []';
  return `${lines.join('\n')}\n`;
}

/** A YAML double-quoted scalar: JSON's string syntax is YAML's. Glob characters in names are escaped for fnmatch. */
function quote(s: string): string {
  return JSON.stringify(s.replace(/[*?[\\]/g, (c) => `\\${c}`));
}

function oneLine(s: string): string {
  const flat = s.replace(/\s+/g, ' ');
  return flat.length > 160 ? `${flat.slice(0, 157)}...` : flat;
}
