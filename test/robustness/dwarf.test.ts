import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BufferSource, ElfFile } from '../../src/elf/index.js';
import { FROZEN_DRIVER, FROZEN_MODULE, NEW_KERNEL, OLD_KERNEL } from '../support/paths.js';
import { checkJson, runCli } from '../support/run.js';

/**
 * Issue 13, defect 11 (DWARF misdecoding passed: one form byte changed in .debug_abbrev gave
 * RELINKABLE with 0 of the functions compared) and the second half of defect 10 (no type
 * source at all, and the check passed). A verdict is never made of input that was not read.
 */

let dir: string;
const at = (name: string) => join(dir, name);
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'relinkable-dwarf-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface AbbrevSpec {
  readonly at: number;
  readonly form: number;
  /** Offset of the form byte in the file. */
  readonly formByte: number;
}

/** The abbreviations of an object's .debug_abbrev, with where each form is (forms below 0x80 are one byte). */
function abbreviations(bytes: Buffer): { code: number; tag: number; specs: AbbrevSpec[] }[] {
  const elf = new ElfFile(new BufferSource('x', bytes));
  const section = elf.section('.debug_abbrev')!;
  let p = section.offset;
  const end = section.offset + section.size;
  const uleb = () => {
    let v = 0;
    let shift = 0;
    for (;;) {
      const b = bytes[p++]!;
      v += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (!(b & 0x80)) return v;
    }
  };
  const out: { code: number; tag: number; specs: AbbrevSpec[] }[] = [];
  while (p < end) {
    const code = uleb();
    if (code === 0) continue;
    const tag = uleb();
    p++; // children
    const specs: AbbrevSpec[] = [];
    for (;;) {
      const attr = uleb();
      const formByte = p;
      const form = uleb();
      if (attr === 0 && form === 0) break;
      if (form === 0x21) uleb(); // implicit_const (its value is signed; skipping bytes is the same)
      specs.push({ at: attr, form, formByte });
    }
    out.push({ code, tag, specs });
  }
  return out;
}

const DW_TAG_subprogram = 0x2e;
const DW_AT_name = 0x03;
const DW_AT_declaration = 0x3c;
const DW_FORM_strp = 0x0e;
const DW_FORM_data4 = 0x06;

describe('DWARF read as something else than what the producer wrote: an input error naming the unit (defect 11)', () => {
  it('the control: the module, unmutated, against the kernel it was built for, is RELINKABLE with its functions compared', async () => {
    const { status, report } = await checkJson([FROZEN_MODULE, '--kernel', OLD_KERNEL]);
    expect(status).toBe(0);
    expect(report.verdict).toBe('relinkable');
    expect(report.coverage.functions.compared).toBeGreaterThan(3);
  });

  it('DW_AT_name of the function declarations in form data4 (same size, so the walk stays in step): refused, not RELINKABLE with 0 compared', async () => {
    const bytes = Buffer.from(readFileSync(FROZEN_MODULE));
    const decl = abbreviations(bytes).find((a) => a.tag === DW_TAG_subprogram && a.specs.some((s) => s.at === DW_AT_declaration) && a.specs.some((s) => s.at === DW_AT_name && s.form === DW_FORM_strp))!;
    const name = decl.specs.find((s) => s.at === DW_AT_name)!;
    bytes[name.formByte] = DW_FORM_data4;
    const path = at('name-as-data4.ko');
    writeFileSync(path, bytes);
    const r = await runCli(['check', path, '--kernel', OLD_KERNEL]);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      new RegExp(`^relinkable: error: ${path}: \\.debug_info\\+0x[0-9a-f]+: unit at 0x0: DIE with abbreviation ${decl.code} has attribute 0x3 in form 0x6, which is not of its class \\(string\\): the abbreviation table does not describe this unit\\n$`),
    );
    expect(r.status).toBe(2);
  });

  it('a form of another size (data1 -> data2): the DIE walk no longer ends at the unit end, and that is refused', async () => {
    const bytes = Buffer.from(readFileSync(FROZEN_MODULE));
    // The first data1 spec of an abbreviation with children: the walk shifts by one byte per DIE using it.
    const target = abbreviations(bytes)
      .flatMap((a) => a.specs)
      .find((s) => s.form === 0x0b && s.at !== DW_AT_name)!;
    bytes[target.formByte] = 0x05; // data2
    const path = at('data1-as-data2.ko');
    writeFileSync(path, bytes);
    const r = await runCli(['check', path, '--kernel', OLD_KERNEL]);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^relinkable: error: ${path}: \\.debug_info\\+0x[0-9a-f]+: unit at 0x[0-9a-f]+: [^\\n]+\\n$`));
    expect(r.status).toBe(2);
  });

  it('every single-byte change of a form in .debug_abbrev: a report whose interface comparison still ran, or one input error (never RELINKABLE with less compared)', async () => {
    const original = readFileSync(FROZEN_MODULE);
    const forms = abbreviations(original).flatMap((a) => a.specs.map((s) => s.formByte));
    const { report: control } = await checkJson([FROZEN_MODULE, '--kernel', OLD_KERNEL]);
    let refused = 0;
    for (const [i, byte] of forms.entries()) {
      const bytes = Buffer.from(original);
      // A form of the same class family is the subtle case: swap strp<->data4, ref4<->data4, data1<->flag, etc.
      bytes[byte] = [0x06, 0x0e, 0x13, 0x0b, 0x0c][i % 5]!;
      if (bytes[byte] === original[byte]) continue;
      const path = at(`form-${i}.ko`);
      writeFileSync(path, bytes);
      const r = await runCli(['check', path, '--kernel', OLD_KERNEL, '--format', 'json']);
      rmSync(path);
      if (r.status === 2) {
        refused++;
        expect(r.stderr, `form byte ${byte}`).toMatch(new RegExp(`^relinkable: error: ${path}: [^\\n]+\\n$`));
        continue;
      }
      expect(r.stderr, `form byte ${byte}`).toBe('');
      const report = JSON.parse(r.stdout);
      if (report.verdict === 'relinkable') expect(report.coverage.functions.compared, `form byte ${byte}: RELINKABLE with fewer functions compared`).toBe(control.coverage.functions.compared);
    }
    expect(refused).toBeGreaterThan(0);
  });

  it("a unit whose address size is not the ELF file's: refused, naming the unit", async () => {
    const bytes = Buffer.from(readFileSync(FROZEN_DRIVER));
    const info = new ElfFile(new BufferSource('x', bytes)).section('.debug_info')!;
    // DWARF 5 header: unit_length (4), version (2), unit_type (1), address_size (1).
    expect(bytes.readUInt16LE(info.offset + 4)).toBe(5);
    bytes[info.offset + 7] = 4;
    const path = at('address-size-4.o');
    writeFileSync(path, bytes);
    expect(await runCli(['check', path, '--kernel', NEW_KERNEL])).toEqual({
      status: 2,
      stdout: '',
      stderr: `relinkable: error: ${path}: .debug_info+0x0: unit at 0x0: address size 4, but the file is 64-bit ELF (8)\n`,
    });
  });

  it('a unit cut short: the DIE tree runs past the unit end, refused (unit_length made smaller)', async () => {
    const bytes = Buffer.from(readFileSync(FROZEN_DRIVER));
    const info = new ElfFile(new BufferSource('x', bytes)).section('.debug_info')!;
    const length = bytes.readUInt32LE(info.offset);
    bytes.writeUInt32LE(length - 1, info.offset);
    const path = at('unit-short.o');
    writeFileSync(path, bytes);
    const r = await runCli(['check', path, '--kernel', NEW_KERNEL]);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^relinkable: error: ${path}: \\.debug_info\\+0x[0-9a-f]+: (unit at 0x0: [^\\n]+|truncated[^\\n]*)\\n$`));
    expect(r.status).toBe(2);
  });
});

describe('no type source for an interface comparison that was asked for (defect 10)', () => {
  it('a vmlinux with neither .BTF nor DWARF: an input error saying what would do, not RELINKABLE with nothing compared', async () => {
    const bare = at('vmlinux-no-types');
    execFileSync('objcopy', ['--strip-debug', '--remove-section', '.BTF', join(OLD_KERNEL, 'vmlinux'), bare]);
    expect(await runCli(['check', FROZEN_MODULE, '--kernel', OLD_KERNEL, '--vmlinux', bare])).toEqual({
      status: 2,
      stdout: '',
      stderr: `relinkable: error: ${bare}: has neither .BTF nor DWARF, so the interfaces ${FROZEN_MODULE} was compiled against cannot be compared: give a vmlinux with its type information, --reference with an object built in the new tree, or --type-source none to check the link only\n`,
    });
  });

  it('the same with --type-source none: the link checks run, and the report says no type source was used', async () => {
    const bare = at('vmlinux-no-types-2');
    execFileSync('objcopy', ['--strip-debug', '--remove-section', '.BTF', join(OLD_KERNEL, 'vmlinux'), bare]);
    const { status, report } = await checkJson([FROZEN_MODULE, '--kernel', OLD_KERNEL, '--vmlinux', bare, '--type-source', 'none']);
    expect(status).toBe(0);
    expect(report.coverage.sources).toEqual([]);
    expect(report.coverage.functions.compared).toBe(0);
    expect(report.coverage.functions.notCompared.every((n: { why: string }) => /--type-source none|no declaration|compiler-generated/.test(n.why))).toBe(true);
  });
});
