import { readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { decompressLegacyZdebug, decompressSection } from '../../src/elf/compressed.js';
import { SHF_COMPRESSED } from '../../src/elf/constants.js';
import { BufferSource, ElfFile } from '../../src/elf/index.js';
import { fixture, type FuzzTarget } from '../target.js';

const FILE = 'fuzzed.o';
const LEGACY = Buffer.from('ZLIB', 'latin1');

/**
 * A compressed section's raw bytes: an ELF compression header (64-bit, little-endian) with a
 * zlib or zstd payload, or — when the input begins with "ZLIB" — a legacy GNU .zdebug section.
 */
export const compressedTarget: FuzzTarget = {
  name: 'compressed',
  input: 'a compressed section (Elf64_Chdr + zlib/zstd, or .zdebug)',
  seeds() {
    const out = new Map<string, Buffer>();
    for (const name of ['x86_64-zlib.o', 'x86_64-zstd.o']) {
      const bytes = readFileSync(fixture('elf', name));
      const elf = new ElfFile(new BufferSource(name, bytes));
      for (const s of elf.sections) {
        if (!(s.flags & SHF_COMPRESSED)) continue;
        out.set(`${name}${s.name}`, bytes.subarray(s.offset, s.offset + s.size));
        if (s.name === '.debug_info') {
          const plain = elf.sectionData(s);
          const size = Buffer.alloc(8);
          size.writeBigUInt64BE(BigInt(plain.length));
          out.set(`${name}.zdebug_info`, Buffer.concat([LEGACY, size, deflateSync(plain)]));
        }
      }
    }
    return out;
  },
  file: () => FILE,
  read(data) {
    if (data.subarray(0, 4).equals(LEGACY)) decompressLegacyZdebug(FILE, '.zdebug_info', data);
    else decompressSection(FILE, '.debug_info', data, true, true);
  },
};
