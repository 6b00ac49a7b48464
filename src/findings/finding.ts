import { renderMessage, type FindingData, type FindingId } from './kinds.js';
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

/**
 * One place a finding's root cause shows up: what it concerns there (an import, a function,
 * the data object that holds function addresses), what is particular to that place, and
 * where it was read. A finding with sites is one root cause; its own evidence is what the
 * sites share.
 */
export interface Site {
  readonly symbol: string;
  /** What differs from one site to the next: a CRC pair, how a type is reached. */
  readonly detail?: string | undefined;
  readonly evidence: readonly Evidence[];
}

export interface Candidate {
  readonly name: string;
  /** 0..1, higher is likelier. */
  readonly score: number;
  readonly reason: string;
}

/**
 * A finding is data: its id, severity and subject, the facts its message is made of
 * (`data`, rendered by the id's template in kinds.ts), before/after and the evidence.
 * Words are put together only when a report is rendered.
 */
export interface Finding {
  readonly id: FindingId;
  readonly severity: Severity;
  /** The frozen object it concerns. */
  readonly object: string;
  readonly symbol?: string | undefined;
  /** What the message template of `id` renders (its shape is the template's parameter). */
  readonly data: unknown;
  /** What the frozen object expects. */
  readonly before?: string | undefined;
  /** What the new kernel provides. */
  readonly after?: string | undefined;
  /** `before` and `after` are C declarations: a report shows their unified diff. */
  readonly declarations?: boolean | undefined;
  readonly evidence: readonly Evidence[];
  /** Where the root cause shows up, when that is more than one place: one finding, its sites beneath it. */
  readonly sites?: readonly Site[] | undefined;
  readonly candidates?: readonly Candidate[] | undefined;
  /** Within a severity, lower ranks first: how directly the frozen object meets the change. */
  readonly rank?: number | undefined;
  /** The signatures/ catalogue entry a build-primitive finding comes from. */
  readonly signature?: string | undefined;
}

/** The fields of a finding besides its id and data. */
export type FindingFields = Omit<Finding, 'id' | 'data'>;

/** A finding whose data is checked against the template of its id. */
export function finding<K extends FindingId>(id: K, data: FindingData<K>, fields: FindingFields): Finding {
  return { id, ...fields, data };
}

/** A finding's message: rendered from its data by its id's template. */
export function messageOf(f: Finding): string {
  return renderMessage(f.id, f.data);
}
