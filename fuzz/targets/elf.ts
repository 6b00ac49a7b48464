import { BufferSource, ElfFile } from '../../src/elf/index.js';
import { fixtureFiles, type FuzzTarget } from '../target.js';

const FILE = 'fuzzed.o';

/** The ELF reader: header, section table and names, every section's bytes (decompressed), symbols, relocations, notes. */
export const elfTarget: FuzzTarget = {
  name: 'elf',
  input: 'an ELF file',
  seeds: () => new Map([...fixtureFiles('elf', /\.o$/), ...fixtureFiles('frozen', /\.(o|ko)$/)]),
  file: () => FILE,
  read(data) {
    const elf = new ElfFile(new BufferSource(FILE, data));
    for (const section of elf.sections) elf.sectionData(section);
    elf.symbols();
    for (const section of elf.relocationSections()) for (const _ of elf.relocations(section));
    elf.notes();
    elf.gnuProperties();
  },
};
