import type { KernelSymbols } from '../facts/kernel-symbols.js';
import type { ExportedSymbol } from '../facts/kernel-exports.js';
import type { FrozenObject } from '../facts/frozen-object.js';
import { kindOfSymbolType, type LinkedSymbol, type SymbolKind } from '../facts/symbols.js';
import type { Replacement, ReplacedUnit } from '../facts/replacement.js';

import type { FrozenUse, LinkMode } from '../facts/relink.js';

export type { FrozenUse, LinkMode };

/** Where a symbol the frozen set needs comes from after the relink. */
export type Resolution =
  | { readonly by: 'frozen'; readonly object: FrozenObject; readonly kind: SymbolKind }
  | { readonly by: 'kernel'; readonly symbol: LinkedSymbol; readonly kind: SymbolKind }
  | { readonly by: 'sibling'; readonly object: string; readonly kind: SymbolKind }
  | { readonly by: 'library'; readonly member: string }
  | { readonly by: 'linker'; readonly section: string }
  | { readonly by: 'export'; readonly export: ExportedSymbol; readonly kind: SymbolKind }
  /** Module mode: vmlinux defines it, but does not export it. */
  | { readonly by: 'unexported'; readonly symbol: LinkedSymbol; readonly kind: SymbolKind }
  | { readonly by: 'nothing'; readonly onlyInReplaced: ReplacedUnit | undefined; readonly staticIn: readonly LinkedSymbol[] };

/**
 * The relink as relinkable models it: the new kernel, minus what the frozen objects
 * replace, plus the frozen objects. Checks ask it where a symbol resolves and who defines
 * what; it knows nothing of findings or reports.
 */
export class LinkModel {
  private readonly frozenDefinitions = new Map<string, FrozenObject>();
  private readonly replacedDefinitions = new Map<string, ReplacedUnit>();
  private readonly replacedExports = new Map<string, ReplacedUnit>();
  private pool: string[] | undefined;
  private readonly resolutions = new Map<FrozenObject, Map<string, Resolution>>();

  constructor(
    readonly mode: LinkMode,
    /** Relinked by the new tree's kbuild, or a .ko loaded as it is. */
    readonly use: FrozenUse,
    readonly frozen: readonly FrozenObject[],
    readonly kernel: KernelSymbols,
    readonly replacements: ReadonlyMap<FrozenObject, Replacement>,
  ) {
    for (const obj of frozen) {
      for (const [name, def] of obj.definitions) {
        if (!this.frozenDefinitions.has(name) || def.binding === 'global') this.frozenDefinitions.set(name, obj);
      }
    }
    for (const r of replacements.values()) {
      if (!r.found) continue;
      for (const name of r.definitions.keys()) this.replacedDefinitions.set(name, r);
      for (const name of r.exports) this.replacedExports.set(name, r);
    }
  }

  replaced(): ReplacedUnit[] {
    return [...this.replacements.values()].filter((r): r is ReplacedUnit => r.found);
  }

  definedByFrozen(name: string): FrozenObject | undefined {
    return this.frozenDefinitions.get(name);
  }

  /** The replaced unit that defined `name` in the new kernel, if any. */
  definedByReplaced(name: string): ReplacedUnit | undefined {
    return this.replacedDefinitions.get(name);
  }

  /** The objects (besides the replaced one) of the module a frozen .o joins, in a build directory. */
  private siblingDefinition(name: string): { object: string; kind: SymbolKind } | undefined {
    if (!this.kernel.isBuildTree) return undefined;
    for (const r of this.replaced()) {
      if (r.target.kind !== 'module' || r.how === 'module-name') continue;
      const d = this.kernel.moduleObjectsDefining(r.target.module, r.name, name)[0];
      if (d) return { object: d.object, kind: kindOfSymbolType(d.type) };
    }
    return undefined;
  }

  /** Where `name`, needed by `from`, resolves after the relink (cached: several checks ask). */
  resolve(name: string, from: FrozenObject): Resolution {
    let byName = this.resolutions.get(from);
    if (!byName) this.resolutions.set(from, (byName = new Map()));
    let r = byName.get(name);
    if (!r) byName.set(name, (r = this.resolveUncached(name, from)));
    return r;
  }

  private resolveUncached(name: string, from: FrozenObject): Resolution {
    const frozenDef = this.frozenDefinitions.get(name);
    if (frozenDef && frozenDef !== from) return { by: 'frozen', object: frozenDef, kind: frozenDef.definitions.get(name)!.kind };
    if (frozenDef === from) return { by: 'frozen', object: from, kind: from.definitions.get(name)!.kind };

    const replaced = this.replacedDefinitions.get(name);
    const sibling = this.siblingDefinition(name);
    if (sibling) return { by: 'sibling', object: sibling.object, kind: sibling.kind };

    if (this.mode === 'module') {
      const exported = this.kernel.exports().map.get(name);
      if (exported && !this.replacedExports.has(name)) {
        const sym = this.kernel.global(name);
        return { by: 'export', export: exported, kind: sym ? kindOfSymbolType(sym.type) : 'unknown' };
      }
      const sym = this.kernel.global(name);
      if (sym && !replaced) return { by: 'unexported', symbol: sym, kind: kindOfSymbolType(sym.type) };
      return { by: 'nothing', onlyInReplaced: replaced ?? this.replacedExports.get(name), staticIn: this.staticDefinitions(name) };
    }

    const sym = this.kernel.global(name);
    if (sym && !replaced) return { by: 'kernel', symbol: sym, kind: kindOfSymbolType(sym.type) };
    const member = this.kernel.libraryProvider(name);
    if (member) return { by: 'library', member };
    const linkerSection = this.linkerProvidedSection(name);
    if (linkerSection) return { by: 'linker', section: linkerSection };
    return { by: 'nothing', onlyInReplaced: replaced, staticIn: this.staticDefinitions(name) };
  }

  /** Every name the frozen set could link against after the relink. */
  linkableNames(): readonly string[] {
    if (this.pool) return this.pool;
    const names: string[] = [];
    if (this.mode === 'module') {
      for (const name of this.kernel.exports().map.names()) if (!this.replacedExports.has(name)) names.push(name);
    } else {
      for (const name of this.kernel.globals().keys()) if (!this.replacedDefinitions.has(name)) names.push(name);
      for (const obj of this.frozen) for (const name of obj.definitions.keys()) names.push(name);
    }
    this.pool = names;
    return names;
  }

  /** Function or data, as the new kernel (or a frozen object) defines `name`. */
  kindOf(name: string): SymbolKind {
    const frozen = this.frozenDefinitions.get(name);
    if (frozen) return frozen.definitions.get(name)!.kind;
    const sym = this.kernel.global(name);
    return sym ? kindOfSymbolType(sym.type) : 'unknown';
  }

  /** ld defines __start_<sec>/__stop_<sec> for any output section whose name is a C identifier. */
  private linkerProvidedSection(name: string): string | undefined {
    const m = /^__(start|stop)_([A-Za-z_][A-Za-z0-9_]*)$/.exec(name);
    if (!m) return undefined;
    const sec = m[2]!;
    const inFrozen = this.frozen.some((o) => o.sections.some((s) => s.name === sec));
    return inFrozen || this.kernel.hasSection(sec) ? sec : undefined;
  }

  /** Static (local) definitions of a name in vmlinux: "it still exists, but was made static". */
  private staticDefinitions(name: string): readonly LinkedSymbol[] {
    return this.kernel.locals(name);
  }
}
