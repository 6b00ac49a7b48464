import { describeEvidence } from './text.js';
import { coverageLines, gateWords, identityRows, summaryRows, VERDICT_WORDS } from './document.js';
import { findingUrl, frozenNames } from './links.js';
import type { Report, ReportFinding } from './report.js';

/**
 * The document an auditor reads and files: verdict, gate, what was checked against what
 * (identities and hashes), a summary table, every finding with its evidence and its page,
 * coverage, the waivers and every input. The same content as the HTML (document.ts).
 */
export function renderMarkdown(report: Report, options: { readonly docsUrl: string }): string {
  const out: string[] = [];
  out.push(`# relinkable: ${VERDICT_WORDS[report.verdict]} — ${inline(frozenNames(report))}`, '');
  out.push(`**Verdict:** ${VERDICT_WORDS[report.verdict]}  `, `**Gate:** ${gateWords(report)}`, '');
  out.push('| | |', '| --- | --- |', ...identityRows(report).map(([k, v]) => `| ${k} | ${inline(v)} |`), '');

  out.push('## Summary', '', '| severity | meaning | findings | waived |', '| --- | --- | ---: | ---: |');
  for (const [s, title, n, waived] of summaryRows(report)) out.push(`| ${s} | ${title} | ${n} | ${waived} |`);
  out.push('');

  out.push(`## Findings (${report.findings.length})`, '');
  if (report.findings.length === 0) out.push('No findings.', '');
  report.findings.forEach((f, i) => out.push(...markdownFinding(f, i + 1, options.docsUrl)));

  const cov = coverageLines(report);
  out.push('## Coverage', '', cov.counts, '');
  if (cov.gaps.length) out.push('Not compared:', '', ...cov.gaps.map((g) => `- ${inline(g)}`), '');

  out.push('## Waivers', '');
  const w = report.waivers;
  if (!w) out.push('No waivers file was given.', '');
  else {
    out.push(`From \`${w.path}\` (sha256 ${w.sha256}): ${report.gate.waived} finding${report.gate.waived === 1 ? '' : 's'} waived.`, '');
    if (w.applied.length) {
      out.push('| line | id | findings | approver | expires | justification |', '| ---: | --- | ---: | --- | --- | --- |');
      for (const x of w.applied) out.push(`| ${x.line} | ${x.id} | ${x.findings} | ${inline(x.approver)} | ${x.expires} | ${inline(x.justification)} |`);
      out.push('');
    }
    for (const x of w.expired) out.push(`- **Expired** (line ${x.line}, \`${x.id}\`, until ${x.expires}): waives nothing.`);
    for (const x of w.stale) out.push(`- **Stale** (line ${x.line}, \`${x.id}\`): matched no finding.`);
    if (w.expired.length || w.stale.length) out.push('');
  }

  out.push('## Inputs', '', '| role | path | size | sha256 |', '| --- | --- | ---: | --- |');
  for (const i of report.inputs) out.push(`| ${i.role} | ${inline(i.path)} | ${i.size} | ${i.sha256 ?? 'not hashed'} |`);
  out.push('');
  return out.join('\n');
}

/** One finding as a numbered section (the verify document renders its findings the same way). */
export function markdownFinding(f: ReportFinding, n: number, docsUrl: string): string[] {
  const out = [`### ${n}. \`${f.id}\`${f.symbol ? ` ${inline(f.symbol)}` : ''} — ${f.severity}${f.waived ? ' (waived)' : ''}`, ''];
  out.push(`*${f.title}.* ${inline(f.message)}`, '');
  if (f.waived) out.push(`> **Waived** until ${f.waived.expires} by ${inline(f.waived.approver)} (waivers line ${f.waived.line}): ${inline(f.waived.justification)}`, '');
  if (f.diff !== null) out.push('```diff', f.diff.replace(/\n$/, ''), '```', '');
  else if (f.before !== null || f.after !== null) {
    if (f.before !== null) out.push(`- before: ${code(f.before)}`);
    if (f.after !== null) out.push(`- after: ${code(f.after)}`);
    out.push('');
  }
  if (f.candidates.length) out.push(`Rename candidates: ${f.candidates.map((c) => `${code(c.name)} (${c.score.toFixed(2)}, ${inline(c.reason)})`).join('; ')}`, '');
  if (f.sites.length) {
    out.push(`Sites (${f.sites.length}):`, '');
    for (const s of f.sites) {
      out.push(`- ${code(s.symbol)}${s.detail ? `: ${inline(s.detail)}` : ''}`);
      for (const e of s.evidence) out.push(`  - ${inline(describeEvidence(e))}`);
    }
    out.push('');
  }
  if (f.evidence.length) out.push('Evidence:', '', ...f.evidence.map((e) => `- ${inline(describeEvidence(e))}`), '');
  out.push(`Docs: [${f.docs}](${findingUrl(docsUrl, f.id)})${f.signature ? ` · catalogue entry \`${f.signature}\`` : ''}`, '');
  return out;
}

/** Text in running Markdown: the characters that would start markup are escaped. */
export function inline(s: string): string {
  return s.replace(/[\\`*_[\]<>|#]/g, (c) => `\\${c}`).replace(/\n/g, ' ');
}

/** A code span that holds any text: fenced with more backticks than it contains. */
export function code(s: string): string {
  const ticks = '`'.repeat(Math.max(0, ...[...s.matchAll(/`+/g)].map((m) => m[0].length)) + 1);
  const body = s.replace(/\n/g, ' ');
  return `${ticks}${body.startsWith('`') || body.endsWith('`') ? ` ${body} ` : body}${ticks}`;
}
