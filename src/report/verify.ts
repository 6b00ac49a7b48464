import { SEVERITIES, type Severity } from '../findings/index.js';
import type { InputRecord, TimeRecord, VerifiedObjectRecord, VerifyRecord } from '../run/record.js';
import { toReportFinding, type ReportFinding } from './report.js';
import { describeEvidence } from './text.js';

export const VERIFY_REPORT_FORMAT = 'relinkable-verify-report';
/** Bumped on any change a consumer of the JSON could notice (docs/verify.md). */
export const VERIFY_REPORT_FORMAT_VERSION = 2;

/**
 * identical: every compared byte is the certified byte with the relocations applied, and
 * every allocated section was placed, merged or discarded by the script; differs: anything
 * else (a finding above info says what).
 */
export type VerifyVerdict = 'identical' | 'differs';

export interface VerifyReport {
  readonly format: typeof VERIFY_REPORT_FORMAT;
  readonly formatVersion: number;
  readonly tool: { readonly name: 'relinkable'; readonly version: string; readonly commit: string | null; readonly node: string };
  /** The time the run was made at, when recorded (the evidence formats always record it). */
  readonly time: TimeRecord | null;
  readonly verdict: VerifyVerdict;
  readonly linked: VerifyRecord['linked'];
  readonly objects: readonly VerifiedObjectRecord[];
  readonly integrity: VerifyRecord['integrity'];
  readonly placeholders: VerifyRecord['placeholders'];
  readonly summary: Readonly<Record<Severity, number>>;
  readonly findings: readonly Omit<ReportFinding, 'waived'>[];
  /** Every file the run opened, with its role, size and (for evidence) sha256. */
  readonly inputs: readonly InputRecord[];
}

export function buildVerifyReport(record: VerifyRecord): VerifyReport {
  const summary = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of record.findings) summary[f.severity]++;
  return {
    format: VERIFY_REPORT_FORMAT,
    formatVersion: VERIFY_REPORT_FORMAT_VERSION,
    tool: { name: 'relinkable', ...record.tool },
    time: record.time,
    verdict: record.findings.every((f) => f.severity === 'info') ? 'identical' : 'differs',
    linked: record.linked,
    objects: record.objects,
    integrity: record.integrity,
    placeholders: record.placeholders,
    summary,
    findings: record.findings.map(toReportFinding),
    inputs: record.inputs,
  };
}

export function renderVerifyJson(report: VerifyReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** The text report: the verdict, the linked file, per object where each section went and what was compared, then the findings. */
export function renderVerifyText(report: VerifyReport): string {
  const lines: string[] = [];
  const l = report.linked;
  lines.push(`relinkable verify ${report.tool.version}: ${report.verdict === 'identical' ? 'IDENTICAL (modulo relocations)' : 'DIFFERS'}`);
  if (l) lines.push(`linked ${l.kind}: ${l.path} (${l.machine}, ${l.size} bytes${l.buildId ? `, build-id ${l.buildId}` : ''})`);
  if (l?.linkerScript) lines.push(`linker script: ${l.linkerScript}`);
  for (const c of report.integrity) {
    lines.push('');
    lines.push(`integrity scheme ${c.scheme}: ${c.file}`);
    for (const i of c.items) lines.push(`  ${i.ok ? 'agrees' : 'DIFFERS'}: ${i.what}\n    stored:     ${i.expected}\n    recomputed: ${i.found}`);
    for (const r of c.refusedRelocations) lines.push(`  refused by the reverter: ${r.type} at ${r.section}+0x${r.offset.toString(16)}`);
  }
  const p = report.placeholders;
  if (p) {
    lines.push('');
    lines.push(`placeholder ABI: ${p.kernel} against ${p.module}: ${p.matched} placeholders on both sides, ${p.unfilled.length} only in the kernel, ${p.missing.length} only in the module's key tables`);
  }
  for (const o of report.objects) {
    lines.push('');
    lines.push(`frozen object ${o.path} (sha256 ${o.sha256}, ${o.size} bytes)`);
    lines.push(`  ${o.bytesCompared} bytes compared in ${o.compared.length} sections, ${o.relocatedFields} relocated fields equal to the computed value`);
    for (const s of o.sections) {
      const at = s.address ? ` -> ${s.linkedSection} ${s.address}` : '';
      const c = o.compared.find((x) => x.section === s.name);
      const result = c ? `; ${c.differingBytes === 0 ? 'identical' : c.differingBytes === 1 ? '1 byte differs' : `${c.differingBytes} bytes differ`}, ${c.relocatedFields} relocated fields` : '';
      lines.push(`  ${s.name} (${s.size} bytes)${at}: ${s.placement}${result}`);
    }
    for (const p of o.padding) lines.push(`  padding: ${p.bytes} bytes at ${p.linkedSection} ${p.address} between ${p.after} and ${p.before} (${p.fill}): the linker's alignment fill, not the object's bytes`);
    if (o.patchSites?.length === 0) lines.push(`  no place inside the object's bytes is rewritten by the kernel at boot or run time (tables read: ${o.patchTables!.join(', ')})`);
    else if (o.patchSites) {
      lines.push(`  ${o.patchSites.length} places inside the object's bytes the kernel rewrites at boot or run time (from ${o.patchTables!.join(', ')}):`);
      for (const s of o.patchSites) lines.push(`    ${s.table}: ${s.section}+${s.offset}${s.within ? ` (${s.within})` : ''} ${s.address}: ${s.writes}`);
    }
  }
  const hashed = report.inputs.filter((i) => i.sha256 !== null);
  if (hashed.length > 0) {
    lines.push('');
    lines.push('inputs:');
    for (const i of hashed) lines.push(`  ${i.role}  ${i.path}  ${i.size} bytes  sha256 ${i.sha256}`);
  }
  lines.push('');
  if (report.findings.length === 0) lines.push('no findings');
  for (const f of report.findings) {
    lines.push(`${f.severity}  ${f.id}  ${f.symbol ?? ''}  [${f.object}]`);
    lines.push(`  ${f.message}`);
    if (f.before !== null) lines.push(`  before: ${f.before}`);
    if (f.after !== null) lines.push(`  after:  ${f.after}`);
    for (const e of f.evidence) lines.push(`  ${describeEvidence(e)}`);
    for (const s of f.sites) lines.push(`    ${s.symbol}${s.detail ? `: ${s.detail}` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}
