import type { Evidence } from '../findings/index.js';
import { SEVERITIES, SEVERITY_TITLES, type Severity } from '../findings/index.js';
import { someNames } from '../findings/prose.js';
import type { Report, ReportFinding, Verdict } from './report.js';

export interface TextOptions {
  readonly color: boolean;
}

const ANSI = { reset: '\x1b[0m', bold: '\x1b[1m', dim: '\x1b[2m', red: '\x1b[31m', yellow: '\x1b[33m', magenta: '\x1b[35m', cyan: '\x1b[36m', green: '\x1b[32m' };
const SEVERITY_COLOR: Record<Severity, string> = { link: ANSI.red, runtime: ANSI.magenta, warning: ANSI.yellow, review: ANSI.cyan, info: ANSI.dim };
const VERDICT_TEXT: Record<Verdict, string> = { 'will-not-link': 'WILL NOT LINK', 'at-risk': 'AT RISK', relinkable: 'RELINKABLE' };
const VERDICT_COLOR: Record<Verdict, string> = { 'will-not-link': ANSI.red, 'at-risk': ANSI.yellow, relinkable: ANSI.green };

type Paint = (code: string, s: string) => string;

export function describeEvidence(e: Evidence): string {
  const where = [e.file, e.section && (e.offset ? `${e.section}+${e.offset}` : e.section), e.location].filter(Boolean).join(' ');
  const sym = e.symbol ? (e.label === 'reference' ? ` in ${e.symbol}` : ` ${e.symbol}`) : '';
  const addr = !e.section && e.offset ? ` @${e.offset}` : '';
  const detail = e.detail ? ` (${e.detail})` : '';
  return `${e.label}: ${where}${sym}${addr}${detail}`;
}

/**
 * How the text report names the inputs after its header: the header gives each frozen object
 * and each file of the new kernel once, in full; below it a frozen object is its file name
 * (its path as given when two share a name), vmlinux, Module.symvers, .config and System.map
 * are those words, and any other file under the kernel root is relative to it. Paths are
 * replaced wherever they appear (evidence, before/after, messages); the JSON report keeps
 * them whole.
 */
export function pathNames(report: Report): (text: string) => string {
  const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);
  const names = report.frozen.map((f) => base(f.path));
  const replacements: [string, string][] = report.frozen.map((f, i) => [f.path, names.indexOf(names[i]!) === names.lastIndexOf(names[i]!) ? names[i]! : f.path]);
  const k = report.kernel;
  for (const [label, path] of [
    ['vmlinux', k.vmlinux.path],
    ['Module.symvers', k.symvers],
    ['.config', k.config],
    ['System.map', k.systemMap],
  ] as const) {
    if (path) replacements.push([path, label]);
  }
  const root = k.root?.replace(/\/+$/, '');
  // Longest first, so that a path is never replaced by a shorter one it starts with.
  const ordered = replacements.filter(([from, to]) => from !== to).sort(([a], [b]) => b.length - a.length);
  const PATH_CHAR = '[\\w.+/-]';
  const patterns = ordered.map(([from, to]) => [new RegExp(`(?<!${PATH_CHAR})${escape(from)}(?!${PATH_CHAR})`, 'g'), to] as const);
  const under = root ? new RegExp(`(?<!${PATH_CHAR})${escape(root)}/(?=${PATH_CHAR})`, 'g') : undefined;
  return (text) => {
    let out = text;
    for (const [re, to] of patterns) out = out.replace(re, to);
    return under ? out.replace(under, '') : out;
  };
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The report for a terminal or a CI log: decisive findings first, then grouped by severity, colour only when asked. */
export function renderText(report: Report, options: TextOptions): string {
  const c: Paint = (code, s) => (options.color ? `${code}${s}${ANSI.reset}` : s);
  const name = pathNames(report);
  const shown = { object: report.frozen.length > 1, name };
  const lines: string[] = [];
  lines.push(`${c(ANSI.bold, `relinkable ${report.tool.version}`)}: ${c(VERDICT_COLOR[report.verdict] + ANSI.bold, VERDICT_TEXT[report.verdict])}`);

  const decisive = report.findings.filter((f) => f.decisive);
  if (decisive.length) {
    lines.push('');
    lines.push(c(ANSI.bold, `DECISIVE (${decisive.length})`));
    for (const f of decisive) lines.push(...renderFinding(f, c, shown));
  }

  lines.push('');
  for (const f of report.frozen) {
    lines.push(`frozen  ${f.path}  ${f.machine}${f.module ? `, module ${f.module}` : ''}, ${f.size} bytes, sha256 ${f.sha256}`);
    lines.push(`        replaces ${f.replaces.found ? `${f.replaces.name} (${f.replaces.how}; relinked into ${f.replaces.target})` : `nothing found: ${f.replaces.reason}`}`);
  }
  const k = report.kernel;
  const root = k.root?.replace(/\/+$/, '');
  const relative = (p: string) => (root && p.startsWith(`${root}/`) ? p.slice(root.length + 1) : p);
  lines.push(`kernel  ${k.root ?? k.vmlinux.path}  ${k.layout}${k.release ? `, release ${k.release}` : ''}`);
  const parts: [string, string | null][] = [
    ['vmlinux', k.vmlinux.path],
    ['Module.symvers', k.symvers],
    ['.config', k.config],
    ['System.map', k.systemMap],
    ['linker script', k.linkerScript],
    ['vmlinux.a', k.vmlinuxArchive],
  ];
  const width = Math.max(...parts.filter(([, p]) => p).map(([n]) => n.length));
  for (const [label, path] of parts) if (path) lines.push(`        ${label.padEnd(width)}  ${relative(path)}`);
  const missing = parts.filter(([, p]) => !p).map(([n]) => n);
  lines.push(`        exports from ${k.exportsFrom}${missing.length ? `; not found: ${missing.join(', ')}` : ''}`);
  lines.push(
    `        input: ${k.input.kind} kernel (${k.input.image === 'vmlinuz' ? `vmlinux out of vmlinuz, ${k.input.compression}` : 'vmlinux'}; symbols from ${k.input.symbols}; types from ${k.input.types.join(' and ') || 'nothing'})`,
  );
  for (const l of k.input.lacking) lines.push(`        without the -dbg package: ${l}`);
  lines.push(`        mode: ${report.mode === 'module' ? 'module (links against exports)' : 'built-in (links into vmlinux)'}`);
  lines.push(
    `        use: ${
      report.use === 'as-is'
        ? "as is (the .ko's bytes are loaded unchanged: its CRCs, struct module, vermagic, BTF and signature meet the new loader)"
        : "relinked (the new tree's kbuild links the objects and writes the module metadata anew)"
    }${report.useFrom === 'input' ? (report.use === 'as-is' ? '; a .ko, so as is unless --relink' : '; objects, so relinked') : ''}`,
  );
  const cov = report.coverage;
  const part = (label: string, x: { compared: number; notCompared: readonly unknown[] }) =>
    `${x.compared} of ${x.compared + x.notCompared.length} ${label}`;
  lines.push(
    `compared ${part('called functions', cov.functions)}, ${part('imported variables', cov.variables)}, ${part('owned kernel types', cov.ownedTypes)}; from ${cov.sources.join(', ') || 'nothing'}`,
  );
  // In a set, the same import can go uncompared in several objects: each says which.
  const of = (object: string) => (report.frozen.length > 1 ? ` (${name(object)})` : '');
  for (const x of [...cov.functions.notCompared, ...cov.variables.notCompared, ...cov.ownedTypes.notCompared]) {
    lines.push(`        not compared: ${x.name}${of(x.object)}: ${x.why}`);
  }
  for (const path of cov.withoutDwarf) lines.push(`        not compared: ${name(path)} has no DWARF: its interface could not be read`);
  const cat = report.catalogue;
  lines.push(`catalogue ${cat.version} (${cat.entries} build primitives, sha256 ${cat.digest.slice(0, 16)}…)`);
  for (const n of cat.notChecked ?? []) lines.push(`        not checked on ${n.architecture}: ${n.id}: ${n.why}`);

  for (const severity of SEVERITIES) {
    const group = report.findings.filter((f) => f.severity === severity);
    if (group.length === 0) continue;
    lines.push('');
    lines.push(c(SEVERITY_COLOR[severity] + ANSI.bold, `${SEVERITY_TITLES[severity].toUpperCase()} (${group.length})`));
    for (const f of group) lines.push(...(f.decisive ? [`${heading(f, c, shown)}  (shown first, above)`] : renderFinding(f, c, shown)));
  }
  lines.push('');
  const counts = SEVERITIES.filter((s) => report.summary[s] > 0).map((s) => `${report.summary[s]} ${s}`);
  lines.push(`summary: ${counts.length ? counts.join(', ') : 'no findings'}`);
  const w = report.waivers;
  if (w) {
    lines.push(`waivers ${w.path}: ${report.gate.waived} finding${report.gate.waived === 1 ? '' : 's'} waived by ${w.applied.length} waiver${w.applied.length === 1 ? '' : 's'}`);
    for (const x of w.expired) lines.push(`        expired (line ${x.line}, ${x.id}, until ${x.expires}): waives nothing`);
    for (const x of w.stale) lines.push(`        stale (line ${x.line}, ${x.id}): matched no finding`);
  }
  return `${lines.join('\n')}\n`;
}

/** Diff lines shown per finding in the terminal; the JSON report carries the whole diff. */
const DIFF_LINES = 14;
/** Sites shown with their detail, one line each (the most direct first); the others are named on one line. */
const SITE_LINES = 3;
/** Sites named on one line, this many at most; the JSON report lists them all. */
const SITE_NAMES = 12;
/** Findings ranked this far down (the deeper type closure) get one line each. */
const COMPACT_RANK = 3;

interface Shown {
  /** Name the frozen object on each finding (more than one was given). */
  readonly object: boolean;
  readonly name: (text: string) => string;
}

function heading(f: ReportFinding, c: Paint, shown: Shown): string {
  const sites = f.sites.length ? `  (${f.sites.length} site${f.sites.length > 1 ? 's' : ''})` : '';
  return `  ${c(ANSI.bold, f.id)}${f.symbol ? `  ${f.symbol}` : ''}${f.signature ? `  (${f.signature})` : ''}${sites}${shown.object ? `  [${shown.name(f.object)}]` : ''}`;
}

function renderFinding(f: ReportFinding, c: Paint, shown: Shown): string[] {
  const { name } = shown;
  const out: string[] = [];
  out.push(heading(f, c, shown));
  if (f.waived) out.push(`    ${c(ANSI.bold, 'WAIVED')} until ${f.waived.expires} by ${f.waived.approver} (waivers line ${f.waived.line}): ${f.waived.justification}`);
  out.push(`    ${name(f.message)}`);
  if (f.rank !== null && f.rank >= COMPACT_RANK) return out;
  if (f.diff !== null) {
    const lines = f.diff.split('\n');
    for (const line of lines.slice(0, DIFF_LINES)) {
      const color = line.startsWith('+') && !line.startsWith('+++') ? ANSI.green : line.startsWith('-') && !line.startsWith('---') ? ANSI.red : '';
      out.push(`    ${color ? c(color, line) : line}`);
    }
    if (lines.length > DIFF_LINES) out.push(`    ${c(ANSI.dim, `… ${lines.length - DIFF_LINES} more diff lines (--format json has them all)`)}`);
  } else if (f.before !== null || f.after !== null) {
    if (f.before !== null) out.push(`    before: ${name(f.before)}`);
    if (f.after !== null) out.push(`    after:  ${name(f.after)}`);
  }
  if (f.candidates.length) {
    out.push(`    rename candidates: ${f.candidates.map((x) => `${x.name} (${x.score.toFixed(2)}, ${x.reason})`).join('; ')}`);
  }
  if (f.sites.length && f.sites.every((s) => s.detail === null)) {
    out.push(`    at ${someNames(f.sites.map((s) => s.symbol), SITE_NAMES)}`);
  } else if (f.sites.length) {
    for (const s of f.sites.slice(0, SITE_LINES)) out.push(`    at ${s.symbol}${s.detail ? `: ${name(s.detail)}` : ''}`);
    const rest = f.sites.slice(SITE_LINES).map((s) => s.symbol);
    if (rest.length) out.push(`    and ${rest.length} more: ${someNames(rest, SITE_NAMES)} ${c(ANSI.dim, '(--format json has each with its evidence)')}`);
  }
  // A finding of one site is about one place, as in a report without sites: its evidence is shown.
  const evidence = f.sites.length === 1 ? [...f.sites[0]!.evidence, ...f.evidence] : f.evidence;
  for (const e of evidence) out.push(`    ${c(ANSI.dim, name(describeEvidence(e)))}`);
  out.push(`    ${c(ANSI.dim, `docs: ${f.docs}`)}`);
  return out;
}
