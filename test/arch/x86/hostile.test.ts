import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeAlternatives } from '../../../src/arch/x86/alternatives.js';
import { inferEntrySize, relocationsPerEntry, specialSectionSizes } from '../../../src/arch/x86/entries.js';
import { decodeExtable } from '../../../src/arch/x86/extable.js';
import { orcTables, readOrcHeader } from '../../../src/arch/x86/orc.js';
import { BufferSource, ElfFile } from '../../../src/elf/index.js';
import { InputError } from '../../../src/errors.js';
import { debianModule, kvm } from './corpus.js';

/** A real module's bytes, and where its section headers and relocation entries are (ELF64 little-endian). */
class Mutable {
  readonly bytes: Buffer;
  private readonly shoff: number;
  private readonly names: string[];

  constructor(
    readonly name: string,
    original: Buffer,
  ) {
    this.bytes = Buffer.from(original);
    this.shoff = Number(this.bytes.readBigUInt64LE(40));
    const elf = new ElfFile(new BufferSource(name, original));
    this.names = elf.sections.map((s) => s.name);
  }

  header(section: string): number {
    const i = this.names.indexOf(section);
    if (i < 0) throw new Error(`no ${section}`);
    return this.shoff + i * 64;
  }

  size(section: string): number {
    return Number(this.bytes.readBigUInt64LE(this.header(section) + 32));
  }

  setSize(section: string, size: number): this {
    this.bytes.writeBigUInt64LE(BigInt(size), this.header(section) + 32);
    return this;
  }

  setOffset(section: string, offset: number): this {
    this.bytes.writeBigUInt64LE(BigInt(offset), this.header(section) + 24);
    return this;
  }

  /** Byte offset in the file of relocation `i` of a RELA section. */
  rela(section: string, i: number): number {
    return Number(this.bytes.readBigUInt64LE(this.header(section) + 24)) + i * 24;
  }

  open(): ElfFile {
    return new ElfFile(new BufferSource(this.name, this.bytes));
  }
}

const KVM_AMD_61 = readFileSync(kvm('6.1.170', 'kvm-amd'));
const GCM_612 = readFileSync(debianModule('6.12.117', 'crypto/gcm.ko'));
const amd = () => new Mutable('kvm-amd.ko', KVM_AMD_61);
/** Rounds of the byte-flip test (X86_FUZZ_ROUNDS=5000 for a longer run). */
const ROUNDS = Number(process.env.X86_FUZZ_ROUNDS ?? 300);

/** The InputError fn throws, as its one-line message. */
function inputError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    const message = (err as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('expected an InputError, got none');
}

describe('hostile bytes: one-line InputError naming the file, never a RangeError or a hang', () => {
  it('.altinstructions one byte short: not a multiple of the entry; the inference says so without throwing', () => {
    const m = amd();
    expect(m.size('.altinstructions')).toBe(0x300);
    const elf = m.setSize('.altinstructions', 0x2ff).open();
    expect(inputError(() => decodeAlternatives(elf, 12))).toBe('kvm-amd.ko: .altinstructions: size 0x2ff is not a multiple of the 12-byte entry');
    expect(inferEntrySize(elf, '.altinstructions', 2)).toMatchObject({ entrySize: undefined, problem: 'size 767 does not divide into 64 entries (128 relocations, 2 per entry)' });
    expect(inputError(() => decodeAlternatives(elf))).toBe(
      'kvm-amd.ko: .altinstructions: entries are neither 12 nor 14 bytes (size 767 does not divide into 64 entries (128 relocations, 2 per entry))',
    );
  });

  it('a truncated section: relocations beyond its end', () => {
    const elf = amd().setSize('.altinstructions', 16).open();
    // Entry 1's repl_offset at 0x10 is the first field past the 16 bytes left.
    expect(inputError(() => decodeAlternatives(elf, 12))).toBe('kvm-amd.ko: relocation 3 for .altinstructions at 0x10 (R_X86_64_PC32) lies outside the section (0x10 bytes)');
    expect(inputError(() => inferEntrySize(elf, '.altinstructions', 2))).toBe('kvm-amd.ko: relocation 3 for .altinstructions at 0x10 lies outside the section (0x10 bytes)');
  });

  it('section data past the end of the file (the ELF reader refuses the section table)', () => {
    const m = amd();
    m.setOffset('.altinstructions', m.bytes.length - 10);
    expect(inputError(() => decodeAlternatives(m.open(), 12))).toMatch(/^kvm-amd\.ko: truncated: section \[17\] at 0x[0-9a-f]+\+0x300 ends past the end of the file \(\d+ bytes\)$/);
  });

  it('relocations pointing outside: r_offset, symbol index, target', () => {
    let m = amd();
    m.bytes.writeBigUInt64LE(0xfffffff0n, m.rela('.rela.altinstructions', 3));
    expect(inputError(() => decodeAlternatives(m.open(), 12))).toBe('kvm-amd.ko: relocation 3 for .altinstructions at 0xfffffff0 (R_X86_64_PC32) lies outside the section (0x300 bytes)');

    m = amd();
    m.bytes.writeUInt32LE(0xffffff, m.rela('.rela.altinstructions', 0) + 12);
    expect(inputError(() => decodeAlternatives(m.open(), 12))).toMatch(/^kvm-amd\.ko: relocation 0 for \.altinstructions at 0x0 names symbol 16777215, past the end of the symbol table \(\d+\)$/);

    m = amd();
    m.bytes.writeBigInt64LE(0x7fffffffn, m.rela('.rela.altinstructions', 0) + 16);
    expect(inputError(() => decodeAlternatives(m.open(), 12))).toMatch(
      /^kvm-amd\.ko: \.altinstructions\+0x0: entry 0 instr_offset points to \.text\.unlikely\+0x7fffffff \(5 bytes\), outside \.text\.unlikely \(0x[0-9a-f]+ bytes\)$/,
    );

    m = amd();
    m.bytes.writeBigInt64LE(-8n, m.rela('.rela__ex_table', 0) + 16);
    expect(inputError(() => decodeExtable(m.open()))).toMatch(/^kvm-amd\.ko: __ex_table\+0x0: entry 0 insn points to \.text-0x8, outside \.text \(0x[0-9a-f]+ bytes\)$/);
  });

  it('__ex_table: a size that does not divide, a missing relocation', () => {
    expect(inputError(() => decodeExtable(amd().setSize('__ex_table', 0xe3).open()))).toBe('kvm-amd.ko: __ex_table: size 0xe3 is not a multiple of the 12-byte entry');
    expect(inputError(() => relocationsPerEntry(amd().setSize('__ex_table', 0xe3).open(), '__ex_table', 12))).toBe(
      'kvm-amd.ko: __ex_table: size 0xe3 is not a multiple of the 12-byte entry',
    );
    const m = amd();
    const elf = m.setSize('.rela__ex_table', m.size('.rela__ex_table') - 24).open();
    expect(inputError(() => decodeExtable(elf))).toBe('kvm-amd.ko: __ex_table: 37 relocations for 19 entries; expected 2 per entry (insn, fixup)');
  });

  it('ORC: sizes that do not divide, a short header', () => {
    expect(inputError(() => orcTables(amd().setSize('.orc_unwind', amd().size('.orc_unwind') - 1).open()))).toBe(
      'kvm-amd.ko: .orc_unwind: size 0x2f51 is not a multiple of the 6-byte orc_entry',
    );
    expect(inputError(() => orcTables(amd().setSize('.orc_unwind_ip', 7).open()))).toBe('kvm-amd.ko: .orc_unwind_ip: size 0x7 is not a multiple of 4 bytes');
    // A pairing that disagrees is a fact, not an error.
    expect(orcTables(amd().setSize('.orc_unwind', 6).open())).toMatchObject({ consistent: false, problem: '1 orc_entry for 2019 instruction addresses' });
    const gcm = new Mutable('gcm.ko', GCM_612);
    expect(inputError(() => readOrcHeader(gcm.setSize('.orc_header', 19).open()))).toBe('gcm.ko: .orc_header is 19 bytes, not the 20-byte ORC hash');
  });

  it('random byte flips in the special sections, their relocations and their section headers: only InputErrors', () => {
    // mulberry32: a seeded generator whose low bits are as random as its high ones.
    let seed = 0x5eed;
    const random = (n: number) => {
      seed = (seed + 0x6d2b79f5) >>> 0;
      let t = seed;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) % n;
    };
    const targets = ['.altinstructions', '.rela.altinstructions', '__ex_table', '.rela__ex_table', '.orc_unwind_ip', '.rela.orc_unwind_ip'];
    const clean = amd();
    let errors = 0;
    const started = Date.now();
    for (let round = 0; round < ROUNDS; round++) {
      const m = amd();
      for (let k = 0; k < 1 + random(4); k++) {
        const section = targets[random(targets.length)]!;
        // A byte of the section's data, or of its section header.
        const at = random(3) === 0 ? clean.header(section) + random(64) : Number(clean.bytes.readBigUInt64LE(clean.header(section) + 24)) + random(clean.size(section));
        m.bytes[at] = random(256);
      }
      try {
        const elf = m.open();
        specialSectionSizes(elf);
        decodeAlternatives(elf);
        decodeExtable(elf);
        orcTables(elf);
      } catch (err) {
        if (!(err instanceof InputError)) throw err;
        expect(err.message).not.toContain('\n');
        errors++;
        if (process.env.X86_FUZZ_LOG) console.log(err.message);
      }
    }
    expect(errors).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(ROUNDS * 200);
  });
});
