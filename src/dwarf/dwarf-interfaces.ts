import type { FunctionDecl, TypeRef, VariableDecl } from '../graph/type-graph.js';
import { posix } from 'node:path';
import type { FrozenInterface, InterfaceSource, NamedKind, TypeDefinition } from '../graph/interfaces.js';
import type { ElfFile } from '../elf/index.js';
import { InputError } from '../errors.js';
import { DW_AT } from './constants.js';
import { unitAggregates, unitContents, type UnitVariable } from './declarations.js';
import { readLineFiles, type LineFiles } from './line-files.js';
import type { DwarfFile } from './file.js';
import { functionAt, TypeDefinitions, variableAt } from './lookup.js';
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
