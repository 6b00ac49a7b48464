import type { FindingId } from './kinds.js';
import type { Severity } from './severity.js';

/** One piece of evidence: where in which input the finding was read. */
export interface Evidence {
  /** What this is, e.g. "reference", "new kernel", "replaced object". */
  readonly label: string;
  readonly file?: string | undefined;
  readonly section?: string | undefined;
  readonly symbol?: string | undefined;
  /** Offset or address, hex. */
  readonly offset?: string | undefined;
  /** Line of a text artifact, compile unit, DWARF/BTF location. */
  readonly location?: string | undefined;
  readonly detail?: string | undefined;
}

export interface Candidate {
  readonly name: string;
  /** 0..1, higher is likelier. */
  readonly score: number;
  readonly reason: string;
}

export interface Finding {
  readonly id: FindingId;
  readonly severity: Severity;
  /** The frozen object it concerns. */
  readonly object: string;
  readonly symbol?: string | undefined;
  readonly message: string;
  /** What the frozen object expects. */
  readonly before?: string | undefined;
  /** What the new kernel provides. */
  readonly after?: string | undefined;
  readonly evidence: readonly Evidence[];
  readonly candidates?: readonly Candidate[] | undefined;
  /** Within a severity, lower ranks first: how directly the frozen object meets the change. */
  readonly rank?: number | undefined;
  /** Unified diff of `before` and `after` when they are declarations. */
  readonly diff?: string | undefined;
  /** The signatures/ catalogue entry a build-primitive finding comes from. */
  readonly signature?: string | undefined;
}
