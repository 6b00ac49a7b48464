import { SEVERITIES, SEVERITY_TITLES, type Severity } from '../findings/index.js';
import type { Report, Verdict } from './report.js';

/**
 * What the auditor's documents (Markdown, HTML) say, as plain rows and words: both render
 * these, so the two documents have the same content.
 */
export const VERDICT_WORDS: Readonly<Record<Verdict, string>> = { 'will-not-link': 'WILL NOT LINK', 'at-risk': 'AT RISK', relinkable: 'RELINKABLE' };

export function useWords(report: Report): string {
  return report.use === 'as-is'
    ? "as is: the certified .ko's bytes are loaded unchanged by the new kernel's module loader"
    : "relinked: the new tree's kbuild links the frozen objects and writes the module metadata anew";
}

export function gateWords(report: Report): string {
  const g = report.gate;
  if (g.failOn === 'never') return `PASSED (--fail-on never)${g.waived ? `; ${g.waived} waived` : ''}`;
  return `${g.result.toUpperCase()}: ${g.failing} finding${g.failing === 1 ? '' : 's'} at or above ${g.failOn} not waived${g.waived ? `; ${g.waived} waived` : ''}`;
}

/** The identity table: label, value. */
export function identityRows(report: Report): [string, string][] {
  const rows: [string, string][] = [];
  for (const f of report.frozen) {
    rows.push(['Certified object', `${f.path} (${f.machine}${f.module ? `, module ${f.module}` : ''}, ${f.size} bytes)`]);
    rows.push(['sha256', f.sha256]);
    rows.push(['Replaces', f.replaces.found ? `${f.replaces.name} (${f.replaces.how}; into ${f.replaces.target})` : `nothing found: ${f.replaces.reason}`]);
  }
  const k = report.kernel;
  const vmlinux = report.inputs.find((i) => i.role === 'vmlinux');
  rows.push(['Kernel', `${k.release ?? 'release unknown'} (${k.layout}${k.root ? `, ${k.root}` : ''})`]);
  rows.push(['vmlinux', `${k.vmlinux.path}${k.vmlinux.buildId ? `, build-id ${k.vmlinux.buildId}` : ''}${vmlinux?.sha256 ? `, sha256 ${vmlinux.sha256}` : ''}`]);
  rows.push(['Use', useWords(report)]);
  rows.push(['Mode', report.mode === 'module' ? 'module (links against exports)' : 'built-in (links into vmlinux)']);
  rows.push(['Catalogue', `${report.catalogue.version}, ${report.catalogue.entries} build primitives, sha256 ${report.catalogue.digest}`]);
  if (report.waivers) rows.push(['Waivers', `${report.waivers.path}, sha256 ${report.waivers.sha256}`]);
  rows.push(['Verified at', report.time ? `${report.time.at} (from ${report.time.source})` : 'not recorded']);
  rows.push(['Tool', `relinkable ${report.tool.version}${report.tool.commit ? ` (commit ${report.tool.commit})` : ''}, Node ${report.tool.node}`]);
  return rows;
}

/** The summary table: severity, what it means, findings, of them waived. */
export function summaryRows(report: Report): [Severity, string, number, number][] {
  return SEVERITIES.map((s) => [s, SEVERITY_TITLES[s], report.summary[s], report.findings.filter((f) => f.severity === s && f.waived).length]);
}

/** Coverage: what could not be compared, and why. */
export function coverageLines(report: Report): { counts: string; gaps: string[] } {
  const c = report.coverage;
  const part = (label: string, x: { compared: number; notCompared: readonly unknown[] }) => `${x.compared} of ${x.compared + x.notCompared.length} ${label}`;
  return {
    counts: `Compared ${part('called functions', c.functions)}, ${part('imported variables', c.variables)}, ${part('owned kernel types', c.ownedTypes)}; from ${c.sources.join(', ') || 'nothing'}.`,
    gaps: [
      ...[...c.functions.notCompared, ...c.variables.notCompared, ...c.ownedTypes.notCompared].map(
        (x) => `${x.name}${report.frozen.length > 1 ? ` (${x.object.slice(x.object.lastIndexOf('/') + 1)})` : ''}: ${x.why}`,
      ),
      ...c.withoutDwarf.map((p) => `${p} has no DWARF: its interface could not be read`),
    ],
  };
}
