import { ObjectDwarfInterface } from '../../src/dwarf/dwarf-interfaces.js';
import { DwarfFile } from '../../src/dwarf/index.js';
import { BufferSource, ElfFile } from '../../src/elf/index.js';
import { fixtureFiles, type FuzzTarget } from '../target.js';
import { walkTypes } from '../walk.js';

const FILE = 'fuzzed.o';

/**
 * DWARF units as an object's reader meets them: every unit's DIE tree with its attributes, the
 * compile units and address ranges, then the interface a check compares — each global
 * symbol's function or variable and every type reachable from it.
 */
export const dwarfTarget: FuzzTarget = {
  name: 'dwarf',
  input: 'an ELF object with DWARF',
  seeds: () => new Map([...fixtureFiles('elf', /^x86_64.*\.o$|^aarch64\.o$/), ...fixtureFiles('frozen', /\.(o|ko)$/)]),
  file: () => FILE,
  read(data) {
    const elf = new ElfFile(new BufferSource(FILE, data));
    if (!DwarfFile.present(elf)) return;
    const dwarf = new DwarfFile(elf);
    for (const unit of dwarf.decodedUnits()) for (const die of unit.entries()) unit.attributes(die);
    dwarf.compileUnits();
    dwarf.addressRanges();
    const own = new ObjectDwarfInterface(dwarf, `frozen ${FILE} (DWARF)`);
    for (const sym of elf.nonLocalSymbols()) {
      const f = own.functionNamed(sym.name);
      if (f) walkTypes(f.graph, [f.type]);
      const v = own.variableNamed(sym.name);
      if (v) walkTypes(v.graph, [v.type]);
    }
    walkTypes(own.graph, own.typeDefinitions().map((d) => d.ref));
  },
};
