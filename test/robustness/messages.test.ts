import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError, printable } from '../../src/errors.js';
import { FROZEN_DRIVER, FROZEN_MODULE, NEW_KERNEL } from '../support/paths.js';
import { runCli } from '../support/run.js';

/**
 * Issue 13, defect 12: raw input bytes in error lines. Every error is one printable line.
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
});
