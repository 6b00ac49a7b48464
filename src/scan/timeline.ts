import { basename } from 'node:path';
import { atLeast, type Severity } from '../findings/index.js';
import type { ScanState, StateCell, StateFinding, StateRelease } from './state.js';

/**
 * The timeline a scan state gives: objects × releases in version order, each cell's verdict,
 * the first release that breaks each object (a finding at or above --fail-on) with the
 * findings that break it, and what is new since the previous state. Built from states
 * alone, so a merge of shards renders what one run renders.
 */

export const TIMELINE_FORMAT = 'relinkable-scan';
export const TIMELINE_FORMAT_VERSION = 1;

export interface Timeline {
  readonly format: typeof TIMELINE_FORMAT;
  readonly formatVersion: number;
  readonly failOn: Severity | 'never';
  readonly releases: readonly StateRelease[];
  readonly objects: readonly TimelineObject[];
  /** The cells the previous state did not have, with the findings each has that the object's cell of the release before it had not. */
  readonly changes: readonly TimelineChange[];
  /** The newest release, and whether a cell of it breaks (what the exit code says). */
  readonly newest: { readonly release: string; readonly breaks: boolean } | null;
}

export interface TimelineObject {
  readonly path: string;
  readonly sha256: string;
  /** One per release, in release order; null where this object was not scanned against it. */
  readonly cells: readonly ({ readonly verdict: string; readonly breaks: boolean; readonly findings: readonly StateFinding[] } | null)[];
  readonly firstBreak: { readonly release: string; readonly findings: readonly StateFinding[] } | null;
}

export interface TimelineChange {
  readonly object: string;
  readonly release: string;
  readonly verdict: string;
  readonly newFindings: readonly StateFinding[];
}

const sameFinding = (a: StateFinding, b: StateFinding) => a.id === b.id && a.subject === b.subject;

export function buildTimeline(state: ScanState, previous: ScanState, failOn: Severity | 'never'): Timeline {
  const breaking = (f: StateFinding) => failOn !== 'never' && atLeast(f.severity, failOn);
  const cellOf = new Map(state.cells.map((c) => [`${c.object}\0${c.release}`, c]));
  const before = new Set(previous.cells.map((c) => `${c.object}\0${c.release}`));
  const objects: TimelineObject[] = state.objects.map((o) => {
    const cells = state.releases.map((r) => {
      const c = cellOf.get(`${o.sha256}\0${r.release}`);
      return c ? { verdict: c.verdict, breaks: c.findings.some(breaking), findings: c.findings } : null;
    });
    const first = cells.findIndex((c) => c?.breaks);
    return {
      path: o.path,
      sha256: o.sha256,
      cells,
      firstBreak: first < 0 ? null : { release: state.releases[first]!.release, findings: cells[first]!.findings.filter(breaking) },
    };
  });
  const changes: TimelineChange[] = [];
  for (const c of state.cells) {
    if (before.has(`${c.object}\0${c.release}`)) continue;
    const index = state.releases.findIndex((r) => r.release === c.release);
    let earlier: StateCell | undefined;
    for (let i = index - 1; i >= 0 && !earlier; i--) earlier = cellOf.get(`${c.object}\0${state.releases[i]!.release}`);
    const path = state.objects.find((o) => o.sha256 === c.object)?.path ?? c.object;
    changes.push({
      object: path,
      release: c.release,
      verdict: c.verdict,
      newFindings: c.findings.filter((f) => f.severity !== 'info' && !earlier?.findings.some((g) => sameFinding(f, g))),
    });
  }
  const newestRelease = state.releases.at(-1);
  const newest = newestRelease
    ? { release: newestRelease.release, breaks: state.cells.some((c) => c.release === newestRelease.release && c.findings.some(breaking)) }
    : null;
  return { format: TIMELINE_FORMAT, formatVersion: TIMELINE_FORMAT_VERSION, failOn, releases: state.releases, objects, changes, newest };
}

const MARK: Record<string, string> = { relinkable: 'ok', 'at-risk': 'risk', 'will-not-link': 'LINK' };
const mark = (c: TimelineObject['cells'][number]) => (c ? `${MARK[c.verdict] ?? c.verdict}${c.breaks ? '!' : ''}` : '-');
const label = (r: StateRelease) => r.version;
const findingText = (f: StateFinding) => (f.subject ? `${f.id} ${f.subject}` : f.id);
/** Findings of one kind are listed once, with how many subjects they have. */
function summarise(findings: readonly StateFinding[]): string {
  const byId = new Map<string, StateFinding[]>();
  for (const f of findings) byId.set(f.id, [...(byId.get(f.id) ?? []), f]);
  return [...byId].map(([id, fs]) => (fs.length === 1 ? findingText(fs[0]!) : `${id} (${fs.length}: ${fs.slice(0, 3).map((f) => f.subject ?? '-').join(', ')}${fs.length > 3 ? ', …' : ''})`)).join('; ');
}

export function renderTimelineText(t: Timeline): string {
  const lines: string[] = [];
  lines.push(`relinkable scan: ${t.objects.length} object(s) × ${t.releases.length} release(s), fail on ${t.failOn}`);
  lines.push('cells: ok relinkable, risk at risk, LINK will not link, ! breaks (a finding at or above --fail-on), - not scanned');
  lines.push('');
  const names = t.objects.map((o) => basename(o.path));
  const nameWidth = Math.max(6, ...names.map((n) => n.length));
  const widths = t.releases.map((r) => Math.max(label(r).length, 5));
  lines.push(['object'.padEnd(nameWidth), ...t.releases.map((r, i) => label(r).padEnd(widths[i]!))].join('  ').trimEnd());
  t.objects.forEach((o, k) => lines.push([names[k]!.padEnd(nameWidth), ...o.cells.map((c, i) => mark(c).padEnd(widths[i]!))].join('  ').trimEnd()));
  lines.push('');
  lines.push('first release that breaks each object:');
  t.objects.forEach((o, k) => lines.push(`  ${names[k]!.padEnd(nameWidth)}  ${o.firstBreak ? `${o.firstBreak.release}: ${summarise(o.firstBreak.findings)}` : 'none'}`));
  const light = t.releases.filter((r) => r.kind === 'light');
  if (light.length) {
    lines.push('');
    lines.push(`light kernels (${light.map((r) => r.release).join(', ')}) could not check:`);
    for (const l of [...new Set(light.flatMap((r) => r.lacking))]) lines.push(`  ${l}`);
  }
  lines.push('');
  lines.push(`new since the previous run (${t.changes.length} cell(s)):`);
  for (const c of t.changes) {
    if (c.newFindings.length) lines.push(`  ${basename(c.object)} against ${c.release}: ${c.verdict}; new: ${summarise(c.newFindings)}`);
  }
  const quiet = t.changes.filter((c) => c.newFindings.length === 0).length;
  if (quiet) lines.push(`  ${quiet} cell(s) with no finding the release before did not have`);
  return `${lines.join('\n')}\n`;
}

export function renderTimelineMarkdown(t: Timeline): string {
  const lines: string[] = [];
  lines.push(`## relinkable scan: ${t.objects.length} object(s) × ${t.releases.length} release(s)`);
  lines.push('');
  lines.push(`Cells: ok relinkable, risk at risk, LINK will not link; **bold** breaks (a finding at or above ${t.failOn}); - not scanned.`);
  lines.push('');
  lines.push(`| object | ${t.releases.map(label).join(' | ')} | first break |`);
  lines.push(`|---|${t.releases.map(() => '---').join('|')}|---|`);
  for (const o of t.objects) {
    const cells = o.cells.map((c) => (c?.breaks ? `**${mark(c).replace('!', '')}**` : mark(c)));
    lines.push(`| \`${basename(o.path)}\` | ${cells.join(' | ')} | ${o.firstBreak ? `${o.firstBreak.release}: ${summarise(o.firstBreak.findings).replace(/\|/g, '\\|')}` : 'none'} |`);
  }
  const light = t.releases.filter((r) => r.kind === 'light');
  if (light.length) {
    lines.push('');
    lines.push(`Light kernels (${light.map((r) => r.release).join(', ')}) could not check:`);
    lines.push('');
    for (const l of [...new Set(light.flatMap((r) => r.lacking))]) lines.push(`- ${l}`);
  }
  lines.push('');
  lines.push(`### New since the previous run`);
  lines.push('');
  const changed = t.changes.filter((c) => c.newFindings.length);
  for (const c of changed) lines.push(`- \`${basename(c.object)}\` against ${c.release}: ${c.verdict}; new: ${summarise(c.newFindings)}`);
  if (changed.length === 0) lines.push('- nothing new');
  return `${lines.join('\n')}\n`;
}

export function renderTimelineJson(t: Timeline): string {
  return `${JSON.stringify(t, null, 2)}\n`;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** One self-contained page: the same table, first breaks and news as the Markdown, escaped (object paths and finding subjects come from the inputs). */
export function renderTimelineHtml(t: Timeline): string {
  const e = escapeHtml;
  const out: string[] = [];
  out.push('<!DOCTYPE html>', '<html lang="en">', '<head>', '<meta charset="utf-8">', `<title>relinkable scan: ${t.objects.length} object(s) × ${t.releases.length} release(s)</title>`);
  out.push('<style>body{font-family:sans-serif}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;font-family:monospace}.breaks{background:#f8d7da;font-weight:bold}.risk{background:#fff3cd}</style>', '</head>', '<body>');
  out.push(`<h1>relinkable scan: ${t.objects.length} object(s) × ${t.releases.length} release(s)</h1>`);
  out.push(`<p>Cells: ok relinkable, risk at risk, LINK will not link; highlighted: breaks (a finding at or above ${e(t.failOn)}); - not scanned.</p>`);
  out.push('<table>', `<tr><th>object</th>${t.releases.map((r) => `<th title="${e(r.release)}">${e(label(r))}</th>`).join('')}<th>first break</th></tr>`);
  for (const o of t.objects) {
    const cells = o.cells.map((c) => `<td${c?.breaks ? ' class="breaks"' : c?.verdict === 'at-risk' ? ' class="risk"' : ''}>${e(mark(c).replace('!', ''))}</td>`).join('');
    out.push(`<tr><td title="${e(o.path)}">${e(basename(o.path))}</td>${cells}<td>${o.firstBreak ? `${e(o.firstBreak.release)}: ${e(summarise(o.firstBreak.findings))}` : 'none'}</td></tr>`);
  }
  out.push('</table>');
  const light = t.releases.filter((r) => r.kind === 'light');
  if (light.length) {
    out.push(`<p>Light kernels (${e(light.map((r) => r.release).join(', '))}) could not check:</p>`, '<ul>');
    for (const l of [...new Set(light.flatMap((r) => r.lacking))]) out.push(`<li>${e(l)}</li>`);
    out.push('</ul>');
  }
  out.push('<h2>New since the previous run</h2>', '<ul>');
  const changed = t.changes.filter((c) => c.newFindings.length);
  for (const c of changed) out.push(`<li><code>${e(basename(c.object))}</code> against ${e(c.release)}: ${e(c.verdict)}; new: ${e(summarise(c.newFindings))}</li>`);
  if (changed.length === 0) out.push('<li>nothing new</li>');
  out.push('</ul>', '</body>', '</html>');
  return `${out.join('\n')}\n`;
}
