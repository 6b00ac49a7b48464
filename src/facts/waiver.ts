/** One entry of a waivers file. */
export interface Waiver {
  /** 1-based line of the entry in the waivers file. */
  readonly line: number;
  readonly id: string;
  /** Globs; a waiver matches a finding when every one it has matches. */
  readonly object: string | null;
  readonly symbol: string | null;
  readonly type: string | null;
  readonly section: string | null;
  readonly justification: string;
  readonly approver: string;
  /** YYYY-MM-DD: the waiver applies through that day (UTC). */
  readonly expires: string;
}
