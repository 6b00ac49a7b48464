import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ElfFile } from '../../src/elf/index.js';
import { InputError } from '../../src/errors.js';
import { NewKernel } from '../../src/kernel/kernel.js';
import { locateKernel } from '../../src/kernel/locate.js';
import { SystemMap, SystemMapSymbols } from '../../src/kernel/system-map.js';
import type { Report } from '../../src/report/report.js';
import { FROZEN_DRIVER, FROZEN_MODULE, NEW_KERNEL, OLD_KERNEL } from '../support/paths.js';
import { checkJson, runCli } from '../support/run.js';

const VMLINUX = join(NEW_KERNEL, 'vmlinux');
const MAP = join(NEW_KERNEL, 'System.map');
const OLD_MAP = join(OLD_KERNEL, 'System.map');
let dir: string;
/** The fixture vmlinux without DWARF (.symtab kept), and without anything but its allocated sections and .BTF. */
let noDebug: string;
let stripped: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'relinkable-sysmap-'));
  noDebug = join(dir, 'vmlinux.no-debug');
  stripped = join(dir, 'vmlinux.stripped');
  execFileSync('objcopy', ['--strip-debug', VMLINUX, noDebug]);
  execFileSync('objcopy', ['--strip-all', VMLINUX, stripped]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('System.map as the symbol table of a stripped vmlinux', () => {
  it('gives each line the binding, section and value .symtab has (size 0, type from the letter)', () => {
    const elf = ElfFile.open(VMLINUX);
    const fromMap = new SystemMapSymbols(new SystemMap(MAP), elf.sections).all();
    const symtab = elf.symbols();
    expect(fromMap.length).toBe(new SystemMap(MAP).entries().length);
    const boundaries: string[] = [];
    for (const m of fromMap) {
      const s = symtab.find((x) => x.name === m.name && x.value === m.value && x.binding === m.binding);
      expect(s, m.name).toBeDefined();
      expect(m.size).toBe(0);
      if (s!.type === 'func' || s!.type === 'object') expect(m.type, m.name).toBe(s!.type);
      if (s!.shndx === m.shndx) continue;
      // Only where one section ends and the next starts is an address ambiguous: System.map's
      // reading takes the section that starts there, .symtab may name the one that ends.
      const ends = elf.sections[s!.shndx]!;
      expect(m.value, m.name).toBe(ends.addr + BigInt(ends.size));
      expect(m.value, m.name).toBe(elf.sections[m.shndx]!.addr);
      boundaries.push(m.name);
    }
    expect(boundaries.sort()).toEqual(['__alt_instructions_end', '__per_cpu_end', '__stop___ksymtab', '__stop___ksymtab_gpl']);
  });

  it('is read only when a symbol is first asked for', () => {
    const missing = join(dir, 'no-System.map');
    const notYet = new NewKernel(locateKernel({ vmlinux: stripped, systemMap: missing }));
    expect(() => notYet.global('start_kernel')).toThrow(new InputError(missing, 'no such file'));
    const kernel = new NewKernel(locateKernel({ vmlinux: stripped, systemMap: MAP }));
    expect(kernel.symbolSource).toBe('System.map');
    expect(kernel.global('start_kernel')).toMatchObject({ name: 'start_kernel', binding: 'global', type: 'func', file: MAP });
    expect(kernel.vmlinux.sections[kernel.global('start_kernel')!.shndx]!.name).toBe('.text');
    expect(kernel.global('start_kernel')!.value).toBe(new NewKernel(locateKernel({ vmlinux: VMLINUX })).global('start_kernel')!.value);
    expect(kernel.release()).toBe(new NewKernel(locateKernel({ vmlinux: VMLINUX })).release());
  });

  it('without System.map, a stripped vmlinux is refused with what to give instead', async () => {
    const r = await runCli(['check', FROZEN_DRIVER, '--vmlinux', stripped]);
    expect(r).toEqual({
      status: 2,
      stdout: '',
      stderr: `relinkable: error: ${stripped}: has no symbol table (stripped vmlinux, no kallsyms): use the -dbg vmlinux or the build directory, or give its System.map with --system-map\n`,
    });
  });

  /** Findings, with the new kernel's symbol evidence reduced to what both symbol sources say. */
  const findings = (report: Report) => {
    const where = (e: Report['findings'][number]['evidence'][number]) => (e.file === noDebug || e.file === stripped || e.file === MAP ? { label: e.label, section: e.section, symbol: e.symbol } : e);
    return report.findings.map((f) => ({ ...f, evidence: f.evidence.map(where), sites: f.sites.map((s) => ({ ...s, evidence: s.evidence.map(where) })) }));
  };

  it.each([
    ['built-in object, build directory (System.map found there)', FROZEN_DRIVER, ['--kernel', NEW_KERNEL]],
    ['module, build directory (System.map found there)', FROZEN_MODULE, ['--kernel', NEW_KERNEL]],
    ['built-in object, explicit files', FROZEN_DRIVER, ['--symvers', join(NEW_KERNEL, 'Module.symvers'), '--config', join(NEW_KERNEL, '.config'), '--system-map', MAP]],
    ['module, exports from vmlinux __ksymtab (no Module.symvers)', FROZEN_MODULE, ['--config', join(NEW_KERNEL, '.config'), '--system-map', MAP]],
  ])('%s: the same findings as with .symtab', async (_name, object, args) => {
    const withSymtab = await checkJson([object, '--vmlinux', noDebug, ...args]);
    const withMap = await checkJson([object, '--vmlinux', stripped, ...args]);
    expect(withMap.report.findings.length).toBeGreaterThan(5);
    expect(findings(withMap.report)).toEqual(findings(withSymtab.report));
    expect(withMap.status).toBe(withSymtab.status);
    expect(withMap.report.kernel).toEqual({
      ...withSymtab.report.kernel,
      vmlinux: { ...withSymtab.report.kernel.vmlinux, path: stripped },
      input: { ...withSymtab.report.kernel.input, symbols: 'System.map' },
    });
    expect(withSymtab.report.kernel.input.symbols).toBe('.symtab');
  });

  it("points the new kernel's symbol evidence at System.map's line", async () => {
    const { report } = await checkJson([FROZEN_DRIVER, '--kernel', NEW_KERNEL, '--vmlinux', stripped]);
    const helper = report.findings.find((f) => f.symbol === 'helper_count')!;
    const line = execFileSync('grep', ['-n', ' t helper_count$', MAP], { encoding: 'utf8' }).split(':')[0];
    expect(helper.evidence).toContainEqual(
      expect.objectContaining({ label: 'new kernel', file: MAP, section: '.text', symbol: 'helper_count', location: expect.stringMatching(new RegExp(`^line ${line}, address 0x`)) }),
    );
  });
});

describe('System.map of another kernel', () => {
  it('next to a vmlinux with .symtab: refused, naming both files', async () => {
    const r = await runCli(['check', FROZEN_DRIVER, '--kernel', NEW_KERNEL, '--system-map', OLD_MAP]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^relinkable: error: ${OLD_MAP}: does not belong to ${VMLINUX}: it (puts \\S+ at 0x[0-9a-f]+, vmlinux's \\.symtab at 0x[0-9a-f]+|lists \\S+ \\(. at 0x[0-9a-f]+\\), which vmlinux's \\.symtab does not define)\n$`));
  });

  it('as the symbols of a stripped vmlinux: refused, its linux_banner is not where it says', async () => {
    const r = await runCli(['check', FROZEN_DRIVER, '--vmlinux', stripped, '--system-map', OLD_MAP]);
    const banner = execFileSync('grep', [' linux_banner$', OLD_MAP], { encoding: 'utf8' }).split(' ')[0]!.replace(/^0+/, '');
    expect(r).toEqual({
      status: 2,
      stdout: '',
      stderr: `relinkable: error: ${OLD_MAP}: does not belong to ${stripped}: it puts linux_banner at 0x${banner}, where vmlinux has no "Linux version" string\n`,
    });
  });

  it('a System.map that is not there: one line naming it, also next to a .symtab', async () => {
    const missing = join(dir, 'no-System.map');
    expect(await runCli(['check', FROZEN_DRIVER, '--kernel', NEW_KERNEL, '--system-map', missing])).toEqual({ status: 2, stdout: '', stderr: `relinkable: error: ${missing}: no such file\n` });
  });

  it('reads a few 4 KiB windows of a map next to a .symtab, and refuses lines that are not System.map lines', () => {
    const kernel = new NewKernel(locateKernel({ kernel: NEW_KERNEL }));
    expect(kernel.symbolSource).toBe('.symtab');
    expect(() => kernel.checkSystemMap()).not.toThrow();
    const garbage = join(dir, 'System.map.garbage');
    copyFileSync(MAP, garbage);
    writeFileSync(garbage, 'ffffffff81000000 T _text\nthis is not a map line\n', { flag: 'a' });
    expect(() => new NewKernel(locateKernel({ kernel: NEW_KERNEL, systemMap: garbage })).checkSystemMap()).toThrow(InputError);
    expect(new SystemMap(MAP).sample().length).toBeGreaterThan(8);
  });
});
