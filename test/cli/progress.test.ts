import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { StderrProgress } from '../../src/cli/progress.js';
import { FROZEN_DRIVER, NEW_KERNEL } from '../support/paths.js';

class Capture extends Writable {
  text = '';
  constructor(readonly isTTY: boolean) {
    super();
  }
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** A clock that moves `step` ms each time it is read: every step of the run looks slow (or, with 0, instant). */
const clockOf = (step: number) => {
  let now = 0;
  return () => (now += step);
};

async function run(args: string[], tty: boolean, clock = clockOf(400)) {
  const stdout = new Capture(false);
  const stderr = new Capture(tty);
  const status = await main(['check', FROZEN_DRIVER, '--kernel', NEW_KERNEL, '--fail-on', 'never', ...args], { stdout, stderr, clock });
  return { status, stdout: stdout.text, stderr: stderr.text };
}

const LIVE_LINE = /\r\x1b\[Krelinkable: comparing interfaces with vmlinux BTF, vmlinux DWARF… \d+ s/;

describe('progress on stderr', () => {
  it('on a terminal: one line redrawn in place while a step runs past a second, taken back at the end', async () => {
    const r = await run([], true);
    expect(r.stderr).toMatch(LIVE_LINE);
    expect(r.stderr.endsWith('\r\x1b[K')).toBe(true);
    expect(r.stderr).not.toContain('\n');
    // The report itself is the same as without progress.
    expect(r.stdout).toBe((await run(['--no-progress'], true)).stdout);
    expect(r.status).toBe(0);
  });

  it('not on a terminal (a CI log): nothing, unless asked with --progress', async () => {
    expect((await run([], false)).stderr).toBe('');
    const asked = await run(['--progress'], false);
    expect(asked.stderr).toMatch(/^relinkable: comparing interfaces with vmlinux BTF, vmlinux DWARF…\nrelinkable: comparing interfaces with vmlinux BTF, vmlinux DWARF: \d+\.\d s\n/m);
    expect(asked.stderr).not.toContain('\r');
  });

  it('--no-progress silences a terminal', async () => {
    expect((await run(['--no-progress'], true)).stderr).toBe('');
  });

  it('nothing for steps that end within a second, even on a terminal', async () => {
    expect((await run([], true, clockOf(0))).stderr).toBe('');
    expect((await run(['--progress'], false, clockOf(0))).stderr).toBe('');
  });

  it('a log line for a slow step that never ticked, with its time', () => {
    const stream = new Capture(false);
    const p = new StderrProgress({ stream, live: false, clock: clockOf(700) });
    p.step('reading the new kernel'); // starts at 700
    p.step('checking layouts'); // the first ends at 1400 (700 ms: nothing) and this one starts at 2100
    p.tick(); // 2800: 700 ms in, not shown
    p.done(); // 3500: 1.4 s, never shown while running
    expect(stream.text).toBe('relinkable: checking layouts: 1.4 s\n');
  });
});
