import { describeEvidence } from './text.js';
import { coverageLines, gateWords, identityRows, summaryRows, VERDICT_WORDS } from './document.js';
import { findingUrl, frozenNames } from './links.js';
import type { Report, ReportFinding } from './report.js';

/**
 * The auditor's document as one self-contained HTML file: the Markdown's content (document.ts),
 * styles inline, no external asset and a Content-Security-Policy that forbids loading any, a
 * finding's evidence and sites in collapsible details (opened for printing), C declaration
 * diffs coloured. test/evidence/html.test.ts opens it in headless Chromium.
 */
export function renderHtml(report: Report, options: { readonly docsUrl: string }): string {
  const verdict = VERDICT_WORDS[report.verdict];
  const body: string[] = [];
  body.push(`<header class="verdict ${report.verdict}"><h1>relinkable: <span id="verdict">${esc(verdict)}</span></h1><p>${esc(frozenNames(report))}</p>`);
  body.push(`<p class="gate ${report.gate.result}">Gate: ${esc(gateWords(report))}</p></header>`);
  body.push('<table class="identity">', ...identityRows(report).map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`), '</table>');

  body.push('<h2>Summary</h2><table class="summary"><tr><th>severity</th><th>meaning</th><th>findings</th><th>waived</th></tr>');
  for (const [s, title, n, waived] of summaryRows(report)) body.push(`<tr class="${s}"><td>${s}</td><td>${esc(title)}</td><td>${n}</td><td>${waived}</td></tr>`);
  body.push('</table>');

  body.push(`<h2>Findings (${report.findings.length})</h2>`);
  if (report.findings.length === 0) body.push('<p>No findings.</p>');
  report.findings.forEach((f, i) => body.push(htmlFinding(f, i + 1, options.docsUrl)));

  const cov = coverageLines(report);
  body.push('<h2>Coverage</h2>', `<p>${esc(cov.counts)}</p>`);
  if (cov.gaps.length) body.push('<p>Not compared:</p><ul>', ...cov.gaps.map((g) => `<li>${esc(g)}</li>`), '</ul>');

  body.push('<h2>Waivers</h2>');
  const w = report.waivers;
  if (!w) body.push('<p>No waivers file was given.</p>');
  else {
    body.push(`<p>From <code>${esc(w.path)}</code> (sha256 ${w.sha256}): ${report.gate.waived} finding${report.gate.waived === 1 ? '' : 's'} waived.</p>`);
    if (w.applied.length) {
      body.push('<table><tr><th>line</th><th>id</th><th>findings</th><th>approver</th><th>expires</th><th>justification</th></tr>');
      for (const x of w.applied) body.push(`<tr><td>${x.line}</td><td>${esc(x.id)}</td><td>${x.findings}</td><td>${esc(x.approver)}</td><td>${x.expires}</td><td>${esc(x.justification)}</td></tr>`);
      body.push('</table>');
    }
    if (w.expired.length || w.stale.length) {
      body.push('<ul>');
      for (const x of w.expired) body.push(`<li><strong>Expired</strong> (line ${x.line}, <code>${esc(x.id)}</code>, until ${x.expires}): waives nothing.</li>`);
      for (const x of w.stale) body.push(`<li><strong>Stale</strong> (line ${x.line}, <code>${esc(x.id)}</code>): matched no finding.</li>`);
      body.push('</ul>');
    }
  }

  body.push('<h2>Inputs</h2><details><summary>', `${report.inputs.length} files read`, '</summary><table class="inputs"><tr><th>role</th><th>path</th><th>size</th><th>sha256</th></tr>');
  for (const i of report.inputs) body.push(`<tr><td>${esc(i.role)}</td><td>${esc(i.path)}</td><td>${i.size}</td><td><code>${i.sha256 ?? 'not hashed'}</code></td></tr>`);
  body.push('</table></details>');

  return htmlPage(`relinkable: ${verdict} — ${frozenNames(report)}`, body);
}

/** A self-contained page: the styles inline, no external asset, a CSP that forbids loading any; printing opens every detail. */
export function htmlPage(title: string, body: readonly string[]): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${body.join('\n')}
<script>${PRINT_SCRIPT}</script>
</body>
</html>
`;
}

/** One finding as a section (the verify document renders its findings the same way). */
export function htmlFinding(f: ReportFinding, n: number, docsUrl: string): string {
  const out: string[] = [];
  out.push(`<section class="finding ${f.severity}${f.waived ? ' waived' : ''}" id="finding-${n}">`);
  out.push(`<h3>${n}. <code class="id">${esc(f.id)}</code>${f.symbol ? ` ${esc(f.symbol)}` : ''} <span class="severity">${f.severity}</span>${f.waived ? ' <span class="waived-tag">waived</span>' : ''}</h3>`);
  out.push(`<p><em>${esc(f.title)}.</em> ${esc(f.message)}</p>`);
  if (f.waived) out.push(`<p class="waiver">Waived until ${f.waived.expires} by ${esc(f.waived.approver)} (waivers line ${f.waived.line}): ${esc(f.waived.justification)}</p>`);
  if (f.diff !== null) out.push(`<pre class="diff">${diff(f.diff)}</pre>`);
  else if (f.before !== null || f.after !== null) {
    out.push('<dl>');
    if (f.before !== null) out.push(`<dt>before</dt><dd><code>${esc(f.before)}</code></dd>`);
    if (f.after !== null) out.push(`<dt>after</dt><dd><code>${esc(f.after)}</code></dd>`);
    out.push('</dl>');
  }
  if (f.candidates.length) out.push(`<p>Rename candidates: ${f.candidates.map((c) => `<code>${esc(c.name)}</code> (${c.score.toFixed(2)}, ${esc(c.reason)})`).join('; ')}</p>`);
  if (f.sites.length || f.evidence.length) {
    out.push(`<details><summary>${[f.sites.length ? `${f.sites.length} site${f.sites.length > 1 ? 's' : ''}` : '', f.evidence.length ? 'evidence' : ''].filter(Boolean).join(' and ')}</summary>`);
    if (f.sites.length) {
      out.push('<ul class="sites">');
      for (const s of f.sites) {
        out.push(`<li><code>${esc(s.symbol)}</code>${s.detail ? `: ${esc(s.detail)}` : ''}`);
        if (s.evidence.length) out.push('<ul>', ...s.evidence.map((e) => `<li>${esc(describeEvidence(e))}</li>`), '</ul>');
        out.push('</li>');
      }
      out.push('</ul>');
    }
    if (f.evidence.length) out.push('<ul class="evidence">', ...f.evidence.map((e) => `<li>${esc(describeEvidence(e))}</li>`), '</ul>');
    out.push('</details>');
  }
  out.push(`<p class="docs">Docs: <a href="${esc(findingUrl(docsUrl, f.id))}">${esc(f.docs)}</a>${f.signature ? ` · catalogue entry <code>${esc(f.signature)}</code>` : ''}</p>`);
  out.push('</section>');
  return out.join('\n');
}

/** A unified diff, each added and removed line in its colour. */
function diff(text: string): string {
  return text
    .replace(/\n$/, '')
    .split('\n')
    .map((line) => {
      const cls = line.startsWith('+++') || line.startsWith('---') ? 'file' : line.startsWith('+') ? 'add' : line.startsWith('-') ? 'del' : line.startsWith('@@') ? 'hunk' : '';
      return cls ? `<span class="${cls}">${esc(line)}</span>` : esc(line);
    })
    .join('\n');
}

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; max-width: 60rem; margin: 1.5rem auto; padding: 0 1rem; color: #1d1d1f; }
h1 { margin: 0; font-size: 1.6rem; } h2 { border-bottom: 1px solid #ccc; margin-top: 2rem; } h3 { font-size: 1.05rem; margin: 0 0 .4rem; }
header.verdict { padding: .8rem 1rem; border-radius: 6px; margin-bottom: 1rem; }
header.will-not-link, header.differs { background: #fde2e1; } header.at-risk { background: #fff1cc; } header.relinkable, header.identical { background: #dff5e1; }
.gate.failed { color: #a1130a; font-weight: 600; } .gate.passed { color: #1b6e2a; font-weight: 600; }
table { border-collapse: collapse; margin: .5rem 0; } th, td { border: 1px solid #ddd; padding: .25rem .5rem; text-align: left; vertical-align: top; }
table.identity th { background: #f5f5f7; white-space: nowrap; } td { overflow-wrap: anywhere; }
section.finding { border-left: 4px solid #999; padding: .3rem .8rem; margin: 1rem 0; background: #fafafa; break-inside: avoid; }
section.link { border-color: #c0392b; } section.runtime { border-color: #8e44ad; } section.warning { border-color: #d4a017; } section.review { border-color: #2980b9; }
section.waived { opacity: .8; } .waived-tag, .severity { font-size: .8rem; border-radius: 3px; padding: 0 .3rem; background: #eee; font-weight: normal; }
.waiver { background: #eef6ff; padding: .3rem .5rem; }
pre.diff { background: #f6f8fa; padding: .5rem; overflow-x: auto; } .diff .add { color: #116329; background: #dafbe1; } .diff .del { color: #82071e; background: #ffebe9; } .diff .hunk { color: #6639ba; } .diff .file { color: #57606a; }
code { font: 12.5px ui-monospace, monospace; } details summary { cursor: pointer; color: #444; }
@media print { body { margin: 0; max-width: none; } a { color: inherit; } }
`;

/** Printing opens every collapsed detail, so the paper has all the evidence. */
const PRINT_SCRIPT = `window.addEventListener('beforeprint', () => { for (const d of document.querySelectorAll('details')) d.open = true; });`;
