import { createHash } from 'node:crypto';
import { SEVERITIES, SEVERITY_TITLES, type Severity } from '../findings/index.js';
import { esc, htmlFinding, htmlPage } from './html.js';
import { STATEMENT_TYPE, VSA_PREDICATE } from './intoto.js';
import { describeFinding, xmlAttr, xmlText } from './junit.js';
import { pathUri, PROJECT_URL } from './links.js';
import { code, inline, markdownFinding } from './markdown.js';
import type { ReportFinding } from './report.js';
import { SARIF_SCHEMA, sarifResult, sarifRule } from './sarif.js';
import type { VerifyReport } from './verify.js';

/**
 * `relinkable verify` in the evidence formats `check` writes (Markdown, HTML, SARIF, JUnit,
 * in-toto): the same proof as the JSON — where each certified section went in the linked
 * file, the bytes compared with the relocations applied, the vendor schemes recomputed — for
 * an auditor to file and a CI system to show. Findings render as `check`'s do.
 */

const VERDICT_WORDS = { identical: 'IDENTICAL (modulo relocations)', differs: 'DIFFERS' } as const;

/** Verify findings have no waivers: as report findings, never waived. */
const asFinding = (f: VerifyReport['findings'][number]): ReportFinding => ({ ...f, waived: null });

const base = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/** What was verified, in a phrase: the objects in the linked file, or the schemes. */
function subjectWords(report: VerifyReport): string {
  const parts: string[] = [];
  if (report.objects.length > 0 && report.linked) parts.push(`${report.objects.map((o) => base(o.path)).join(', ')} in ${base(report.linked.path)}`);
  for (const c of report.integrity) parts.push(`${c.scheme} of ${base(c.file)}`);
  if (report.placeholders) parts.push(`placeholder ABI of ${base(report.placeholders.kernel)}`);
  return parts.join('; ');
}

const sha256Of = (report: VerifyReport, path: string): string | null => report.inputs.find((i) => i.path === path)?.sha256 ?? null;

/** The identity table: label, value. */
function identityRows(report: VerifyReport): [string, string][] {
  const rows: [string, string][] = [];
  const l = report.linked;
  if (l) {
    const sha = sha256Of(report, l.path);
    rows.push(['Linked file', `${l.path} (${l.kind}, ${l.machine}, ${l.size} bytes${l.buildId ? `, build-id ${l.buildId}` : ''})`]);
    if (sha) rows.push(['sha256', sha]);
    rows.push(['Linker script', l.linkerScript ?? 'none read']);
  }
  for (const o of report.objects) {
    rows.push(['Certified object', `${o.path} (${o.size} bytes)`]);
    rows.push(['sha256', o.sha256]);
  }
  rows.push(['Verified at', report.time ? `${report.time.at} (from ${report.time.source})` : 'not recorded']);
  rows.push(['Tool', `relinkable ${report.tool.version}${report.tool.commit ? ` (commit ${report.tool.commit})` : ''}, Node ${report.tool.node}`]);
  return rows;
}

function summaryRows(report: VerifyReport): [Severity, string, number][] {
  return SEVERITIES.map((s) => [s, SEVERITY_TITLES[s], report.summary[s]]);
}

/** One row per allocated section of an object: section, size, where it went, bytes compared, relocated fields, differing bytes. */
function sectionRows(o: VerifyReport['objects'][number]): string[][] {
  return o.sections.map((s) => {
    const c = o.compared.find((x) => x.section === s.name);
    return [s.name, String(s.size), s.address ? `${s.linkedSection} ${s.address}` : '', s.placement, c ? String(c.bytes) : '', c ? String(c.relocatedFields) : '', c ? String(c.differingBytes) : ''];
  });
}
const SECTION_HEADER = ['section', 'size', 'linked at', 'placement', 'bytes compared', 'relocated fields', 'differing bytes'];

export function renderVerifyMarkdown(report: VerifyReport, options: { readonly docsUrl: string }): string {
  const out: string[] = [];
  const row = (cells: readonly string[]) => `| ${cells.map(inline).join(' | ')} |`;
  out.push(`# relinkable verify: ${VERDICT_WORDS[report.verdict]} — ${inline(subjectWords(report))}`, '');
  out.push(`**Verdict:** ${VERDICT_WORDS[report.verdict]}`, '');
  out.push('| | |', '| --- | --- |', ...identityRows(report).map(([k, v]) => row([k, v])), '');
  out.push('## Summary', '', '| severity | meaning | findings |', '| --- | --- | ---: |', ...summaryRows(report).map(([s, t, n]) => `| ${s} | ${t} | ${n} |`), '');
  for (const o of report.objects) {
    out.push(`## ${inline(base(o.path))}`, '');
    out.push(`${o.bytesCompared} bytes compared in ${o.compared.length} sections; ${o.relocatedFields} relocated fields equal to the value the linker computed.`, '');
    out.push(row(SECTION_HEADER), '| --- | ---: | --- | --- | ---: | ---: | ---: |', ...sectionRows(o).map(row), '');
    for (const p of o.padding) out.push(`- Padding: ${p.bytes} bytes at ${p.linkedSection} ${p.address} between ${code(p.after)} and ${code(p.before)} (${inline(p.fill)}): the linker's alignment fill, not the object's bytes.`);
    if (o.padding.length) out.push('');
    if (o.patchSites?.length === 0) out.push(`No place inside the object's bytes is rewritten by the kernel at boot or run time (tables read: ${o.patchTables!.map(code).join(', ')}).`, '');
    else if (o.patchSites) {
      out.push(`${o.patchSites.length} places inside the object's bytes the kernel rewrites at boot or run time (from ${o.patchTables!.map(code).join(', ')}):`, '');
      for (const s of o.patchSites) out.push(`- ${code(s.table)}: ${code(`${s.section}+${s.offset}`)}${s.within ? ` (${inline(s.within)})` : ''} at ${s.address}: ${inline(s.writes)}`);
      out.push('');
    }
  }
  for (const c of report.integrity) {
    out.push(`## Integrity scheme: ${inline(c.scheme)}`, '', `File: ${code(c.file)}`, '', '| what | stored | recomputed | agrees |', '| --- | --- | --- | --- |');
    for (const i of c.items) out.push(`| ${inline(i.what)} | ${inline(i.expected)} | ${inline(i.found)} | ${i.ok ? 'yes' : '**no**'} |`);
    for (const r of c.refusedRelocations) out.push(`- Refused by the in-kernel reverter: ${r.type} at ${inline(r.section)}+0x${r.offset.toString(16)}`);
    out.push('');
  }
  const p = report.placeholders;
  if (p) out.push('## Placeholder ABI', '', `${code(p.kernel)} against ${code(p.module)}: ${p.matched} placeholders on both sides, ${p.unfilled.length} only in the kernel, ${p.missing.length} only in the module's key tables.`, '');
  out.push(`## Findings (${report.findings.length})`, '');
  if (report.findings.length === 0) out.push('No findings.', '');
  report.findings.forEach((f, i) => out.push(...markdownFinding(asFinding(f), i + 1, options.docsUrl)));
  out.push('## Inputs', '', '| role | path | size | sha256 |', '| --- | --- | ---: | --- |');
  for (const i of report.inputs) out.push(`| ${i.role} | ${inline(i.path)} | ${i.size} | ${i.sha256 ?? 'not hashed'} |`);
  out.push('');
  return out.join('\n');
}

export function renderVerifyHtml(report: VerifyReport, options: { readonly docsUrl: string }): string {
  const verdict = VERDICT_WORDS[report.verdict];
  const cells = (tag: 'td' | 'th', values: readonly string[]) => `<tr>${values.map((v) => `<${tag}>${esc(v)}</${tag}>`).join('')}</tr>`;
  const body: string[] = [];
  body.push(`<header class="verdict ${report.verdict}"><h1>relinkable verify: <span id="verdict">${esc(verdict)}</span></h1><p>${esc(subjectWords(report))}</p></header>`);
  body.push('<table class="identity">', ...identityRows(report).map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`), '</table>');
  body.push('<h2>Summary</h2><table class="summary">', cells('th', ['severity', 'meaning', 'findings']));
  for (const [s, t, n] of summaryRows(report)) body.push(`<tr class="${s}"><td>${s}</td><td>${esc(t)}</td><td>${n}</td></tr>`);
  body.push('</table>');
  for (const o of report.objects) {
    body.push(`<h2>${esc(base(o.path))}</h2>`, `<p>${o.bytesCompared} bytes compared in ${o.compared.length} sections; ${o.relocatedFields} relocated fields equal to the value the linker computed.</p>`);
    body.push('<table class="sections">', cells('th', SECTION_HEADER), ...sectionRows(o).map((r) => cells('td', r)), '</table>');
    if (o.padding.length) body.push('<ul>', ...o.padding.map((p) => `<li>Padding: ${p.bytes} bytes at ${esc(p.linkedSection)} ${p.address} between <code>${esc(p.after)}</code> and <code>${esc(p.before)}</code> (${esc(p.fill)}): the linker's alignment fill, not the object's bytes.</li>`), '</ul>');
    if (o.patchSites?.length === 0) body.push(`<p>No place inside the object's bytes is rewritten by the kernel at boot or run time (tables read: ${esc(o.patchTables!.join(', '))}).</p>`);
    else if (o.patchSites) {
      body.push(`<details><summary>${o.patchSites.length} places inside the object's bytes the kernel rewrites at boot or run time (from ${esc(o.patchTables!.join(', '))})</summary><ul>`);
      for (const s of o.patchSites) body.push(`<li><code>${esc(s.table)}</code>: <code>${esc(`${s.section}+${s.offset}`)}</code>${s.within ? ` (${esc(s.within)})` : ''} at ${s.address}: ${esc(s.writes)}</li>`);
      body.push('</ul></details>');
    }
  }
  for (const c of report.integrity) {
    body.push(`<h2>Integrity scheme: ${esc(c.scheme)}</h2>`, `<p>File: <code>${esc(c.file)}</code></p>`, '<table>', cells('th', ['what', 'stored', 'recomputed', 'agrees']));
    for (const i of c.items) body.push(cells('td', [i.what, i.expected, i.found, i.ok ? 'yes' : 'NO']));
    body.push('</table>');
    if (c.refusedRelocations.length) body.push('<ul>', ...c.refusedRelocations.map((r) => `<li>Refused by the in-kernel reverter: ${esc(r.type)} at ${esc(r.section)}+0x${r.offset.toString(16)}</li>`), '</ul>');
  }
  const p = report.placeholders;
  if (p) body.push('<h2>Placeholder ABI</h2>', `<p><code>${esc(p.kernel)}</code> against <code>${esc(p.module)}</code>: ${p.matched} placeholders on both sides, ${p.unfilled.length} only in the kernel, ${p.missing.length} only in the module's key tables.</p>`);
  body.push(`<h2>Findings (${report.findings.length})</h2>`);
  if (report.findings.length === 0) body.push('<p>No findings.</p>');
  report.findings.forEach((f, i) => body.push(htmlFinding(asFinding(f), i + 1, options.docsUrl)));
  body.push('<h2>Inputs</h2><details><summary>', `${report.inputs.length} files read`, '</summary><table class="inputs">', cells('th', ['role', 'path', 'size', 'sha256']));
  for (const i of report.inputs) body.push(`<tr><td>${esc(i.role)}</td><td>${esc(i.path)}</td><td>${i.size}</td><td><code>${i.sha256 ?? 'not hashed'}</code></td></tr>`);
  body.push('</table></details>');
  return htmlPage(`relinkable verify: ${verdict} — ${subjectWords(report)}`, body);
}

/** SARIF 2.1.0: one result per finding, the certified objects and the linked file as artifacts with their sha256. */
export function renderVerifySarif(report: VerifyReport, options: { readonly docsUrl: string }): string {
  const ids = [...new Set(report.findings.map((f) => f.id))].sort();
  const ruleIndex = new Map(ids.map((id, i) => [id, i]));
  const artifactPaths = [...report.objects.map((o) => o.path), ...(report.linked ? [report.linked.path] : []), ...report.integrity.map((c) => c.file)];
  const artifacts = [...new Set(artifactPaths)];
  const sarif = {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'relinkable', version: report.tool.version, semanticVersion: report.tool.version, informationUri: PROJECT_URL, rules: ids.map((id) => sarifRule(id, options.docsUrl)) } },
        invocations: [{ executionSuccessful: true, ...(report.time ? { endTimeUtc: report.time.at } : {}), properties: { command: 'verify', verdict: report.verdict } }],
        artifacts: artifacts.map((path) => {
          const sha256 = sha256Of(report, path);
          const size = report.inputs.find((i) => i.path === path)?.size;
          return { location: { uri: pathUri(path) }, ...(size !== undefined ? { length: size } : {}), ...(sha256 ? { hashes: { 'sha-256': sha256 } } : {}) };
        }),
        results: report.findings.map((f) => sarifResult(asFinding(f), ruleIndex.get(f.id)!, artifacts.indexOf(f.object))),
        properties: { linked: report.linked, objects: report.objects.map((o) => ({ path: o.path, sha256: o.sha256, bytesCompared: o.bytesCompared, relocatedFields: o.relocatedFields })) },
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}

/**
 * JUnit XML: a test suite per certified object (a test case per allocated section, failing
 * when a finding above info names that section; one more for such findings about the object
 * as a whole), per integrity scheme (a case per value recomputed) and for the placeholder ABI.
 * The run fails exactly when the verdict is DIFFERS.
 */
export function renderVerifyJunit(report: VerifyReport): string {
  const failing = (f: VerifyReport['findings'][number]) => f.severity !== 'info';
  const suites: { name: string; cases: { classname: string; name: string; failures: ReportFinding[]; failureText?: string }[] }[] = [];
  const placed = new Set<VerifyReport['findings'][number]>();
  for (const o of report.objects) {
    const mine = report.findings.filter((f) => f.object === o.path && failing(f));
    const cases = o.sections.map((s) => {
      const about = mine.filter((f) => [...f.evidence, ...f.sites.flatMap((x) => x.evidence)].some((e) => e.section === s.name));
      for (const f of about) placed.add(f);
      return { classname: base(o.path), name: s.name, failures: about.map(asFinding) };
    });
    const rest = mine.filter((f) => !placed.has(f));
    for (const f of rest) placed.add(f);
    if (rest.length) cases.push({ classname: base(o.path), name: 'the object', failures: rest.map(asFinding) });
    suites.push({ name: o.path, cases });
  }
  for (const c of report.integrity) {
    const cases: (typeof suites)[number]['cases'] = c.items.map((i) => ({ classname: c.scheme, name: i.what, failures: [], ...(i.ok ? {} : { failureText: `stored ${i.expected}, recomputed ${i.found}` }) }));
    const mine = report.findings.filter((f) => f.object === c.file && failing(f) && !placed.has(f));
    for (const f of mine) placed.add(f);
    // The scheme's findings go with its first value that disagrees, or in a case of their own.
    const firstBad = cases.find((x) => x.failureText !== undefined);
    if (firstBad) firstBad.failures.push(...mine.map(asFinding));
    else if (mine.length) cases.push({ classname: c.scheme, name: 'the scheme', failures: mine.map(asFinding) });
    suites.push({ name: `${c.scheme}: ${c.file}`, cases });
  }
  const others = report.findings.filter((f) => failing(f) && !placed.has(f));
  if (report.placeholders || others.length) {
    suites.push({ name: report.placeholders ? `placeholder ABI: ${report.placeholders.kernel}` : 'other', cases: [{ classname: 'verify', name: report.placeholders ? 'placeholder ABI' : 'other findings', failures: others.map(asFinding) }] });
  }
  const isFailure = (c: (typeof suites)[number]['cases'][number]) => c.failures.length > 0 || c.failureText !== undefined;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="relinkable verify ${xmlAttr(report.tool.version)}" tests="${suites.reduce((n, s) => n + s.cases.length, 0)}" failures="${suites.reduce((n, s) => n + s.cases.filter(isFailure).length, 0)}" errors="0" skipped="0">`,
  ];
  for (const s of suites) {
    lines.push(`  <testsuite name="${xmlAttr(s.name)}" tests="${s.cases.length}" failures="${s.cases.filter(isFailure).length}" errors="0" skipped="0"${report.time ? ` timestamp="${report.time.at}"` : ''}>`);
    for (const c of s.cases) {
      const open = `    <testcase classname="${xmlAttr(c.classname)}" name="${xmlAttr(c.name)}"`;
      if (!isFailure(c)) {
        lines.push(`${open}/>`);
        continue;
      }
      const message = c.failures.length === 1 ? `${c.failures[0]!.id}: ${c.failures[0]!.message}` : c.failures.length > 1 ? `${c.failures.length} findings: ${[...new Set(c.failures.map((f) => f.id))].join(', ')}` : c.failureText!;
      const body = [c.failureText, ...c.failures.map(describeFinding)].filter((x): x is string => x !== undefined).join('\n\n');
      lines.push(`${open}>`, `      <failure type="${xmlAttr(c.failures[0]?.id ?? 'differs')}" message="${xmlAttr(message)}">${xmlText(body)}</failure>`, '    </testcase>');
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>', '');
  return lines.join('\n');
}

/**
 * An unsigned in-toto Statement v1 with a SLSA Verification Summary predicate, as `check`
 * writes: relinkable verified the linked file (the subject, by sha256) against a policy —
 * the certified objects' digests, the schemes recomputed — and found it IDENTICAL (PASSED)
 * or not (FAILED). Without a linked file the subjects are the schemes' files.
 */
export function renderVerifyIntoto(report: VerifyReport): string {
  const subjectPaths = report.linked ? [report.linked.path] : [...new Set(report.integrity.map((c) => c.file))];
  const policy = {
    certified: report.objects.map((o) => ({ name: base(o.path), sha256: o.sha256 })),
    schemes: report.integrity.map((c) => c.scheme),
    placeholderAbi: report.placeholders !== null,
  };
  const passed = report.verdict === 'identical';
  const statement = {
    _type: STATEMENT_TYPE,
    subject: subjectPaths.map((path) => ({ name: base(path), digest: { sha256: sha256Of(report, path) } })),
    predicateType: VSA_PREDICATE,
    predicate: {
      verifier: { id: PROJECT_URL, version: { relinkable: report.tool.version, ...(report.tool.commit ? { 'relinkable-commit': report.tool.commit } : {}), node: report.tool.node } },
      ...(report.time ? { timeVerified: report.time.at } : {}),
      resourceUri: pathUri(subjectPaths[0] ?? ''),
      policy: {
        uri: `${PROJECT_URL}/blob/v${report.tool.version}/docs/verify.md#in-the-evidence-file`,
        digest: { sha256: createHash('sha256').update(JSON.stringify(policy)).digest('hex') },
        annotations: policy,
      },
      verificationResult: passed ? 'PASSED' : 'FAILED',
      verifiedLevels: passed ? ['RELINKABLE_CERTIFIED_BYTES_IDENTICAL'] : ['FAILED'],
      [`${PROJECT_URL}/verify`]: {
        verdict: report.verdict,
        linked: report.linked ? { path: report.linked.path, kind: report.linked.kind, buildId: report.linked.buildId } : null,
        objects: report.objects.map((o) => ({ path: o.path, sha256: o.sha256, bytesCompared: o.bytesCompared, relocatedFields: o.relocatedFields })),
      },
    },
  };
  return `${JSON.stringify(statement, null, 2)}\n`;
}
