import { declarationDiff } from './declaration-diff.js';
import { FINDING_KINDS, SEVERITIES, atLeast, docPage, isDecisive, messageOf, type Candidate, type Evidence, type Finding, type FindingId, type Severity, type Site } from '../findings/index.js';
import type { CatalogueRecord, CoverageRecord, FrozenRecord, InputRecord, KernelRecord, RunRecord, TimeRecord, Waiver } from '../run/record.js';

export const REPORT_FORMAT = 'relinkable-report';
/** Bumped on any change a consumer of the JSON could notice; docs/report-format.md describes each version. */
export const REPORT_FORMAT_VERSION = 7;

export type Verdict = 'relinkable' | 'at-risk' | 'will-not-link';

export interface ReportFinding {
  readonly id: FindingId;
  readonly title: string;
  readonly severity: Severity;
  /** A fact that changes what every other finding means: such findings come first. */
  readonly decisive: boolean;
  readonly object: string;
  readonly symbol: string | null;
  readonly message: string;
  readonly before: string | null;
  readonly after: string | null;
  readonly evidence: readonly Evidence[];
  /** Where the root cause shows up, each place with its own evidence; empty when the finding is about one place. */
  readonly sites: readonly ReportSite[];
  readonly candidates: readonly Candidate[];
  /** Within a severity, lower ranks come first (0: the frozen object owns storage of the changed type). */
  readonly rank: number | null;
  /** Unified diff of before and after, when they are declarations. */
  readonly diff: string | null;
  /** The signatures/ catalogue entry of a build-primitive finding. */
  readonly signature: string | null;
  readonly docs: string;
  /** The waiver that accepts the finding (it then counts toward no --fail-on), or null. */
  readonly waived: ReportWaiver | null;
}

/** A waiver as the report names it: its place in the waivers file, and who accepted what until when. */
export interface ReportWaiver {
  readonly line: number;
  readonly justification: string;
  readonly approver: string;
  readonly expires: string;
}

/** The waivers file, and what became of its waivers. */
export interface ReportWaivers {
  readonly path: string;
  readonly sha256: string;
  /** How many findings each waiver accepted, in the order of the file; expired and stale ones below. */
  readonly applied: readonly (Waiver & { readonly findings: number })[];
  /** Past their expiry: they accept nothing, and are listed so that someone renews or removes them. */
  readonly expired: readonly Waiver[];
  /** In force, matching no finding: a gate whose waivers no longer match anything is rotting. */
  readonly stale: readonly Waiver[];
}

/** --fail-on applied to the findings no waiver accepts. */
export interface ReportGate {
  readonly failOn: Severity | 'never';
  readonly result: 'passed' | 'failed';
  /** Findings at or above failOn that no waiver accepts. */
  readonly failing: number;
  readonly waived: number;
}

export interface ReportSite {
  readonly symbol: string;
  readonly detail: string | null;
  readonly evidence: readonly Evidence[];
}

/** A frozen object as the report lists it. */
export type ReportFrozenObject = FrozenRecord;

export interface Report {
  readonly format: typeof REPORT_FORMAT;
  readonly formatVersion: number;
  readonly tool: { readonly name: 'relinkable'; readonly version: string; readonly commit: string | null; readonly node: string };
  /** The time the run judged at, and where it came from; null when nothing asked for one. */
  readonly time: TimeRecord | null;
  readonly verdict: Verdict;
  readonly mode: RunRecord['mode'];
  /** relinked, or as-is: what every finding was judged under. */
  readonly use: RunRecord['use'];
  readonly useFrom: RunRecord['useFrom'];
  readonly frozen: readonly ReportFrozenObject[];
  readonly kernel: KernelRecord;
  readonly summary: Readonly<Record<Severity, number>>;
  /** What the interface comparison covered, and what it could not compare, with why. */
  readonly coverage: CoverageRecord;
  /** The build-primitive catalogue the report was made with. */
  readonly catalogue: CatalogueRecord;
  /** Every file the run read, with its role, size and sha256 (null unless the run hashed its inputs). */
  readonly inputs: readonly InputRecord[];
  /** The checks that ran and the finding ids each can report. */
  readonly checks: RunRecord['checks'];
  readonly waivers: ReportWaivers | null;
  readonly gate: ReportGate;
  readonly findings: readonly ReportFinding[];
}

export interface ReportOptions {
  /** The --fail-on threshold the gate result is computed with. */
  readonly failOn: Severity | 'never';
}

export function verdictOf(severities: Iterable<Severity>): Verdict {
  let verdict: Verdict = 'relinkable';
  for (const s of severities) {
    if (s === 'link') return 'will-not-link';
    if (s !== 'info') verdict = 'at-risk';
  }
  return verdict;
}

/** The versioned report of one run: the record's facts, each finding's message and diff rendered. */
export function buildReport(record: RunRecord, version: string, options: ReportOptions = { failOn: 'runtime' }): Report {
  const summary = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of record.findings) summary[f.severity]++;
  const w = record.waivers;
  const waiverOf = (i: number): Waiver | null => {
    const applied = w?.applied[i];
    return applied === null || applied === undefined ? null : w!.waivers[applied]!;
  };
  const failOn = options.failOn;
  const failing = record.findings.filter((f, i) => failOn !== 'never' && atLeast(f.severity, failOn) && waiverOf(i) === null).length;
  return {
    format: REPORT_FORMAT,
    formatVersion: REPORT_FORMAT_VERSION,
    tool: { name: 'relinkable', version, commit: record.tool.commit, node: record.tool.node },
    time: record.time,
    verdict: verdictOf(record.findings.map((f) => f.severity)),
    mode: record.mode,
    use: record.use,
    useFrom: record.useFrom,
    frozen: record.frozen,
    kernel: record.kernel,
    summary,
    coverage: record.coverage,
    catalogue: record.catalogue,
    inputs: record.inputs,
    checks: record.checks,
    waivers: w
      ? {
          path: w.path,
          sha256: w.sha256,
          applied: w.waivers.flatMap((waiver, i) => {
            const findings = w.applied.filter((a) => a === i).length;
            return findings > 0 ? [{ ...waiver, findings }] : [];
          }),
          expired: w.expired.map((i) => w.waivers[i]!),
          stale: w.stale.map((i) => w.waivers[i]!),
        }
      : null,
    gate: { failOn, result: failing > 0 ? 'failed' : 'passed', failing, waived: w ? w.applied.filter((a) => a !== null).length : 0 },
    findings: record.findings.map((f, i) => ({ ...toReportFinding(f), waived: reportWaiver(waiverOf(i)) })),
  };
}

/** A finding as a report lists it: its message rendered, its title, page and diff. */
export function toReportFinding(f: Finding): Omit<ReportFinding, 'waived'> {
  return {
    id: f.id,
    title: FINDING_KINDS[f.id].title,
    severity: f.severity,
    decisive: isDecisive(f.id),
    object: f.object,
    symbol: f.symbol ?? null,
    message: messageOf(f),
    before: f.before ?? null,
    after: f.after ?? null,
    evidence: f.evidence.map(compactEvidence),
    sites: (f.sites ?? []).map(reportSite),
    candidates: f.candidates ?? [],
    rank: f.rank ?? null,
    diff: f.declarations && f.before !== undefined && f.after !== undefined ? declarationDiff(f.before, f.after) : null,
    signature: f.signature ?? null,
    docs: docPage(f.id),
  };
}

function reportWaiver(w: Waiver | null): ReportWaiver | null {
  return w && { line: w.line, justification: w.justification, approver: w.approver, expires: w.expires };
}

function reportSite(s: Site): ReportSite {
  return { symbol: s.symbol, detail: s.detail ?? null, evidence: s.evidence.map(compactEvidence) };
}

/** Evidence with its undefined fields dropped, so the JSON has no nulls that mean "not applicable". */
function compactEvidence(e: Evidence): Evidence {
  return Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined)) as unknown as Evidence;
}
