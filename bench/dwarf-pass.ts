// A full DWARF pass: every unit, every DIE, every attribute value decoded. What the
// bench compares with readelf --debug-dump=info, pahole and abidw on a whole vmlinux.
import { DwarfFile } from '../src/dwarf/index.js';
import { ElfFile } from '../src/elf/index.js';

const path = process.argv[2];
if (!path) {
  console.error('usage: dwarf-pass <elf>');
  process.exit(2);
}
const dwarf = new DwarfFile(ElfFile.open(path));
let units = 0;
let dies = 0;
let attributes = 0;
for (const header of dwarf.unitHeaders()) {
  const unit = dwarf.unit(header);
  for (const die of unit.entries()) {
    dies++;
    attributes += unit.attributes(die).length;
  }
  units++;
  dwarf.forgetUnits();
}
console.log(JSON.stringify({ units, dies, attributes }));
