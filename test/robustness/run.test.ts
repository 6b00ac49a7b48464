import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFrozenObject } from '../../src/object/read.js';
import { analyze } from '../../src/run/analyze.js';
import { CLI, FROZEN_DRIVER, FROZEN_MODULE, NEW_KERNEL, ROOT } from '../support/paths.js';
import { runCli } from '../support/run.js';

/**
 * Issue 13, defects of the run as a whole: the frozen object's digest read into one buffer
 * (9), a closed output pipe (16), descriptors never closed (17), and System.map listed but
 * never read (18, fixed before this issue: checked here too).
 */

let dir: string;
const at = (name: string) => join(dir, name);
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'relinkable-run-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const openDescriptors = () => readdirSync('/proc/self/fd').length;

describe('file descriptors (defect 17)', () => {
  it('reading a frozen object 200 times holds no descriptor afterwards, its lazily read conventions included', () => {
    const before = openDescriptors();
    for (let i = 0; i < 200; i++) {
      const obj = readFrozenObject(i % 2 ? FROZEN_DRIVER : FROZEN_MODULE);
      if (i % 50 === 0) expect(obj.conventions.functions.length).toBeGreaterThan(0);
    }
    expect(openDescriptors()).toBe(before);
  });

  it('a whole check run 20 times in one process: no descriptor left open (vmlinux, references, the frozen object)', async () => {
    const before = openDescriptors();
    for (let i = 0; i < 20; i++) await analyze([FROZEN_DRIVER], { kernel: NEW_KERNEL, reference: [join(NEW_KERNEL, 'drivers/rng_driver.o')] });
    expect(openDescriptors()).toBe(before);
  });

  it('a file replaced after it was read is not read again as if it were the same', () => {
    const path = at('replaced.o');
    cpSync(FROZEN_DRIVER, path);
    const obj = readFrozenObject(path);
    // The conventions are read on first use, from the file; here the file changed first.
    writeFileSync(path, Buffer.concat([readFileSync(FROZEN_DRIVER), Buffer.alloc(16)]));
    expect(() => obj.conventions).toThrow(`${path}: changed while it was being read (replaced, rewritten or resized): what was read so far may not describe it`);
  });
});

describe("the frozen object's digest is computed by streaming (defect 9)", () => {
  it('the digest of a multi-chunk object is the SHA-256 of its bytes', async () => {
    const path = at('padded.o');
    cpSync(FROZEN_DRIVER, path);
    truncateSync(path, 3 * 1024 * 1024 + 17);
    const expected = createHash('sha256').update(readFileSync(path)).digest('hex');
    const r = await runCli(['extract', path]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout).object).toMatchObject({ sha256: expected, size: 3 * 1024 * 1024 + 17 });
  });

  it('a 1 GiB object in a process whose address space cannot hold it twice (was "Array buffer allocation failed", exit 3)', { timeout: 180_000 }, () => {
    expect(existsSync(CLI)).toBe(true);
    const limitKb = 1_600_000;
    const underLimit = (args: string[]) =>
      spawnSync('sh', ['-c', `ulimit -v ${limitKb} && exec "$0" "$@"`, process.execPath, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 170_000, maxBuffer: 64 * 1024 * 1024 });
    // The environment check: node and the CLI run under the limit at all.
    expect(underLimit([CLI, '--version']).status).toBe(0);
    const path = at('sparse-1g.o');
    cpSync(FROZEN_DRIVER, path);
    truncateSync(path, 1024 * 1024 * 1024);
    const r = underLimit([CLI, 'extract', path]);
    rmSync(path);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).object.size).toBe(1024 * 1024 * 1024);
  });
});

describe('a closed output pipe (defect 16)', () => {
  it('relinkable check … | (a reader that has gone): no EPIPE stack, the exit code of the run', async () => {
    expect(existsSync(CLI)).toBe(true);
    const child = spawn(process.execPath, [CLI, 'check', FROZEN_DRIVER, '--kernel', NEW_KERNEL, '--fail-on', 'never'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    // Close our end before the child writes anything: its write fails with EPIPE.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    expect(stderr).toBe('');
    expect(status).toBe(0);
  });

  it('the same with findings at --fail-on: exit 1 is the verdict, not a crash', async () => {
    const child = spawn(process.execPath, [CLI, 'check', FROZEN_DRIVER, '--kernel', NEW_KERNEL], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    expect(stderr).toBe('');
    expect(status).toBe((await runCli(['check', FROZEN_DRIVER, '--kernel', NEW_KERNEL])).status);
  });
});

describe('System.map is read whenever it is listed (defect 18, fixed on main before this issue)', () => {
  it('a build directory whose System.map is not one: refused, not reported as found', async () => {
    const kernel = at('kernel-bad-map');
    cpSync(NEW_KERNEL, kernel, { recursive: true });
    writeFileSync(join(kernel, 'System.map'), 'this is not a System.map\n');
    expect(await runCli(['check', FROZEN_DRIVER, '--kernel', kernel])).toEqual({
      status: 2,
      stdout: '',
      stderr: `relinkable: error: ${join(kernel, 'System.map')}: byte 0: not a System.map line: this is not a System.map\n`,
    });
  });
});
