import { readFileSync } from 'node:fs';
import { SHT_NOTE } from '../../src/elf/constants.js';
import { BufferSource, ElfFile } from '../../src/elf/index.js';
import { buildId, decodeNotes, gnuProperties } from '../../src/elf/notes.js';
import { fixture, fixtureFiles, type FuzzTarget } from '../target.js';

const FILE = 'fuzzed.o';

/** The first byte says how the rest is read: bit 0 8-byte alignment, bit 1 big-endian, bit 2 a 64-bit file. */
function layout(selector: number): { align: number; littleEndian: boolean; is64: boolean } {
  return { align: selector & 1 ? 8 : 4, littleEndian: (selector & 2) === 0, is64: (selector & 4) !== 0 };
}

function selector(align: number, littleEndian: boolean, is64: boolean): number {
  return (align === 8 ? 1 : 0) | (littleEndian ? 0 : 2) | (is64 ? 4 : 0);
}

/** A note in the layout the reader expects, for seeds the fixtures lack (a build id, a GNU property). */
function note(name: string, type: number, desc: Buffer, align: number): Buffer {
  const pad = (b: Buffer) => Buffer.concat([b, Buffer.alloc((align - (b.length % align)) % align)]);
  const head = Buffer.alloc(12);
  head.writeUInt32LE(name.length + 1, 0);
  head.writeUInt32LE(desc.length, 4);
  head.writeUInt32LE(type, 8);
  return Buffer.concat([pad(Buffer.concat([head, Buffer.from(`${name}\0`, 'latin1')])), pad(desc)]);
}

/** An ELF note section: notes decoded, their build id and GNU properties (BTI, PAC, IBT, SHSTK) read. */
export const notesTarget: FuzzTarget = {
  name: 'notes',
  input: 'a note section, after one byte choosing alignment, byte order and class',
  seeds() {
    const out = new Map<string, Buffer>();
    const files = [...fixtureFiles('elf', /\.o$/).keys()].map((k) => ['elf', k.replace(/^elf-/, '')]);
    files.push(['new-kernel', 'vmlinux']);
    for (const [folder, name] of files) {
      const bytes = readFileSync(fixture(folder!, name!));
      const elf = new ElfFile(new BufferSource(name!, bytes));
      for (const s of elf.sections) {
        if (s.type !== SHT_NOTE || s.size === 0) continue;
        const sel = selector(s.addralign === 8 ? 8 : 4, elf.header.littleEndian, elf.header.is64);
        out.set(`${folder}-${name}${s.name}`, Buffer.concat([Buffer.of(sel), bytes.subarray(s.offset, s.offset + s.size)]));
      }
    }
    // NT_GNU_BUILD_ID (3) and NT_GNU_PROPERTY_TYPE_0 (5) with GNU_PROPERTY_X86_FEATURE_1_AND (IBT | SHSTK).
    out.set('made-build-id', Buffer.concat([Buffer.of(selector(4, true, true)), note('GNU', 3, Buffer.alloc(20, 0xab), 4)]));
    const property = Buffer.alloc(16);
    property.writeUInt32LE(0xc0000002, 0);
    property.writeUInt32LE(4, 4);
    property.writeUInt32LE(3, 8);
    out.set('made-gnu-property', Buffer.concat([Buffer.of(selector(8, true, true)), note('GNU', 5, property, 8)]));
    return out;
  },
  file: () => FILE,
  read(data) {
    if (data.length === 0) return;
    const { align, littleEndian, is64 } = layout(data[0]!);
    const notes = decodeNotes(FILE, '.note.gnu.property', data.subarray(1), align, littleEndian);
    buildId(notes);
    gnuProperties(notes, is64, littleEndian);
  },
};
