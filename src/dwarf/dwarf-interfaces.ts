import type { FunctionDecl, TypeRef, VariableDecl } from '../graph/type-graph.js';
import { posix } from 'node:path';
import type { FrozenInterface, InterfaceSource, NamedKind, TypeDefinition } from '../graph/interfaces.js';
import type { ElfFile } from '../elf/index.js';
import { LinkedObjects } from '../elf/linked-objects.js';
import { InputError } from '../errors.js';
import { DW_AT } from './constants.js';
import { unitAggregates, unitContents, type UnitVariable } from './declarations.js';
import { readLineFiles, type LineFiles } from './line-files.js';
import type { DwarfFile } from './file.js';
import { functionAt, TypeDefinitions, variableDeclaredIn, variableDefinedIn } from './lookup.js';
import type { UnitHeader } from './unit.js';
import { DwarfTypeGraph } from './type-graph.js';

/** An object's own DWARF (a frozen object, or a reference object): every unit read once; a named type searched for when asked. */
export class ObjectDwarfInterface implements InterfaceSource, FrozenInterface {
  readonly graph: DwarfTypeGraph;
  private functions: Map<string, FunctionDecl> | undefined;
  private declaredFunctions: Map<string, FunctionDecl> | undefined;
  private variables: Map<string, VariableDecl> | undefined;
  private storage: UnitVariable[] | undefined;
  private aggregates: TypeDefinition[] | undefined;
  private readonly definitions: TypeDefinitions;

  constructor(
    readonly dwarf: DwarfFile,
    readonly description: string,
  ) {
    this.graph = new DwarfTypeGraph(dwarf);
    this.definitions = new TypeDefinitions(this.graph);
  }

  private load(): void {
    if (this.functions) return;
    this.functions = new Map();
    this.declaredFunctions = new Map();
    this.variables = new Map();
    this.storage = [];
    for (const cu of this.dwarf.compileUnits()) {
      const contents = unitContents(this.graph, cu.header);
      for (const f of contents.functions) {
        const decl = { name: f.name, graph: this.graph, type: f.ref, location: `${this.graph.locate(f.ref)}` };
        const target = f.declaration ? this.declaredFunctions : this.functions;
        if (!target.has(f.name)) target.set(f.name, decl);
      }
      for (const v of contents.variables) {
        if (!v.declaration && v.address !== undefined) this.storage.push(v);
        if (v.scope || this.variables.has(v.name)) continue;
        this.variables.set(v.name, { name: v.name, graph: this.graph, type: v.type, location: this.graph.locate(v.die) });
      }
    }
  }

  /** A function the object defines; failing that, one it declares. */
  functionNamed(name: string): FunctionDecl | undefined {
    this.load();
    return this.functions!.get(name) ?? this.declaredFunctions!.get(name);
  }

  /** A function the object defines (not merely declares). */
  definedFunction(name: string): FunctionDecl | undefined {
    this.load();
    return this.functions!.get(name);
  }

  /** A function the object declares: the prototype it was compiled to call. */
  declaredFunction(name: string): FunctionDecl | undefined {
    this.load();
    return this.declaredFunctions!.get(name) ?? this.functions!.get(name);
  }

  /** Every variable with static storage the object defines, function-scope statics included. */
  ownedStorage(): readonly UnitVariable[] {
    this.load();
    return this.storage!;
  }

  variableNamed(name: string): VariableDecl | undefined {
    this.load();
    return this.variables!.get(name);
  }

  typeNamed(kind: NamedKind, name: string): TypeRef | undefined {
    return this.definitions.find(kind, name);
  }

  /** Every named struct and union each unit defines in full, with where its source declares it. */
  typeDefinitions(): readonly TypeDefinition[] {
    if (this.aggregates) return this.aggregates;
    const out: TypeDefinition[] = [];
    for (const cu of this.dwarf.compileUnits()) {
      const unit = this.dwarf.unit(cu.header);
      const root = unit.root();
      const stmt = unit.attr(root, DW_AT.stmt_list);
      const stmtOffset = stmt?.kind === 'section-offset' ? stmt.value : stmt?.kind === 'constant' ? Number(stmt.value) : undefined;
      let files: LineFiles | undefined;
      try {
        files = stmtOffset === undefined ? undefined : readLineFiles(this.dwarf, stmtOffset, cu.compDir);
      } catch (err) {
        // Where a type is declared is evidence, not a fact a check stands on.
        if (!(err instanceof InputError)) throw err;
      }
      const own = cu.name === undefined ? undefined : posix.normalize(cu.compDir && !posix.isAbsolute(cu.name) ? posix.join(cu.compDir, cu.name) : cu.name);
      const tree = sourceRoot(files, own);
      for (const a of unitAggregates(this.graph, cu.header)) {
        const path = a.declFile === undefined ? undefined : files?.file(a.declFile);
        out.push({
          kind: a.kind,
          name: a.name,
          ref: a.ref,
          unit: cu.name,
          declaredAt: path === undefined ? undefined : { file: tree && path.startsWith(tree) ? path.slice(tree.length) : path, line: a.declLine },
          inUnitSource: path !== undefined && path === own,
        });
      }
    }
    this.aggregates = out;
    return out;
  }
}

/**
 * The source tree a unit was compiled from, as a prefix ending in "/": the nearest directory
 * above the unit's own file that holds the include/ directory its headers come from
 * (".../src/" for ".../src/crypto/x.c" including ".../src/include/linux/sched.h").
 */
function sourceRoot(files: LineFiles | undefined, own: string | undefined): string | undefined {
  if (!files || !own || !posix.isAbsolute(own)) return undefined;
  for (let dir = posix.dirname(own); dir !== '/' && dir !== '.'; dir = posix.dirname(dir)) {
    if (files.paths.some((f) => f.startsWith(`${dir}/include/`))) return `${dir}/`;
  }
  return undefined;
}

/**
 * How much of .debug_info the units between a global's neighbouring objects may add up to
 * before they are not searched (a unit is read and searched for one byte string, not decoded).
 */
const MAX_BYTES_BETWEEN = 32 * 1024 * 1024;

/**
 * vmlinux DWARF, asked one question at a time, each of a few units: a function through its
 * symbol's address and .debug_aranges; a type in the first unit that defines it; a variable
 * in the units of the objects that can have placed it (below), else as a unit declares it.
 */
export class VmlinuxDwarfInterface implements InterfaceSource {
  readonly description = 'vmlinux DWARF';
  readonly graph: DwarfTypeGraph;
  private readonly definitions: TypeDefinitions;
  private objects: LinkedObjects | undefined | null;

  constructor(
    dwarf: DwarfFile,
    private readonly vmlinux: ElfFile,
    private readonly global: (name: string) => { value: bigint; shndx: number } | undefined,
    /**
     * Whether typeNamed answers. Not beside vmlinux BTF: pahole makes that BTF from this
     * DWARF, every named struct, union, enum and typedef of every unit included (all 10,969
     * of Debian 6.1.192's, all 12,466 of 6.12.117's), so a type BTF lacks is defined by no
     * unit here either, and looking for it would search every unit that mentions its name.
     */
    private readonly answersTypes = true,
  ) {
    // A unit that only declares a struct leaves its layout to another unit of the same kernel.
    this.graph = new DwarfTypeGraph(dwarf, (kind, name) => this.definitions.find(kind, name));
    this.definitions = new TypeDefinitions(this.graph);
  }

  functionNamed(name: string): FunctionDecl | undefined {
    const sym = this.global(name);
    if (!sym) return undefined;
    const fn = functionAt(this.graph, name, sym.value);
    return fn ? { name, graph: this.graph, type: fn.ref, location: this.graph.locate(fn.ref) } : undefined;
  }

  /**
   * A variable vmlinux defines: its definition, looked for in the units that can have placed
   * it (unitsPlacing); when none of them does (an assembler or linker-script symbol such as
   * phys_base or jiffies has no definition in any unit), the first unit that declares it
   * (the units already read first) gives it as the kernel's headers declare it, or as that
   * unit defines it when it is the one.
   */
  variableNamed(name: string): VariableDecl | undefined {
    const sym = this.global(name);
    if (!sym) return undefined;
    const searched: { header: UnitHeader; bytes: Buffer }[] = [];
    const v =
      variableDefinedIn(this.graph, name, sym.value, this.unitsPlacing(name, sym, searched)) ??
      variableDeclaredIn(this.graph, name, sym.value, this.unitsAlreadyRead(searched)) ??
      variableDeclaredIn(this.graph, name, sym.value, this.graph.dwarf.unitsMentioning(name));
    return v ? { name, graph: this.graph, type: v.type, location: this.graph.locate(v.die) } : undefined;
  }

  typeNamed(kind: NamedKind, name: string): TypeRef | undefined {
    return this.answersTypes ? this.definitions.find(kind, name) : undefined;
  }

  /** The units decoded so far, then `extra`, each once, with their bytes. */
  private *unitsAlreadyRead(extra: readonly { header: UnitHeader; bytes: Buffer }[]): Generator<{ header: UnitHeader; bytes: Buffer }> {
    const seen = new Set<number>();
    for (const unit of this.graph.dwarf.decodedUnits()) {
      if (unit.header.section !== '.debug_info' || seen.has(unit.header.offset)) continue;
      seen.add(unit.header.offset);
      yield { header: unit.header, bytes: unit.bytes };
    }
    for (const u of extra) {
      if (seen.has(u.header.offset)) continue;
      seen.add(u.header.offset);
      yield u;
    }
  }

  /**
   * The compile units that can have placed a global at its address, most likely first, with
   * their bytes (each also pushed to `searched`). ld lays out each output section as runs of
   * input sections in link order, and writes each input object's local symbols after its
   * STT_FILE symbol, also in link order; .debug_info holds the objects' units in that order
   * too. So: the objects of the local symbols nearest below and above the address, the
   * units between those two objects in link order (up to MAX_BYTES_BETWEEN of them), then the
   * objects holding the locals the kernel's macros emit beside a symbol (`__ksymtab_<name>`
   * and `__kstrtab_<name>` of the exporting object in 6.1, `__tpstrtab_<event>` of the object
   * defining a tracepoint: the symbols of a section whose input sections are not in link
   * order). An object's unit is the one .debug_aranges gives for one of its local functions;
   * an object without one lies between its neighbours' units.
   */
  private *unitsPlacing(name: string, sym: { value: bigint; shndx: number }, searched: { header: UnitHeader; bytes: Buffer }[]): Generator<{ header: UnitHeader; bytes: Buffer }> {
    const objects = this.linkedObjects();
    const dwarf = this.graph.dwarf;
    const ranges = dwarf.addressRanges();
    if (!objects || !ranges) return;
    // The unit of an object, by its offset in .debug_info.
    const unitOf = (object: number): number | undefined => {
      const address = objects.functionAddress(object);
      return address === undefined ? undefined : ranges.unitFor(address);
    };
    // The part of .debug_info an object's unit lies in: [start, end).
    const bounds = (object: number): [number, number] | undefined => {
      const own = unitOf(object);
      if (own !== undefined) {
        const h = dwarf.unitHeaderAt(own);
        return h ? [h.offset, h.end] : undefined;
      }
      let start = 0;
      for (let o = object - 1; o >= 0; o--) {
        const u = unitOf(o);
        if (u === undefined) continue;
        const h = dwarf.unitHeaderAt(u);
        if (!h) return undefined;
        start = h.end;
        break;
      }
      let end: number | undefined;
      for (let o = object + 1; o < objects.count && end === undefined; o++) end = unitOf(o);
      return end === undefined ? undefined : [start, end];
    };
    const seen = new Set<number>();
    let bytes = 0;
    const search = (range: [number, number] | undefined) => {
      if (!range || range[1] <= range[0] || bytes + (range[1] - range[0]) > MAX_BYTES_BETWEEN) return [];
      bytes += range[1] - range[0];
      const units = dwarf.unitsBetween(range[0], range[1]).filter((u) => !seen.has(u.header.offset));
      for (const u of units) {
        seen.add(u.header.offset);
        searched.push(u);
      }
      return units;
    };
    const { below, above } = objects.neighbours(sym.shndx, sym.value);
    const lower = below === undefined ? undefined : bounds(below);
    const upper = above === undefined ? undefined : bounds(above);
    yield* search(lower);
    yield* search(upper);
    if (lower && upper && lower[0] < upper[1]) yield* search([lower[0], upper[1]]);
    // Locals the kernel's macros put in the object defining or exporting a symbol (a search
    // of the string table: after the neighbours, which place most variables).
    const companions = [`__ksymtab_${name}`, `__kstrtab_${name}`];
    if (name.startsWith('__tracepoint_')) companions.push(`__tpstrtab_${name.slice('__tracepoint_'.length)}`);
    for (const o of objects.objectsOfLocals(companions)) yield* search(bounds(o));
  }

  private linkedObjects(): LinkedObjects | undefined {
    if (this.objects === undefined) this.objects = LinkedObjects.of(this.vmlinux) ?? null;
    return this.objects ?? undefined;
  }
}
