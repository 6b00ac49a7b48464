import { describe, expect, it } from 'vitest';
import {
  decodeExtable,
  extableCompositeNames,
  extableTypeNames,
  extableTypesUsed,
  parseExtableTypes,
  readExtableTypes,
  undefinedExtableTypes,
} from '../../../src/arch/x86/extable.js';
import { ElfFile } from '../../../src/elf/index.js';
import { InputError } from '../../../src/errors.js';
import { readelfRelocations } from '../../support/readelf.js';
import { debianAsmHeader, kvm, treeObject, type Version } from './corpus.js';
import { gccMacroValues, objdumpDisassembly, readelfAddends } from './oracles.js';

const typesOf = (v: Version) => readExtableTypes(debianAsmHeader(v, 'extable_fixup_types.h'));

describe('extable_fixup_types.h, with gcc as the oracle', () => {
  it.each(['6.1.170', '6.1.192', '6.12.117'] as const)('%s: every EX_TYPE_ value is the one gcc computes', (version) => {
    const types = typesOf(version);
    expect(types.typeMask).toBe(0xff);
    // EX_TYPE_EFAULT_REG needs -EFAULT from another header.
    const gcc = gccMacroValues(debianAsmHeader(version, 'extable_fixup_types.h'), /^EX_TYPE_/, ['EFAULT=14']);
    const ours = new Map(types.byName);
    gcc.delete('EX_TYPE_EFAULT_REG');
    for (const [name, value] of gcc) gcc.set(name, value >>> 0);
    expect(ours).toEqual(gcc);
  });

  it('6.12 dropped EX_TYPE_COPY (4) and added EX_TYPE_ERETU (21)', () => {
    const old = typesOf('6.1.170');
    const next = typesOf('6.12.117');
    expect(old.types.get(4)).toEqual(['EX_TYPE_COPY']);
    expect(next.types.has(4)).toBe(false);
    expect(old.types.has(21)).toBe(false);
    expect(next.types.get(21)).toEqual(['EX_TYPE_ERETU']);
    const names = (t: typeof old) => [...t.types.values()].flat();
    expect(names(next).filter((n) => !names(old).includes(n))).toEqual(['EX_TYPE_ERETU']);
    expect(names(old).filter((n) => !names(next).includes(n))).toEqual(['EX_TYPE_COPY']);
    expect(typesOf('6.1.192').types).toEqual(old.types);
  });
});

describe('__ex_table of kvm.ko', () => {
  it.each([
    ['6.1.170', 26, { EX_TYPE_UACCESS: 14, EX_TYPE_IMM_REG: 12 }],
    ['6.12.117', 31, { EX_TYPE_UACCESS: 10, EX_TYPE_IMM_REG: 21 }],
  ] as const)('%s: %i entries; the types used', (version, count, used) => {
    const path = kvm(version, 'kvm');
    const table = decodeExtable(ElfFile.open(path));
    expect(table.layout).toBe('data');
    expect(table.entries).toHaveLength(count);
    const types = typesOf(version);
    expect(Object.fromEntries(extableTypesUsed(table, types).map((u) => [u.names.join('/'), u.count]))).toEqual(used);
    expect(undefinedExtableTypes(table, typesOf('6.12.117'))).toEqual([]);

    // readelf -r: two relocations per entry, at +0 (insn) and +4 (fixup).
    const relocs = readelfRelocations(path).filter((r) => r.section === '.rela__ex_table');
    expect(relocs.map((r) => Number(r.offset))).toEqual(table.entries.flatMap((e) => [e.offset, e.offset + 4]));
    const addends = readelfAddends(path, '.rela__ex_table');
    const disasm = objdumpDisassembly(path);
    for (const e of table.entries) {
      const r = relocs.find((x) => Number(x.offset) === e.offset)!;
      expect(e.insn.section).toBe(r.symbol);
      expect(e.insn.offset).toBe(addends.get(e.offset));
      expect(disasm.instructions.get(e.insn.section)!.has(e.insn.offset)).toBe(true);
      expect(e.insn.function).toBeDefined();
      // IMM_REG entries carry a register and an immediate: ZERO_REG (0), ONE_REG (1) or EFAULT_REG (-EFAULT).
      if (e.type === 17) expect([0, 1, -14]).toContain(e.imm);
    }
    const zero = table.entries.find((e) => e.type === 17 && e.imm === 0);
    if (zero) expect(extableCompositeNames(zero, types)).toEqual(['EX_TYPE_ZERO_REG']);
  });

  it('6.1.170 copy_user_64.o uses EX_TYPE_COPY, which 6.12.117 does not define', () => {
    const table = decodeExtable(ElfFile.open(treeObject('6.1.170', 'arch/x86/lib/copy_user_64.o')));
    expect(table.entries).toHaveLength(52);
    expect(extableTypesUsed(table, typesOf('6.1.170')).map((u) => [u.names, u.count])).toEqual([[['EX_TYPE_COPY'], 52]]);
    const missing = undefinedExtableTypes(table, typesOf('6.12.117'));
    expect(missing).toHaveLength(52);
    expect(extableTypeNames(missing[0]!, typesOf('6.12.117'))).toEqual([]);
    expect(missing[0]!.insn.function).toBe('copy_user_generic_unrolled');
  });

  it('a header without EX_TYPE_ defines is refused', () => {
    expect(() => parseExtableTypes('x.h', '#define FOO 1\n')).toThrow(InputError);
    expect(() => parseExtableTypes('x.h', '#define FOO 1\n')).toThrow('x.h: no EX_TYPE_ defines: not an extable_fixup_types.h');
    expect(() => parseExtableTypes('x.h', '#define EX_TYPE_HUGE 300\n')).toThrow('x.h: line 1: EX_TYPE_HUGE 300 does not fit EX_DATA_TYPE_MASK 0xff');
  });
});
