import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError, printable } from '../../src/errors.js';
import { FROZEN_DRIVER, FROZEN_MODULE, NEW_KERNEL } from '../support/paths.js';
import { runCli } from '../support/run.js';

/**
 * Issue 13, defects 12 (raw input bytes in error lines; an `ar` long-name offset of /-1
 * accepted, a 15-line message) and 13 (thin-archive member paths climbing out of the build
 * directory, and errors about members that never named vmlinux.a). Every error is one
 * printable line.
 */

let dir: string;
const at = (name: string) => join(dir, name);
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'relinkable-messages-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One line, nothing a terminal would act on. */
function expectOnePrintableLine(stderr: string): void {
  expect(stderr.endsWith('\n')).toBe(true);
  expect(stderr.slice(0, -1)).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
}

function kernelCopy(name: string): string {
  cpSync(NEW_KERNEL, at(name), { recursive: true });
  return at(name);
}

/** The members of a GNU thin archive: header offset and name field. */
function members(archive: Buffer): { header: number; name: string }[] {
  const out: { header: number; name: string }[] = [];
  for (let off = 8; off + 60 <= archive.length; ) {
    const name = archive.toString('latin1', off, off + 16).trimEnd();
    const size = Number(archive.toString('latin1', off + 48, off + 58).trim());
    out.push({ header: off, name });
    const next = name === '/' || name === '//' || name === '/SYM64/' ? off + 60 + size : off + 60;
    off = next + (next & 1);
  }
  return out;
}

describe('raw bytes of the input are escaped in error lines (defect 12)', () => {
  it('a .modinfo entry with a newline, escape sequences, a carriage return and a bell', async () => {
    const bytes = Buffer.from(readFileSync(FROZEN_MODULE));
    const at0 = bytes.indexOf('license=Proprietary');
    Buffer.from('lic\n\u001b[31mEVIL\r\u0007xxxx', 'latin1').copy(bytes, at0);
    const path = at('modinfo.ko');
    writeFileSync(path, bytes);
    const r = await runCli(['check', path, '--kernel', NEW_KERNEL]);
    expect(r).toEqual({ status: 2, stdout: '', stderr: `relinkable: error: ${path}: .modinfo entry without '=': lic\\n\\e[31mEVIL\\r\\x07xxxx\n` });
    expectOnePrintableLine(r.stderr);
  });

  it('a .config line with an OSC title sequence', async () => {
    const config = at('config');
    writeFileSync(config, 'CONFIG_X86_64=y\n\u001b]0;pwned\u0007 CONFIG_Y=y\r\n');
    const r = await runCli(['check', FROZEN_DRIVER, '--kernel', NEW_KERNEL, '--config', config]);
    expect(r).toEqual({ status: 2, stdout: '', stderr: `relinkable: error: ${config}: line 2: not a Kconfig assignment: \\e]0;pwned\\x07 CONFIG_Y=y\\r\n` });
  });

  it('a Module.symvers CRC field with an escape sequence', async () => {
    const symvers = at('Module.symvers');
    const text = readFileSync(join(NEW_KERNEL, 'Module.symvers'), 'latin1').split('\n');
    text[0] = text[0]!.replace(/^0x[0-9a-f]+/, '0x\u001b[2J\r');
    writeFileSync(symvers, text.join('\n'), 'latin1');
    const r = await runCli(['check', FROZEN_MODULE, '--kernel', NEW_KERNEL, '--symvers', symvers]);
    expect(r).toEqual({ status: 2, stdout: '', stderr: `relinkable: error: ${symvers}: line 1: bad CRC field '0x\\e[2J\\r' (is this Module.symvers?)\n` });
  });

  it('a file name with a newline in it', async () => {
    const name = at('two\nlines.o');
    writeFileSync(name, 'this is not an object file\n');
    const r = await runCli(['check', name, '--kernel', NEW_KERNEL]);
    expect(r).toEqual({ status: 2, stdout: '', stderr: `relinkable: error: ${at('two\\nlines.o')}: not an ELF file (bad magic)\n` });
  });

  it('a line longer than ERROR_LINE_LENGTH is cut in the middle, saying how much was left out', () => {
    const e = new InputError('x.o', `bad: ${'a'.repeat(10_000)}`);
    expect(e.message.length).toBeLessThanOrEqual(2000);
    expect(e.message).toMatch(/^x\.o: bad: a+ … \(\d+ characters left out\) … a+$/);
    expect(e.problem).toBe(`bad: ${'a'.repeat(10_000)}`);
  });

  it('printable() escapes every C0 and C1 control, DEL, and the invisible direction overrides', () => {
    expect(printable('a\u0000b\u0008c\u007fd\u0085e\u2028f\u202eg\u2066h')).toBe('a\\x00b\\x08c\\x7fd\\x85e\\u{2028}f\\u{202e}g\\u{2066}h');
    expect(printable('plain ascii, latin-1 é and UTF-8 ✓ stay')).toBe('plain ascii, latin-1 é and UTF-8 ✓ stay');
  });

  it('an ar long-name reference of /-1 is refused in one line (was accepted: a 15-line message)', async () => {
    const kernel = kernelCopy('ar-minus-one');
    const archivePath = join(kernel, 'vmlinux.a');
    const archive = Buffer.from(readFileSync(archivePath));
    const member = members(archive).find((m) => /^\/\d+$/.test(m.name) && m.name !== '/0')!;
    archive.write('/-1'.padEnd(16, ' '), member.header, 'latin1');
    writeFileSync(archivePath, archive);
    const longNames = members(archive).find((m) => m.name === '//')!;
    const tableSize = Number(archive.toString('latin1', longNames.header + 48, longNames.header + 58).trim());
    const r = await runCli(['check', FROZEN_DRIVER, '--kernel', kernel]);
    expect(r).toEqual({
      status: 2,
      stdout: '',
      stderr: `relinkable: error: ${archivePath}: archive member header at 0x${member.header.toString(16)}: bad long-name reference /-1 (the table has ${tableSize} bytes)\n`,
    });
  });
});

describe('ar long names as GNU ar writes them', () => {
  it('a long-name field ending in "/" after its padding ("/3838          /", as in kbuild\'s vmlinux.a) reads', async () => {
    const kernel = kernelCopy('ar-slash');
    const archivePath = join(kernel, 'vmlinux.a');
    const archive = Buffer.from(readFileSync(archivePath));
    for (const m of members(archive).filter((x) => /^\/\d+$/.test(x.name))) archive.write(`${m.name.padEnd(15, ' ')}/`, m.header, 'latin1');
    writeFileSync(archivePath, archive);
    const r = await runCli(['check', FROZEN_DRIVER, '--kernel', kernel, '--format', 'json']);
    const direct = await runCli(['check', FROZEN_DRIVER, '--kernel', NEW_KERNEL, '--format', 'json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(direct.status);
    expect(JSON.parse(r.stdout).findings.length).toBe(JSON.parse(direct.stdout).findings.length);
  });
});

describe('thin-archive members stay inside the build directory, and their errors name the archive (defect 13)', () => {
  it('a member named ../../../ee is refused, naming vmlinux.a', async () => {
    const kernel = kernelCopy('ar-escape');
    const archivePath = join(kernel, 'vmlinux.a');
    const archive = Buffer.from(readFileSync(archivePath));
    // Same length as "init/main.o/\n", so the other names keep their offsets.
    const table = members(archive).find((m) => m.name === '//')!.header + 60;
    const at0 = archive.indexOf('init/main.o/\n');
    archive.write('../../../ee/\n', at0, 'latin1');
    writeFileSync(archivePath, archive);
    // Its position among the members (1-based), found by its long-name reference "/<offset in the table>".
    const index = members(archive)
      .filter((m) => !['/', '//', '/SYM64/'].includes(m.name))
      .findIndex((m) => m.name === `/${at0 - table}`);
    expect(index).toBeGreaterThanOrEqual(0);
    const r = await runCli(['check', FROZEN_DRIVER, '--kernel', kernel]);
    expect(r).toEqual({ status: 2, stdout: '', stderr: `relinkable: error: ${archivePath}: member ${index + 1}, ../../../ee, lies outside the build directory\n` });
  });

  it("an object a module's .mod lists outside the build directory is refused, naming the .mod", async () => {
    const kernel = kernelCopy('mod-escape');
    const mod = join(kernel, 'drivers/rng_mod.mod');
    writeFileSync(mod, '../../etc/evil.o\n');
    const r = await runCli(['check', FROZEN_DRIVER, '--kernel', kernel]);
    expect(r).toEqual({ status: 2, stdout: '', stderr: `relinkable: error: ${mod}: object ../../etc/evil.o lies outside the build directory\n` });
  });

  it('a member of vmlinux.a that is missing: the error names the member and vmlinux.a', async () => {
    const kernel = kernelCopy('ar-missing');
    rmSync(join(kernel, 'kernel/helpers.o'));
    const r = await runCli(['check', FROZEN_DRIVER, '--kernel', kernel]);
    expect(r).toEqual({ status: 2, stdout: '', stderr: `relinkable: error: ${join(kernel, 'kernel/helpers.o')}: no such file (a member of ${join(kernel, 'vmlinux.a')})\n` });
  });

  it('a member of vmlinux.a that is not an object: the error names vmlinux.a too', async () => {
    const kernel = kernelCopy('ar-garbage');
    writeFileSync(join(kernel, 'kernel/helpers.o'), 'garbage');
    const r = await runCli(['check', FROZEN_DRIVER, '--kernel', kernel]);
    expect(r).toEqual({ status: 2, stdout: '', stderr: `relinkable: error: ${join(kernel, 'kernel/helpers.o')}: not an ELF file (only 7 bytes) (a member of ${join(kernel, 'vmlinux.a')})\n` });
  });
});
