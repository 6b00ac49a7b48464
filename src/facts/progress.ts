/**
 * Where a long run says what it is doing. The run layer passes one down: it names the steps
 * (reading the new kernel, comparing interfaces, each check) and wraps the ports it hands on,
 * so that every question asked of the new kernel's type sources is a tick. The CLI renders
 * it on stderr. Readers, the model and the checks' own logic never see it.
 */
export interface Progress {
  /** A step begins; the previous one ends. */
  step(what: string): void;
  /** Still at work on the current step. Called often: must be cheap. */
  tick(): void;
  /** The run is over (or failed): whatever was shown is taken back. */
  done(): void;
}

/** Progress nobody watches. */
export const SILENT_PROGRESS: Progress = { step() {}, tick() {}, done() {} };
