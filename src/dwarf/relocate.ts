import { InputError, hex } from '../errors.js';
import { EM_386, EM_AARCH64, EM_X86_64, SHN_ABS, SHN_COMMON, SHN_UNDEF } from '../elf/constants.js';
import { relocationTypeName, type ElfFile, type ElfSection } from '../elf/index.js';

/**
 * In a relocatable object (.o, .ko) the offsets and addresses inside debug sections are
 * not final: `.debug_info` says "string at .debug_str + A" through a relocation whose
 * stored field is 0 (RELA) or A (REL). Without applying `.rela.debug_*` every name comes
 * out wrong. This applies them to a copy of the section — one mechanism for every reader,
 * like gimli's RelocateReader. It is for relocatable files only: a linked vmlinux (even one
 * linked with --emit-relocs) already holds the final values.
 */
export function relocateDebugSection(elf: ElfFile, section: ElfSection, bytes: Buffer): Buffer {
  const tables = elf.relocationsFor(section);
  if (tables.length === 0) return bytes;
  const out = Buffer.from(bytes);
  const symbols = elf.symbols();
  const machine = elf.header.machine;
  const le = elf.header.littleEndian;
  for (const table of tables) {
    for (let i = 0; i < table.count; i++) {
      const type = table.typeAt(i);
      const width = dataRelocationWidth(machine, elf.header.is64, type);
      if (width === 0) continue;
      if (width < 0) {
        throw new InputError(
          elf.name,
          `unsupported relocation ${relocationTypeName(machine, type)} in the relocations of ${section.name}`,
        );
      }
      const at = Number(table.offsetAt(i));
      if (at < 0 || at + width > out.length) {
        throw new InputError(elf.name, `relocation ${i} of ${section.name} at ${hex(at)} lies outside the section`);
      }
      const sym = symbols[table.symbolIndexAt(i)];
      if (!sym) throw new InputError(elf.name, `relocation ${i} of ${section.name}: symbol index out of range`);
      const s = sym.shndx === SHN_UNDEF || sym.shndx === SHN_COMMON ? 0n : sym.shndx === SHN_ABS ? sym.value : sym.value;
      const addend = table.addendAt(i) ?? readField(out, at, width, le);
      writeField(out, at, width, le, s + addend);
    }
  }
  return out;
}

/** Bytes written by a relocation type that can appear in debug sections; 0 = none, -1 = not supported. */
function dataRelocationWidth(machine: number, is64: boolean, type: number): number {
  switch (machine) {
    case EM_X86_64:
      // NONE; 64; 32; 32S; DTPOFF32 (TLS variable locations); DTPOFF64
      return type === 0 ? 0 : type === 1 || type === 17 ? 8 : type === 10 || type === 11 || type === 21 ? 4 : -1;
    case EM_386:
      // NONE; 32; TLS_LDO_32
      return type === 0 ? 0 : type === 1 || type === 32 ? 4 : -1;
    case EM_AARCH64:
      // ILP32 (ELF32) numbers its relocations apart: P32_ABS32 is 1.
      if (!is64) return type === 0 ? 0 : type === 1 ? 4 : -1;
      // NONE (0 and the withdrawn 256); ABS64; ABS32
      return type === 0 || type === 256 ? 0 : type === 257 ? 8 : type === 258 ? 4 : -1;
    default:
      return -1;
  }
}

function readField(buf: Buffer, at: number, width: number, le: boolean): bigint {
  if (width === 8) return le ? buf.readBigInt64LE(at) : buf.readBigInt64BE(at);
  return BigInt(le ? buf.readInt32LE(at) : buf.readInt32BE(at));
}

function writeField(buf: Buffer, at: number, width: number, le: boolean, value: bigint): void {
  if (width === 8) {
    const v = BigInt.asUintN(64, value);
    if (le) buf.writeBigUInt64LE(v, at);
    else buf.writeBigUInt64BE(v, at);
  } else {
    const v = Number(BigInt.asUintN(32, value));
    if (le) buf.writeUInt32LE(v, at);
    else buf.writeUInt32BE(v, at);
  }
}
