import type { Analysis } from '../analyze.js';
import { machineName } from '../elf/constants.js';
import { declarationDiff } from './declaration-diff.js';
import { FINDING_KINDS, SEVERITIES, docPage, messageOf, type Candidate, type Evidence, type FindingId, type Severity } from '../findings/index.js';
import type { LinkMode } from '../model/link.js';
import type { Coverage } from '../model/interface-comparison.js';

export const REPORT_FORMAT = 'relinkable-report';
/** Bumped on any change a consumer of the JSON could notice; docs/report-format.md describes each version. */
export const REPORT_FORMAT_VERSION = 3;

export type Verdict = 'relinkable' | 'at-risk' | 'will-not-link';

export interface ReportFinding {
  readonly id: FindingId;
  readonly title: string;
  readonly severity: Severity;
  readonly object: string;
  readonly symbol: string | null;
  readonly message: string;
  readonly before: string | null;
  readonly after: string | null;
  readonly evidence: readonly Evidence[];
  readonly candidates: readonly Candidate[];
  /** Within a severity, lower ranks come first (0: the frozen object owns storage of the changed type). */
  readonly rank: number | null;
  /** Unified diff of before and after, when they are declarations. */
  readonly diff: string | null;
  /** The signatures/ catalogue entry of a build-primitive finding. */
  readonly signature: string | null;
  readonly docs: string;
}

export interface ReportFrozenObject {
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
  readonly machine: string;
  readonly module: string | null;
  readonly compileUnits: readonly string[];
  readonly replaces:
    | { readonly found: true; readonly name: string; readonly how: string; readonly target: string }
    | { readonly found: false; readonly reason: string };
}

export interface Report {
  readonly format: typeof REPORT_FORMAT;
  readonly formatVersion: number;
  readonly tool: { readonly name: 'relinkable'; readonly version: string };
  readonly verdict: Verdict;
  readonly mode: LinkMode;
  readonly frozen: readonly ReportFrozenObject[];
  readonly kernel: {
    readonly layout: string;
    readonly root: string | null;
    readonly release: string | null;
    readonly vmlinux: { readonly path: string; readonly buildId: string | null };
    readonly symvers: string | null;
    readonly config: string | null;
    readonly systemMap: string | null;
    readonly linkerScript: string | null;
    readonly vmlinuxArchive: string | null;
    readonly exportsFrom: string;
  };
  readonly summary: Readonly<Record<Severity, number>>;
  /** What the interface comparison covered, and what it could not compare, with why. */
  readonly coverage: Coverage;
  /** The build-primitive catalogue the report was made with. */
  readonly catalogue: { readonly version: string; readonly digest: string; readonly entries: number; readonly directory: string | null };
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

export function buildReport(analysis: Analysis, version: string): Report {
  const { kernel } = analysis;
  const a = kernel.artifacts;
  const summary = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of analysis.findings) summary[f.severity]++;
  return {
    format: REPORT_FORMAT,
    formatVersion: REPORT_FORMAT_VERSION,
    tool: { name: 'relinkable', version },
    verdict: verdictOf(analysis.findings.map((f) => f.severity)),
    mode: analysis.mode,
    frozen: analysis.frozen.map((obj) => {
      const r = analysis.replacements.get(obj)!;
      return {
        path: obj.path,
        sha256: obj.sha256,
        size: obj.size,
        machine: machineName(obj.machine),
        module: obj.isModule ? (obj.moduleInfo?.name ?? null) : null,
        compileUnits: obj.compileUnits,
        replaces: r.found
          ? { found: true, name: r.name, how: r.how, target: r.target.kind === 'vmlinux' ? 'vmlinux' : `module ${r.target.module}` }
          : { found: false, reason: r.reason },
      };
    }),
    kernel: {
      layout: a.layout,
      root: a.root ?? null,
      release: kernel.release() ?? a.abi ?? null,
      vmlinux: { path: a.vmlinux, buildId: kernel.vmlinux.buildId() ?? null },
      symvers: a.symvers ?? null,
      config: a.config ?? null,
      systemMap: a.systemMap ?? null,
      linkerScript: a.linkerScript ?? null,
      vmlinuxArchive: a.vmlinuxArchive ?? null,
      exportsFrom: kernel.exports().source,
    },
    summary,
    coverage: analysis.coverage,
    catalogue: { version: analysis.catalogue.version, digest: analysis.catalogue.digest, entries: analysis.catalogue.entries.length, directory: analysis.catalogueGiven ? analysis.catalogue.directory : null },
    findings: analysis.findings.map((f) => ({
      id: f.id,
      title: FINDING_KINDS[f.id].title,
      severity: f.severity,
      object: f.object,
      symbol: f.symbol ?? null,
      message: messageOf(f),
      before: f.before ?? null,
      after: f.after ?? null,
      evidence: f.evidence.map(compactEvidence),
      candidates: f.candidates ?? [],
      rank: f.rank ?? null,
      diff: f.diff ?? (f.declarations && f.before !== undefined && f.after !== undefined ? declarationDiff(f.before, f.after) : null),
      signature: f.signature ?? null,
      docs: docPage(f.id),
    })),
  };
}

/** Evidence with its undefined fields dropped, so the JSON has no nulls that mean "not applicable". */
function compactEvidence(e: Evidence): Evidence {
  return Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined)) as unknown as Evidence;
}
