import { spawnSync, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, FROZEN_DRIVER, FROZEN_MODULE, NEW_KERNEL, ROOT } from '../support/paths.js';
import { runCli } from '../support/run.js';

/**
 * Defects 7 and 8 of issue 13: every input is opened through src/input-file.ts, which
 * refuses what is not a regular file before reading it. A FIFO used to block the read
 * forever, so these run the built binary with a timeout: a hang shows as a timeout (status
 * -1), not as a test runner that never returns.
 */

let dir: string;
const at = (...names: string[]) => join(dir, ...names);

function fifo(path: string): string {
  if (existsSync(path)) rmSync(path, { recursive: true });
  execFileSync('mkfifo', [path]);
  return path;
}

/** A copy of the fixture build directory to plant things in. */
function kernelCopy(name: string): string {
  const copy = at(name);
  cpSync(NEW_KERNEL, copy, { recursive: true });
  return copy;
}

/** The bundled CLI, with a guard that only a true hang reaches. */
function run(args: string[]): { status: number; stdout: string; stderr: string } {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build`);
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const FIFO = 'is a FIFO (named pipe), not a regular file';
const DIRECTORY = 'is a directory, not a file';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'relinkable-inputs-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a FIFO where an input belongs: one line naming it, exit 2, no hang (defect 8)', () => {
  it.each([
    ['the frozen object', (f: string) => ['check', f, '--kernel', NEW_KERNEL]],
    ['the object of extract', (f: string) => ['extract', f]],
    ['--vmlinux', (f: string) => ['check', FROZEN_DRIVER, '--vmlinux', f]],
    ['--symvers', (f: string) => ['check', FROZEN_DRIVER, '--kernel', NEW_KERNEL, '--symvers', f]],
    ['--config', (f: string) => ['check', FROZEN_DRIVER, '--kernel', NEW_KERNEL, '--config', f]],
    ['--system-map', (f: string) => ['check', FROZEN_DRIVER, '--kernel', NEW_KERNEL, '--system-map', f]],
    ['--reference', (f: string) => ['check', FROZEN_DRIVER, '--kernel', NEW_KERNEL, '--reference', f]],
  ])('%s', (name, args) => {
    const f = fifo(at(`${name.replace(/\W+/g, '_')}.fifo`));
    expect(run(args(f))).toEqual({ status: 2, stdout: '', stderr: `relinkable: error: ${f}: ${FIFO}\n` });
  });

  it('a catalogue file', () => {
    const signatures = at('signatures');
    cpSync(join(ROOT, 'signatures'), signatures, { recursive: true });
    const f = fifo(join(signatures, 'x86-ibt-landing-pads.json'));
    expect(run(['check', FROZEN_DRIVER, '--kernel', NEW_KERNEL, '--signatures', signatures])).toEqual({ status: 2, stdout: '', stderr: `relinkable: error: ${f}: ${FIFO}\n` });
  });

  it.each([
    ['modules.order', 'modules.order', FROZEN_DRIVER, ''],
    ["a module's .mod file", 'drivers/rng_mod.mod', FROZEN_DRIVER, ''],
    ['the System.map a build directory holds', 'System.map', FROZEN_DRIVER, ''],
    ['the linker script a build directory holds', 'arch/x86/kernel/vmlinux.lds', FROZEN_DRIVER, ''],
    ['an object of vmlinux.a (read to find who references the replaced object)', 'kernel/core.o', FROZEN_DRIVER, 'vmlinux.a'],
  ])('%s', (_name, relPath, object, listedIn) => {
    const kernel = kernelCopy(`fifo-${relPath.replace(/\W+/g, '_')}`);
    const f = fifo(join(kernel, relPath));
    const where = listedIn ? ` (a member of ${join(kernel, listedIn)})` : '';
    expect(run(['check', object, '--kernel', kernel])).toEqual({ status: 2, stdout: '', stderr: `relinkable: error: ${f}: ${FIFO}${where}\n` });
  });

  it('the .ko of a module in a Debian layout', () => {
    const root = at('debian');
    const abi = '6.99.0-1-amd64';
    mkdirSync(join(root, 'usr/lib/debug/boot'), { recursive: true });
    cpSync(join(NEW_KERNEL, 'vmlinux'), join(root, 'usr/lib/debug/boot', `vmlinux-${abi}`));
    mkdirSync(join(root, 'usr/lib/debug/lib/modules', abi, 'kernel/drivers'), { recursive: true });
    const f = fifo(join(root, 'usr/lib/debug/lib/modules', abi, 'kernel/drivers/rng_mod.ko'));
    expect(run(['check', FROZEN_MODULE, '--kernel', root])).toEqual({ status: 2, stdout: '', stderr: `relinkable: error: ${f}: ${FIFO}\n` });
  });

  it('--output: refused, not written into until someone reads (a pipe is fed by leaving --output out)', () => {
    const f = fifo(at('report.fifo'));
    expect(run(['check', FROZEN_DRIVER, '--kernel', NEW_KERNEL, '--output', f])).toEqual({
      status: 2,
      stdout: '',
      stderr: `relinkable: error: ${f}: cannot write the report: is a FIFO (named pipe) (--output writes a regular file; leave it out to write to standard output)\n`,
    });
    const g = fifo(at('snapshot.fifo'));
    expect(run(['extract', FROZEN_DRIVER, '--output', g]).stderr).toBe(
      `relinkable: error: ${g}: cannot write the snapshot: is a FIFO (named pipe) (--output writes a regular file; leave it out to write to standard output)\n`,
    );
  });
});

describe('a directory where a file belongs: an input error, not EISDIR from deep inside (defect 7)', () => {
  it.each([
    ['modules.order', 'modules.order', ''],
    ["a module's .mod file", 'drivers/rng_mod.mod', ''],
    ['an object listed in vmlinux.a', 'kernel/core.o', 'vmlinux.a'],
  ])('%s', async (_name, relPath, listedIn) => {
    const kernel = kernelCopy(`dir-${relPath.replace(/\W+/g, '_')}`);
    rmSync(join(kernel, relPath));
    mkdirSync(join(kernel, relPath));
    const where = listedIn ? ` (a member of ${join(kernel, listedIn)})` : '';
    expect(await runCli(['check', FROZEN_DRIVER, '--kernel', kernel])).toEqual({
      status: 2,
      stdout: '',
      stderr: `relinkable: error: ${join(kernel, relPath)}: ${DIRECTORY}${where}\n`,
    });
  });
});

describe('other things that are not regular files', () => {
  it('a symbolic-link loop as --vmlinux', async () => {
    symlinkSync(at('loop-b'), at('loop-a'));
    symlinkSync(at('loop-a'), at('loop-b'));
    expect(await runCli(['check', FROZEN_DRIVER, '--vmlinux', at('loop-a')])).toEqual({
      status: 2,
      stdout: '',
      stderr: `relinkable: error: ${at('loop-a')}: too many levels of symbolic links\n`,
    });
  });

  it('a character device as the frozen object', async () => {
    expect(await runCli(['check', '/dev/null', '--kernel', NEW_KERNEL])).toEqual({
      status: 2,
      stdout: '',
      stderr: 'relinkable: error: /dev/null: is a character device, not a regular file\n',
    });
  });

  it('a character device as --output is written to (/dev/null)', async () => {
    const r = await runCli(['check', FROZEN_DRIVER, '--kernel', NEW_KERNEL, '--output', '/dev/null', '--fail-on', 'never']);
    expect(r).toEqual({ status: 0, stdout: '', stderr: '' });
  });

  it('--output to a regular file replaces its contents', async () => {
    const out = at('report.txt');
    writeFileSync(out, 'x'.repeat(1_000_000));
    const r = await runCli(['check', FROZEN_DRIVER, '--kernel', NEW_KERNEL, '--output', out, '--format', 'json', '--fail-on', 'never']);
    expect(r.status).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).format).toBe('relinkable-report');
    unlinkSync(out);
  });
});
