import { atLeast } from '../findings/index.js';
import type { Report, ReportFinding } from './report.js';
import { describeEvidence } from './text.js';

/**
 * The report as JUnit XML, which every CI shows natively: a test suite per frozen object, a
 * test case per check that ran (`classname` the object, `name` the check), failing when the
 * check reported a finding at or above --fail-on that no waiver accepts. The failure's text
 * lists those findings with their evidence; the case's system-out the others (below the
 * threshold, or waived, with the waiver).
 */
export function renderJunit(report: Report): string {
  const failOn = report.gate.failOn;
  const fails = (f: ReportFinding) => failOn !== 'never' && atLeast(f.severity, failOn) && f.waived === null;
  const suites = report.frozen.map((obj) => {
    const name = obj.path.slice(obj.path.lastIndexOf('/') + 1);
    const cases = report.checks.map((check) => {
      const found = report.findings.filter((f) => f.object === obj.path && check.produces.includes(f.id));
      return { check: check.name, failing: found.filter(fails), other: found.filter((f) => !fails(f)) };
    });
    const failures = cases.filter((c) => c.failing.length > 0).length;
    const lines = [`  <testsuite name="${xmlAttr(obj.path)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="0"${report.time ? ` timestamp="${report.time.at}"` : ''}>`];
    lines.push('    <properties>');
    for (const [k, v] of [
      ['verdict', report.verdict],
      ['use', report.use],
      ['sha256', obj.sha256],
      ['kernel', report.kernel.release ?? report.kernel.vmlinux.path],
      ['fail-on', failOn],
    ] as const) {
      lines.push(`      <property name="${k}" value="${xmlAttr(v)}"/>`);
    }
    lines.push('    </properties>');
    for (const c of cases) {
      const open = `    <testcase classname="${xmlAttr(name)}" name="${xmlAttr(c.check)}"`;
      if (c.failing.length === 0 && c.other.length === 0) {
        lines.push(`${open}/>`);
        continue;
      }
      lines.push(`${open}>`);
      if (c.failing.length > 0) {
        const message = c.failing.length === 1 ? `${c.failing[0]!.id}: ${c.failing[0]!.message}` : `${c.failing.length} findings at or above ${failOn}: ${[...new Set(c.failing.map((f) => f.id))].join(', ')}`;
        lines.push(`      <failure type="${xmlAttr(c.failing[0]!.id)}" message="${xmlAttr(message)}">${xmlText(c.failing.map(describeFinding).join('\n\n'))}</failure>`);
      }
      if (c.other.length > 0) lines.push(`      <system-out>${xmlText(c.other.map(describeFinding).join('\n\n'))}</system-out>`);
      lines.push('    </testcase>');
    }
    lines.push('  </testsuite>');
    return { tests: cases.length, failures, lines };
  });
  const tests = suites.reduce((n, s) => n + s.tests, 0);
  const failures = suites.reduce((n, s) => n + s.failures, 0);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="relinkable ${xmlAttr(report.tool.version)}" tests="${tests}" failures="${failures}" errors="0" skipped="0">`,
    ...suites.flatMap((s) => s.lines),
    '</testsuites>',
    '',
  ].join('\n');
}

export function describeFinding(f: ReportFinding): string {
  const lines = [`[${f.severity}] ${f.id}${f.symbol ? ` ${f.symbol}` : ''}: ${f.message}`];
  if (f.waived) lines.push(`  waived until ${f.waived.expires} by ${f.waived.approver}: ${f.waived.justification}`);
  for (const s of f.sites) lines.push(`  at ${s.symbol}${s.detail ? `: ${s.detail}` : ''}`);
  for (const e of f.evidence) lines.push(`  ${describeEvidence(e)}`);
  lines.push(`  docs: ${f.docs}`);
  return lines.join('\n');
}

/** XML 1.0 has no way to write most control characters: they are shown as \xNN. */
function clean(s: string): string {
  return s.replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export function xmlText(s: string): string {
  return clean(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function xmlAttr(s: string): string {
  return xmlText(s).replace(/"/g, '&quot;').replace(/\n/g, '&#10;');
}
