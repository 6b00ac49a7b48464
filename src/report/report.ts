import { declarationDiff } from './declaration-diff.js';
import { FINDING_KINDS, SEVERITIES, docPage, isDecisive, messageOf, type Candidate, type Evidence, type Finding, type FindingId, type Severity, type Site } from '../findings/index.js';
import type { CatalogueRecord, CoverageRecord, FrozenRecord, KernelRecord, RunRecord } from '../run/record.js';

export const REPORT_FORMAT = 'relinkable-report';
/** Bumped on any change a consumer of the JSON could notice; docs/report-format.md describes each version. */
export const REPORT_FORMAT_VERSION = 5;

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
  readonly tool: { readonly name: 'relinkable'; readonly version: string };
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
  readonly findings: readonly ReportFinding[];
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
export function buildReport(record: RunRecord, version: string): Report {
  const summary = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of record.findings) summary[f.severity]++;
  return {
    format: REPORT_FORMAT,
    formatVersion: REPORT_FORMAT_VERSION,
    tool: { name: 'relinkable', version },
    verdict: verdictOf(record.findings.map((f) => f.severity)),
    mode: record.mode,
    use: record.use,
    useFrom: record.useFrom,
    frozen: record.frozen,
    kernel: record.kernel,
    summary,
    coverage: record.coverage,
    catalogue: record.catalogue,
    findings: record.findings.map(toReportFinding),
  };
}

/** A finding as a report lists it: its message rendered, its title, page and diff. */
export function toReportFinding(f: Finding): ReportFinding {
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

function reportSite(s: Site): ReportSite {
  return { symbol: s.symbol, detail: s.detail ?? null, evidence: s.evidence.map(compactEvidence) };
}

/** Evidence with its undefined fields dropped, so the JSON has no nulls that mean "not applicable". */
function compactEvidence(e: Evidence): Evidence {
  return Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined)) as unknown as Evidence;
}
