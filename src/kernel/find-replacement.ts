import { basename, join } from 'node:path';
import { topLevelEntries } from '../dwarf/top-level.js';
import { DW_AT, DW_TAG, type CompileUnitSummary, type DwarfFile, type UnitHeader } from '../dwarf/index.js';
import { DW_OP_addr } from '../dwarf/constants.js';
import { SHN_UNDEF } from '../elf/constants.js';
import type { NewKernel } from './kernel.js';
import { readModuleInfo } from '../object/module-info.js';
import type { FrozenObject } from '../facts/frozen-object.js';
import type { BuiltIn, NotReplaced, Referrer, Replacement, ReplacementHow } from '../facts/replacement.js';
import { kindOfSymbolType, type SymbolKind } from '../facts/symbols.js';
import { bestPathMatch, withExtension } from '../paths.js';
import { SymbolMap } from '../elf/symbol-map.js';

const nothingToPrepare = async (): Promise<void> => {};

const MAX_REFERRERS = 20;

function addReferrer(out: Map<string, Referrer[]>, name: string, r: Referrer): void {
  let list = out.get(name);
  if (!list) out.set(name, (list = []));
  if (list.length < MAX_REFERRERS && !list.some((x) => x.unit === r.unit && x.function === r.function)) list.push(r);
}

/**
 * Finds what a frozen object replaces in the new kernel: the object at the same path of a
 * build directory, the compile unit of the same name in vmlinux's DWARF, the module of the
 * same name, or what --replaces names.
 */
export function findReplacement(frozen: FrozenObject, kernel: NewKernel, explicit: string | undefined): Replacement {
  if (frozen.isModule) {
    const r = findReplacedModule(frozen, kernel);
    return r.found ? r : { ...r, builtIn: moduleBuiltIn(frozen, kernel) };
  }
  const tree = kernel.tree();
  if (tree) return findReplacedObject(frozen, kernel, explicit);
  return findReplacedCompileUnit(frozen, kernel, explicit);
}

function notFound(frozen: FrozenObject, reason: string, candidates: string[] = []): NotReplaced {
  return { found: false, frozen, reason, candidates, builtIn: undefined };
}

/**
 * Whether the new kernel builds a module's sources into vmlinux: modules.builtin says so
 * when the kernel ships it; without it, the module's compile units in vmlinux's DWARF tell.
 */
function moduleBuiltIn(frozen: FrozenObject, kernel: NewKernel): BuiltIn | undefined {
  const listed = frozen.moduleInfo?.name ? kernel.builtinModule(frozen.moduleInfo.name) : null;
  if (listed) return { how: 'modules.builtin', ...listed };
  const dwarf = kernel.dwarf();
  if (listed !== null || !dwarf) return undefined;
  const compileUnits = frozen.compileUnits
    .filter((cu) => !cu.endsWith('.mod.c'))
    .map((cu) => bestPathMatch(cu, dwarf.compileUnitsNamedLike(basename(cu)).map((u) => u.name ?? '')).match)
    .filter((m): m is string => m !== undefined);
  return compileUnits.length ? { how: 'dwarf', file: kernel.artifacts.vmlinux, compileUnits } : undefined;
}

function findReplacedObject(frozen: FrozenObject, kernel: NewKernel, explicit: string | undefined): Replacement {
  const tree = kernel.tree()!;
  const members = tree.vmlinuxMembers();
  const moduleObjects = [...tree.moduleObjects().values()].flat();
  const all = [...members, ...moduleObjects];
  let path: string | undefined;
  let how: ReplacementHow = 'same-path';
  if (explicit) {
    path = explicit.replace(/^\.\//, '');
    how = 'explicit';
    if (!tree.exists(path)) return notFound(frozen, `--replaces ${explicit}: no such object in the build directory`);
  } else {
    const wanted = frozen.compileUnits.filter((cu) => !cu.endsWith('.mod.c')).map((cu) => withExtension(cu, '.o'));
    for (const w of wanted.length ? wanted : [frozen.path]) {
      const { match, ties } = bestPathMatch(w, all);
      if (match) {
        path = match;
        break;
      }
      if (ties.length) return notFound(frozen, `several objects of the new tree could be the one it replaces`, ties);
    }
    if (!path) {
      return notFound(
        frozen,
        frozen.compileUnits.length
          ? `no object of the new tree matches its compile unit ${frozen.compileUnits[0]}`
          : 'it has no DWARF compile-unit name and its file name matches no object of the new tree',
      );
    }
  }
  const module = tree.moduleContaining(path);
  const inVmlinux = members.includes(path);
  if (!module && !inVmlinux) return notFound(frozen, `${path} is in the build directory but linked into neither vmlinux nor a module`);
  const own = tree.symbolsOf(path);
  const definitions = new Map<string, SymbolKind>();
  for (const [name, d] of own.defines) definitions.set(name, kindOfSymbolType(d.type as never));
  const siblings = module ? tree.moduleObjects().get(module)!.filter((p) => p !== path) : members.filter((p) => p !== path);
  return {
    found: true,
    frozen,
    name: path,
    how,
    target: module ? { kind: 'module', module } : { kind: 'vmlinux' },
    definitions,
    exports: new Set(),
    referenceSource: module ? `the other objects of ${module}.ko (${module}.mod)` : 'the other objects of vmlinux.a',
    newObject: join(tree.root, path),
    producer: undefined,
    prepare: () => tree.preload(siblings),
    referencesTo(names) {
      const out = new Map<string, Referrer[]>();
      for (const obj of siblings) {
        const summary = tree.symbolsOf(obj);
        for (const n of names) if (summary.references.has(n)) addReferrer(out, n, { unit: obj, function: undefined });
      }
      return out;
    },
  };
}

function findReplacedCompileUnit(frozen: FrozenObject, kernel: NewKernel, explicit: string | undefined): Replacement {
  const dwarf = kernel.dwarf();
  if (!dwarf) return notFound(frozen, 'the new vmlinux has no DWARF, so the compile unit it replaces cannot be found');
  let unitName: string | undefined;
  let how: ReplacementHow = 'compile-unit';
  const byName = new Map<string, CompileUnitSummary>();
  const namesLike = (path: string) => {
    for (const u of dwarf.compileUnitsNamedLike(basename(path))) if (u.name) byName.set(u.name, u);
    return [...byName.keys()];
  };
  if (explicit) {
    how = 'explicit';
    const source = withExtension(explicit, '.c');
    const { match, ties } = bestPathMatch(source, namesLike(source));
    unitName = match ?? bestPathMatch(explicit, namesLike(explicit)).match;
    if (!unitName) return notFound(frozen, `--replaces ${explicit}: no such compile unit in vmlinux`, ties);
  } else {
    for (const cu of frozen.compileUnits.filter((c) => !c.endsWith('.mod.c'))) {
      const { match, ties } = bestPathMatch(cu, namesLike(cu));
      if (match) {
        unitName = match;
        break;
      }
      if (ties.length) return notFound(frozen, 'several compile units of vmlinux could be the one it replaces', ties);
    }
    if (!unitName) {
      return notFound(
        frozen,
        frozen.compileUnits.length
          ? `vmlinux has no compile unit matching ${frozen.compileUnits[0]} (built as a module in the new kernel, or removed)`
          : 'it has no DWARF compile-unit name to look for in vmlinux',
      );
    }
  }
  const unit = byName.get(unitName)!;
  const definitions = compileUnitDefinitions(dwarf, unit.header, kernel);
  const hasRelocations = !!kernel.vmlinux.section('.rela.text');
  return {
    found: true,
    frozen,
    name: `compile unit ${unitName}`,
    how,
    target: { kind: 'vmlinux' },
    definitions,
    exports: new Set(),
    referenceSource: hasRelocations ? 'vmlinux relocations (linked with --emit-relocs)' : 'declarations in the other compile units of vmlinux DWARF',
    newObject: undefined,
    producer: unit.producer,
    prepare: nothingToPrepare,
    referencesTo(names) {
      return hasRelocations
        ? referencesFromRelocations(kernel, dwarf, unit.header, names)
        : referencesFromDeclarations(dwarf, unit.header, names);
    },
  };
}

/** External functions and variables a compile unit defines, from its DWARF and its code ranges. */
export function compileUnitDefinitions(dwarf: DwarfFile, header: UnitHeader, kernel: NewKernel): Map<string, SymbolKind> {
  const out = new Map<string, SymbolKind>();
  for (const entry of topLevelEntries(dwarf.unit(header))) {
    if (!entry.external || entry.declaration || !entry.placed) continue;
    const name = entry.symbolName;
    if (name) out.set(name, entry.kind === 'function' ? 'function' : 'data');
  }
  // Global symbols inside the unit's code ranges (assembler aliases, functions DWARF describes by specification).
  const ranges = dwarf.addressRanges()?.rangesOf(header.offset) ?? [];
  if (ranges.length) {
    for (const s of kernel.globals().values()) {
      if (s.type !== 'func') continue;
      const v = s.value;
      if (ranges.some((r) => v >= r.start && v < r.end) && !out.has(s.name)) out.set(s.name, 'function');
    }
  }
  // Only names vmlinux defines as global symbols count (DWARF also describes static-inline remnants).
  for (const name of [...out.keys()]) if (!kernel.global(name)) out.delete(name);
  return out;
}

export function referencesFromRelocations(kernel: NewKernel, dwarf: DwarfFile, replaced: UnitHeader, names: ReadonlySet<string>): Map<string, Referrer[]> {
  const out = new Map<string, Referrer[]>();
  const vmlinux = kernel.vmlinux;
  const symbols = vmlinux.symbols();
  const wanted = new Map<number, string>();
  for (const s of symbols) if (names.has(s.name) && s.shndx !== SHN_UNDEF && s.binding !== 'local') wanted.set(s.index, s.name);
  if (wanted.size === 0) return out;
  const ranges = dwarf.addressRanges();
  const holders = new SymbolMap(symbols, ['func', 'object']);
  // .debug_aranges covers code only: the replaced unit's own data (an ops table pointing at
  // its functions) is recognised through the variables its DWARF places.
  const ownData = compileUnitVariables(dwarf, replaced);
  const unitNames = new Map<number, string>();
  const unitName = (offset: number) => {
    let name = unitNames.get(offset);
    if (name === undefined) unitNames.set(offset, (name = dwarf.compileUnitAt(offset)?.name ?? `unit@${offset}`));
    return name;
  };
  for (const relSection of vmlinux.relocationSections()) {
    const target = vmlinux.sections[relSection.info];
    if (!target || !(target.flags & 0x2)) continue; // only allocated (code and data) sections
    // The export tables are the replaced unit's own EXPORT_SYMBOLs, not uses by the rest.
    if (EXPORT_TABLES.test(target.name)) continue;
    const table = vmlinux.relocations(relSection);
    for (let i = 0; i < table.count; i++) {
      const name = wanted.get(table.symbolIndexAt(i));
      if (name === undefined) continue;
      const site = table.offsetAt(i);
      const unitOffset = ranges?.unitFor(site);
      if (unitOffset === replaced.offset) continue;
      const holder = holders.containing(target.index, site);
      if (holder && holder.type === 'object' && ownData.has(holder.value)) continue;
      const fn = holder;
      const unit = unitOffset !== undefined ? unitName(unitOffset) : `${target.name} of vmlinux`;
      addReferrer(out, name, { unit, function: fn?.name });
    }
  }
  return out;
}

const EXPORT_TABLES = /^__(ksymtab|kcrctab)(_gpl)?$|^__ksymtab_strings$/;

/** Addresses of the variables a compile unit places (DW_OP_addr locations), at any depth. */
function compileUnitVariables(dwarf: DwarfFile, header: UnitHeader): Set<bigint> {
  const out = new Set<bigint>();
  const unit = dwarf.unit(header);
  for (const die of unit.entries()) {
    if (die.abbrev.tag !== DW_TAG.variable || !unit.has(die, DW_AT.location)) continue;
    const loc = unit.attr(die, DW_AT.location);
    if (loc?.kind !== 'block' || loc.bytes[0] !== DW_OP_addr) continue;
    const size = header.addressSize;
    if (loc.bytes.length !== 1 + size) continue;
    out.add(size === 8 ? (dwarf.littleEndian ? loc.bytes.readBigUInt64LE(1) : loc.bytes.readBigUInt64BE(1)) : BigInt(dwarf.littleEndian ? loc.bytes.readUInt32LE(1) : loc.bytes.readUInt32BE(1)));
  }
  return out;
}

export function referencesFromDeclarations(dwarf: DwarfFile, replaced: UnitHeader, names: ReadonlySet<string>): Map<string, Referrer[]> {
  const out = new Map<string, Referrer[]>();
  for (const cu of dwarf.compileUnits()) {
    if (cu.header.offset === replaced.offset) continue;
    for (const entry of topLevelEntries(dwarf.unit(cu.header))) {
      if (!entry.hasDeclaration) continue;
      const name = entry.name;
      if (name && names.has(name)) addReferrer(out, name, { unit: cu.name ?? `unit@${cu.header.offset}`, function: undefined });
    }
    dwarf.forgetUnits();
  }
  return out;
}

function findReplacedModule(frozen: FrozenObject, kernel: NewKernel): Replacement {
  const name = frozen.moduleInfo?.name ?? basename(frozen.path).replace(/\.ko$/, '');
  const ko = kernel.findModule(name);
  if (!ko) return notFound(frozen, `the new kernel has no module named ${name} among the modules at hand`);
  const symversName = kernel.symversModuleName(ko);
  const exports = new Set<string>();
  for (const e of kernel.exports().map.ofModule(symversName)) exports.add(e.name);
  const elf = kernel.openModule(ko);
  const definitions = new Map<string, SymbolKind>();
  try {
    if (!readModuleInfo(elf)) return notFound(frozen, `${ko} is not a module`);
    for (const s of elf.symbols()) {
      if ((s.binding === 'global' || s.binding === 'weak') && s.shndx !== SHN_UNDEF && s.name) definitions.set(s.name, kindOfSymbolType(s.type));
    }
  } finally {
    elf.close();
  }
  return {
    found: true,
    frozen,
    name: `module ${symversName}`,
    how: 'module-name',
    target: { kind: 'module', module: symversName },
    definitions,
    exports,
    referenceSource: 'Module.symvers (which modules import an export is not recorded there)',
    newObject: ko,
    producer: undefined,
    prepare: nothingToPrepare,
    referencesTo() {
      return new Map();
    },
  };
}
