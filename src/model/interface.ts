import { unitContents, type UnitVariable } from '../dwarf/declarations.js';
import type { DwarfFile } from '../dwarf/index.js';
import { functionAt, TypeDefinitions, variableAt } from '../dwarf/lookup.js';
import { DwarfTypeGraph } from '../dwarf/types.js';
import type { ElfFile } from '../elf/index.js';
import type { BtfTypeGraph } from '../btf/graph.js';
import type { FunctionDecl, TypeGraph, TypeRef, VariableDecl } from './types.js';

export type NamedKind = 'struct' | 'union' | 'enum' | 'typedef';

/**
 * What one source says about the new kernel's interface: the prototype of a function, the
 * type of a variable, the layout of a named type. Sources, in the order relinkable prefers
 * them: a reference object (the same source compiled in the new tree), vmlinux BTF,
 * vmlinux DWARF. Every finding names the source it used.
 */
export interface InterfaceSource {
  /** "reference object x.o (DWARF)", "vmlinux BTF", "vmlinux DWARF". */
  readonly description: string;
  readonly graph: TypeGraph;
  functionNamed(name: string): FunctionDecl | undefined;
  variableNamed(name: string): VariableDecl | undefined;
  typeNamed(kind: NamedKind, name: string): TypeRef | undefined;
}

/** What a frozen object was compiled against: its own DWARF, or an ABI snapshot of it. */
export interface FrozenInterface {
  readonly graph: TypeGraph;
  /** A function it declares: the prototype it was compiled to call. */
  declaredFunction(name: string): FunctionDecl | undefined;
  /** A function it defines. */
  definedFunction(name: string): FunctionDecl | undefined;
  variableNamed(name: string): VariableDecl | undefined;
  /** Every variable with static storage it defines, function-scope statics included. */
  ownedStorage(): readonly OwnedVariable[];
  typeNamed(kind: NamedKind, name: string): TypeRef | undefined;
}

export interface OwnedVariable {
  readonly name: string;
  readonly type: TypeRef;
  /** The function a static local belongs to. */
  readonly scope: string | undefined;
}

/** vmlinux BTF (or any BTF graph): the preferred source after a reference object. */
export class BtfInterface implements InterfaceSource {
  constructor(
    readonly graph: BtfTypeGraph,
    readonly description = 'vmlinux BTF',
  ) {}

  functionNamed(name: string): FunctionDecl | undefined {
    return this.graph.functionByName(name);
  }

  variableNamed(name: string): VariableDecl | undefined {
    return this.graph.variableByName(name);
  }

  typeNamed(kind: NamedKind, name: string): TypeRef | undefined {
    return this.graph.typeByName(kind, name)[0];
  }
}

/** An object's own DWARF (a frozen object, or a reference object): every unit read once; a named type searched for when asked. */
export class ObjectDwarfInterface implements InterfaceSource, FrozenInterface {
  readonly graph: DwarfTypeGraph;
  private functions: Map<string, FunctionDecl> | undefined;
  private declaredFunctions: Map<string, FunctionDecl> | undefined;
  private variables: Map<string, VariableDecl> | undefined;
  private storage: UnitVariable[] | undefined;
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
}

/**
 * vmlinux DWARF, asked one question at a time: a function through its symbol's address and
 * .debug_aranges; a variable in the unit its neighbouring local symbols name; a type in the
 * first unit that defines it.
 */
export class VmlinuxDwarfInterface implements InterfaceSource {
  readonly description = 'vmlinux DWARF';
  readonly graph: DwarfTypeGraph;
  private readonly definitions: TypeDefinitions;

  constructor(
    dwarf: DwarfFile,
    private readonly vmlinux: ElfFile,
    private readonly global: (name: string) => { value: bigint; shndx: number } | undefined,
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

  variableNamed(name: string): VariableDecl | undefined {
    const sym = this.global(name);
    if (!sym) return undefined;
    const v = variableAt(this.graph, name, sym.value, this.sourceFileNear(sym));
    return v ? { name, graph: this.graph, type: v.type, location: this.graph.locate(v.die) } : undefined;
  }

  typeNamed(kind: NamedKind, name: string): TypeRef | undefined {
    return this.definitions.find(kind, name);
  }

  /**
   * The source file of the object that placed a data symbol: ld keeps each object's local
   * symbols after an STT_FILE symbol, so the nearest local symbol in the same section names
   * the file (basename only).
   */
  private sourceFileNear(sym: { value: bigint; shndx: number }): string | undefined {
    let best: { distance: bigint; file: string } | undefined;
    let file: string | undefined;
    for (const s of this.vmlinux.symbols()) {
      if (s.binding !== 'local') break;
      if (s.type === 'file') {
        file = s.name;
        continue;
      }
      if (!file || s.shndx !== sym.shndx || s.type !== 'object') continue;
      const distance = s.value > sym.value ? s.value - sym.value : sym.value - s.value;
      if (!best || distance < best.distance) best = { distance, file };
    }
    return best?.file;
  }
}
