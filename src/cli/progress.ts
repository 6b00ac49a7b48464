import type { Progress } from '../facts/progress.js';

/** Where progress is written: stderr, or a capture in tests. */
export interface ProgressStream {
  write(text: string): unknown;
}

export interface ProgressOptions {
  readonly stream: ProgressStream;
  /** A terminal: one line, redrawn in place and taken back at the end. Otherwise a line per slow step, for a log. */
  readonly live: boolean;
  /** Milliseconds, monotonic (tests pass their own). */
  readonly clock?: () => number;
  /** A step is shown once it has run this long. */
  readonly after?: number;
}

/** How often, at most, a live line is redrawn. */
const REDRAW_MS = 200;

/**
 * Progress on stderr. Nothing for a step that ends within a second (`after`); a step that
 * runs longer is shown from the first tick past that: on a terminal as one line redrawn in
 * place ("relinkable: comparing interfaces with vmlinux DWARF… 3 s") and erased when the
 * step ends; in a log as a line when the step is past the second and one with its time when
 * it ends.
 */
export class StderrProgress implements Progress {
  private readonly clock: () => number;
  private readonly after: number;
  private current: { what: string; started: number; shown: boolean; drawn: number } | undefined;

  constructor(private readonly options: ProgressOptions) {
    this.clock = options.clock ?? (() => performance.now());
    this.after = options.after ?? 1000;
  }

  step(what: string): void {
    this.end();
    this.current = { what, started: this.clock(), shown: false, drawn: 0 };
  }

  tick(): void {
    const c = this.current;
    if (!c) return;
    const now = this.clock();
    if (now - c.started < this.after) return;
    if (this.options.live) {
      if (c.shown && now - c.drawn < REDRAW_MS) return;
      this.options.stream.write(`\r\x1b[Krelinkable: ${c.what}… ${Math.floor((now - c.started) / 1000)} s`);
      c.drawn = now;
    } else if (!c.shown) {
      this.options.stream.write(`relinkable: ${c.what}…\n`);
    }
    c.shown = true;
  }

  done(): void {
    this.end();
  }

  private end(): void {
    const c = this.current;
    this.current = undefined;
    if (!c) return;
    const took = this.clock() - c.started;
    if (this.options.live) {
      if (c.shown) this.options.stream.write('\r\x1b[K');
    } else if (c.shown || took >= this.after) {
      this.options.stream.write(`relinkable: ${c.what}: ${(took / 1000).toFixed(1)} s\n`);
    }
  }
}
