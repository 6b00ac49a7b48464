import { InputError } from '../errors.js';
import type { ElfFile, ElfSection } from '../elf/index.js';
import type { ModuleInfo, VersionEntry } from '../facts/module.js';
import { readModuleSignature } from './module-signature.js';

/** Reads the module metadata of a .ko; undefined for a plain object file. */
export function readModuleInfo(elf: ElfFile): ModuleInfo | undefined {
  const modinfo = elf.section('.modinfo');
  const thisModule = elf.section('.gnu.linkonce.this_module');
  const versionsSection = elf.section('__versions');
  if (!modinfo && !thisModule) return undefined;

  const fields: [string, string][] = [];
  let builtinModule: string | undefined;
  if (modinfo) {
    const text = elf.sectionData(modinfo).toString('latin1');
    for (const entry of text.split('\0')) {
      if (entry === '') continue;
      const eq = entry.indexOf('=');
      if (eq <= 0) throw new InputError(elf.name, `.modinfo entry without '=': ${entry.slice(0, 40)}`);
      let key = entry.slice(0, eq);
      const dot = key.lastIndexOf('.');
      if (!thisModule && dot > 0) {
        builtinModule ??= key.slice(0, dot);
        key = key.slice(dot + 1);
      }
      fields.push([key, entry.slice(eq + 1)]);
    }
  }
  const first = (key: string) => fields.find(([k]) => k === key)?.[1];

  const versions: VersionEntry[] = [];
  if (versionsSection) {
    const data = elf.sectionData(versionsSection);
    // struct modversion_info { unsigned long crc; char name[64 - sizeof(unsigned long)]; }
    const entrySize = 64;
    const crcSize = elf.header.is64 ? 8 : 4;
    if (data.length % entrySize !== 0) {
      throw new InputError(elf.name, `__versions size ${data.length} is not a multiple of ${entrySize}`);
    }
    for (let off = 0; off < data.length; off += entrySize) {
      const crc = elf.header.littleEndian ? data.readUInt32LE(off) : data.readUInt32BE(off + crcSize - 4);
      const nameEnd = data.indexOf(0, off + crcSize);
      const end = nameEnd < 0 || nameEnd > off + entrySize ? off + entrySize : nameEnd;
      versions.push({ name: data.toString('latin1', off + crcSize, end), crc });
    }
  }

  const extCrcs = elf.section('__version_ext_crcs');
  const extNames = elf.section('__version_ext_names');
  if (extCrcs && extNames && !versionsSection) versions.push(...extendedVersions(elf, extCrcs, extNames));
  const versionTables: ('basic' | 'extended')[] = [];
  if (versionsSection) versionTables.push('basic');
  if (extCrcs && extNames) versionTables.push('extended');

  return {
    loadable: thisModule !== undefined,
    builtinModule,
    fields,
    name: first('name') ?? builtinModule,
    license: first('license'),
    vermagic: first('vermagic'),
    importedNamespaces: fields.filter(([k]) => k === 'import_ns').map(([, v]) => v),
    versions,
    versionTables,
    thisModuleSize: thisModule?.size,
    signature: thisModule ? readModuleSignature(elf.source, elf.name) : undefined,
  };
}

/** The extended modversions tables (scripts/mod/modpost.c, v6.14): one 32-bit CRC per name, names NUL-terminated in order. */
function extendedVersions(elf: ElfFile, crcs: ElfSection, names: ElfSection): VersionEntry[] {
  const crcData = elf.sectionData(crcs);
  const nameList = elf.sectionData(names).toString('latin1').split('\0');
  if (nameList[nameList.length - 1] === '') nameList.pop();
  if (crcData.length !== nameList.length * 4) {
    throw new InputError(elf.name, `__version_ext_crcs holds ${crcData.length / 4} CRCs for the ${nameList.length} names of __version_ext_names`);
  }
  return nameList.map((name, i) => ({ name, crc: elf.header.littleEndian ? crcData.readUInt32LE(i * 4) : crcData.readUInt32BE(i * 4) }));
}
