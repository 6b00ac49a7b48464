import { basename, join, relative } from 'node:path';
import { readdirSync } from 'node:fs';
import { DwarfFile } from '../dwarf/index.js';
import { btfGraph, readBtf } from '../btf/file.js';
import type { BtfTypeGraph } from '../btf/type-graph.js';
import { BufferSource, ElfFile, type ElfSymbol } from '../elf/index.js';
import { ET_DYN, ET_EXEC, ET_REL, SHN_UNDEF } from '../elf/constants.js';
import { InputError, hex } from '../errors.js';
import { inputExists, optionalInput, readInputLines } from '../input-file.js';
import type { ExportsSource, KernelSymbols, ObjectDefinition } from '../facts/kernel-symbols.js';
import type { ModuleInfo } from '../facts/module.js';
import type { LinkedSymbol } from '../facts/symbols.js';
import { readModuleInfo } from '../object/module-info.js';
import { isCCompiler } from '../facts/compiler.js';
import { BuildDirectory } from './build-directory.js';
import { KernelSources } from './headers.js';
import { readLinkerScript, type LinkerScript } from './linker-script/index.js';
import { KernelConfig } from './kconfig.js';
import { checkSameRelease, vmlinuxRelease, type VmlinuxRelease } from './release.js';
import { readVmlinuxExports } from './ksymtab.js';
import type { KernelArtifacts } from './locate.js';
import { DecodedExports, readModuleSymvers } from './symvers.js';
import type { ExportTable } from '../facts/kernel-exports.js';
import { KALLSYMS_SUFFIX, SystemMap, SystemMapSymbols, type SystemMapSymbol } from './system-map.js';
import { decompressVmlinuz, decompressWhole, looksLikeBzImage, type ImageCompression } from './vmlinuz.js';
import { readKallsyms } from './kallsyms.js';


/** A module file as kmod installs it: plain or compressed. */
const MODULE_FILE = /\.ko(\.xz|\.zst)?$/;

/**
 * The new kernel, as its artifacts describe it. Opening reads vmlinux's ELF header and
 * section table only; every other part is read the first time a check asks for it.
 */
export class NewKernel implements KernelSymbols {
  readonly vmlinux: ElfFile;
  private exportTable: { map: ExportTable; source: ExportsSource; file: string } | undefined;
  private configCache: KernelConfig | undefined | null;
  private globalsCache: Map<string, ElfSymbol> | undefined;
  private dwarfCache: DwarfFile | undefined | null;
  private btfCache: BtfTypeGraph | undefined | null;
  private treeCache: BuildDirectory | undefined | null;
  private releaseCache: string | undefined | null;
  private builtinCache: Map<string, { file: string; line: number; entry: string }> | undefined;
  private sourcesCache: KernelSources | undefined;
  private readonly scripts = new Map<string, LinkerScript | null>();
  private producerCache: string | undefined | null;
  /** Symbols by name, as looked up so far. */
  private readonly lookups = new Map<string, ElfSymbol[]>();
  /** System.map, when one was given or found (read on first use). */
  readonly systemMap: SystemMap | undefined;
  /** The symbols of a stripped vmlinux, from its System.map; undefined when vmlinux has a .symtab. */
  private readonly mapSymbols: SystemMapSymbols | undefined;
  private systemMapChecked = false;

  /** How vmlinux was compressed in the kernel image it came out of; undefined for a vmlinux file. */
  readonly imageCompression: ImageCompression | undefined;

  constructor(readonly artifacts: KernelArtifacts) {
    if (artifacts.compressed ?? looksLikeBzImage(artifacts.vmlinux)) {
      // A vmlinuz: vmlinux is decompressed into memory, once, and read from there.
      const image = decompressVmlinuz(artifacts.vmlinux);
      this.imageCompression = image.compression;
      this.vmlinux = new ElfFile(new BufferSource(artifacts.vmlinux, image.bytes));
    } else {
      this.imageCompression = undefined;
      this.vmlinux = ElfFile.open(artifacts.vmlinux);
    }
    try {
      // arm64 links vmlinux position-independent (-pie, for KASLR): ET_DYN, its symbols and
      // sections still at their link-time virtual addresses, as an ET_EXEC vmlinux's are.
      const type = this.vmlinux.header.type;
      if (type !== ET_EXEC && type !== ET_DYN) {
        const what = type === ET_REL ? 'ET_REL, a relocatable object' : `${type}`;
        throw new InputError(artifacts.vmlinux, `is not a linked vmlinux (ELF type ${what}, not ET_EXEC or ET_DYN)`);
      }
      // A stripped vmlinux without a System.map: its kallsyms, when it has them, are its symbol table.
      const kallsyms = artifacts.systemMap || this.vmlinux.symbolTable ? undefined : readKallsyms(this.vmlinux);
      this.systemMap = artifacts.systemMap
        ? new SystemMap(artifacts.systemMap)
        : kallsyms
          ? new SystemMap(`${artifacts.vmlinux}${KALLSYMS_SUFFIX}`, kallsyms.entries)
          : undefined;
      if (!this.vmlinux.symbolTable) {
        if (!this.systemMap) {
          throw new InputError(
            artifacts.vmlinux,
            'has no symbol table (stripped vmlinux, no kallsyms): use the -dbg vmlinux or the build directory, or give its System.map with --system-map',
          );
        }
        this.mapSymbols = new SystemMapSymbols(this.systemMap, this.vmlinux.sections);
      }
    } catch (err) {
      this.vmlinux.close();
      throw err;
    }
  }

  /** Gives vmlinux's file descriptor back; it stays readable (a read reopens it). */
  releaseDescriptors(): void {
    this.vmlinux.releaseDescriptor();
  }

  /** Where symbols come from: vmlinux's own .symtab, or (stripped vmlinux) System.map, or its kallsyms. */
  get symbolSource(): '.symtab' | 'System.map' | 'kallsyms' {
    return this.mapSymbols ? (this.systemMap!.fromKallsyms ? 'kallsyms' : 'System.map') : '.symtab';
  }

  /**
   * Reads System.map, when there is one, and checks that it belongs to vmlinux: a map of
   * another build is an InputError naming both files. With a .symtab, a few global lines
   * spread over the map must name the symbols .symtab has, at the same addresses (a few
   * 4 KiB reads, not the whole map). A stripped vmlinux has only the map: its linux_banner
   * must point at vmlinux's "Linux version" string.
   */
  checkSystemMap(): void {
    const map = this.systemMap;
    if (!map || this.systemMapChecked) return;
    this.systemMapChecked = true;
    const vmlinux = this.artifacts.vmlinux;
    const mismatch = (what: string) => new InputError(map.path, `does not belong to ${vmlinux}: ${what}`);
    if (this.mapSymbols) {
      const banner = this.global('linux_banner');
      if (banner && this.bannerOf(banner) === undefined) {
        throw mismatch(`it puts linux_banner at ${hex(banner.value)}, where vmlinux has no "Linux version" string`);
      }
      return;
    }
    const sample = map.sample();
    if (sample.length === 0) throw new InputError(map.path, 'no global symbols: not a System.map');
    for (const e of sample) {
      const sym = this.global(e.name);
      if (!sym) throw mismatch(`it lists ${e.name} (${e.type} at ${hex(e.address)}), which vmlinux's .symtab does not define`);
      if (sym.value !== e.address) throw mismatch(`it puts ${e.name} at ${hex(e.address)}, vmlinux's .symtab at ${hex(sym.value)}`);
    }
  }

  get machine(): number {
    return this.vmlinux.header.machine;
  }

  /** The kernel release from vmlinux's own linux_banner ("Linux version 6.12.117+deb12-amd64 …"). */
  release(): string | undefined {
    if (this.releaseCache !== undefined) return this.releaseCache ?? undefined;
    this.releaseCache = null;
    const banner = this.global('linux_banner');
    const release = banner && this.bannerOf(banner);
    if (release) this.releaseCache = /^Linux version (\S+)/.exec(release)![1]!;
    return this.releaseCache ?? undefined;
  }

  /** What vmlinux's linux_banner says: its release and, for a Debian kernel, the package version (for ordering releases). */
  bannerRelease(): VmlinuxRelease | undefined {
    const banner = this.global('linux_banner');
    const text = banner && this.bannerOf(banner);
    return text ? vmlinuxRelease(this.artifacts.vmlinux, text) : undefined;
  }

  /**
   * Checks that Module.symvers and .config belong to the kernel vmlinux is (release.ts): one
   * of another release is an InputError naming both. Reads the .config.
   */
  checkRelease(): void {
    const banner = this.global('linux_banner');
    const text = banner && this.bannerOf(banner);
    const vmlinux = text ? vmlinuxRelease(this.artifacts.vmlinux, text) : undefined;
    if (!vmlinux) return;
    const config = this.config();
    checkSameRelease(vmlinux, { symvers: this.artifacts.symvers, config: config && { file: config.file, version: config.kernelVersion } });
  }

  /** The banner a linux_banner symbol's bytes hold ("Linux version <release> …", its first line), if they do. */
  private bannerOf(banner: ElfSymbol): string | undefined {
    const section = this.vmlinux.sections[banner.shndx];
    if (!section || section.type === 8) return undefined;
    const off = section.offset + Number(banner.value - section.addr);
    // A symbol from System.map has no size: read up to 256 bytes, as far as the section goes.
    const len = banner.size ? Math.min(banner.size, 512) : Math.min(256, section.offset + section.size - off);
    if (off < section.offset || len <= 0 || off + len > section.offset + section.size) return undefined;
    const text = this.vmlinux.source.read(off, len, 'linux_banner').toString('latin1');
    return /^Linux version \S+[^\n\0]*/.exec(text)?.[0];
  }

  exports(): { map: ExportTable; source: ExportsSource; file: string } {
    if (!this.exportTable) {
      this.exportTable = this.artifacts.symvers
        ? { map: readModuleSymvers(this.artifacts.symvers), source: 'Module.symvers', file: this.artifacts.symvers }
        : { map: new DecodedExports(readVmlinuxExports(this.vmlinux, this.mapSymbols?.all())), source: 'vmlinux __ksymtab', file: this.artifacts.vmlinux };
    }
    return this.exportTable;
  }

  get vmlinuxFile(): string {
    return this.artifacts.vmlinux;
  }

  /** Where vmlinux defines a symbol, for evidence: an address in vmlinux, or (stripped vmlinux) a line of its System.map. */
  whereDefined(sym: LinkedSymbol): { file: string; section: string | undefined; location: string } {
    const section = this.vmlinux.sections[sym.shndx]?.name;
    if ('line' in sym && 'file' in sym) {
      const m = sym as SystemMapSymbol;
      return { file: m.file, section, location: `${this.systemMap?.fromKallsyms ? 'kallsyms symbol' : 'line'} ${m.line}, address ${hex(sym.value)}` };
    }
    return { file: this.artifacts.vmlinux, section, location: `address ${hex(sym.value)}` };
  }

  sectionName(index: number): string | undefined {
    return this.vmlinux.sections[index]?.name;
  }

  hasSection(name: string): boolean {
    return this.vmlinux.section(name) !== undefined;
  }

  get isBuildTree(): boolean {
    return this.tree() !== undefined;
  }

  libraryProvider(name: string): string | undefined {
    return this.tree()?.libraryProviders().get(name);
  }

  moduleObjectsDefining(module: string, except: string, name: string): ObjectDefinition[] {
    const tree = this.tree();
    const out: ObjectDefinition[] = [];
    for (const object of tree?.moduleObjects().get(module) ?? []) {
      if (object === except) continue;
      const d = tree!.symbolsOf(object).defines.get(name);
      if (d) out.push({ object, type: d.type as ObjectDefinition['type'], weak: d.weak });
    }
    return out;
  }

  /**
   * The .modinfo of the build directory's <module>.ko; undefined when there is no such file
   * or it has no .modinfo. A .ko that is there but cannot be read is an InputError: which
   * license governs the frozen object must not quietly become "unknown".
   */
  moduleInfoOf(module: string): { info: ModuleInfo; from: string } | undefined {
    const tree = this.tree();
    if (!tree) return undefined;
    const ko = optionalInput(join(tree.root, `${module}.ko`));
    if (!ko) return undefined;
    const elf = ElfFile.open(ko);
    try {
      const info = readModuleInfo(elf);
      return info ? { info, from: ko } : undefined;
    } finally {
      elf.close();
    }
  }

  config(): KernelConfig | undefined {
    if (this.configCache === undefined) this.configCache = this.artifacts.config ? KernelConfig.read(this.artifacts.config) : null;
    return this.configCache ?? undefined;
  }

  /**
   * The global or weak definition of `name` in vmlinux (a lookup; does not decode the whole
   * .symtab). A stripped vmlinux's System.map is parsed whole on the first lookup.
   */
  global(name: string): ElfSymbol | undefined {
    if (this.globalsCache) return this.globalsCache.get(name);
    if (this.mapSymbols) return this.globals().get(name);
    if (!this.lookups.has(name)) this.lookups.set(name, this.vmlinux.symbolsNamed(name));
    return this.lookups.get(name)!.find((s) => (s.binding === 'global' || s.binding === 'weak') && s.shndx !== SHN_UNDEF);
  }

  /** Every global and weak symbol vmlinux defines (decodes the non-local part of the symbol table). */
  globals(): ReadonlyMap<string, ElfSymbol> {
    if (this.globalsCache) return this.globalsCache;
    const map = new Map<string, ElfSymbol>();
    for (const s of this.mapSymbols?.all() ?? this.vmlinux.nonLocalSymbols()) {
      if ((s.binding === 'global' || s.binding === 'weak') && s.shndx !== SHN_UNDEF && s.name !== '') map.set(s.name, s);
    }
    this.globalsCache = map;
    return map;
  }

  /** Local (static) definitions of the given names: evidence that a function was made static. */
  locals(name: string): ElfSymbol[] {
    return (this.mapSymbols ? this.mapSymbols.named(name) : this.vmlinux.localSymbolsNamed(name))
      .filter((s) => s.binding === 'local' && s.shndx !== SHN_UNDEF && (s.type === 'func' || s.type === 'object'));
  }

  /** Every symbol vmlinux defines in section `name`, in table order (from System.map for a stripped vmlinux: no sizes there). */
  symbolsInSection(name: string): readonly ElfSymbol[] {
    const section = this.vmlinux.sections.find((s) => s.name === name);
    if (!section) return [];
    return (this.mapSymbols?.all() ?? this.vmlinux.symbols()).filter((s) => s.shndx === section.index && s.name !== '');
  }

  dwarf(): DwarfFile | undefined {
    if (this.dwarfCache === undefined) this.dwarfCache = DwarfFile.present(this.vmlinux) ? new DwarfFile(this.vmlinux) : null;
    return this.dwarfCache ?? undefined;
  }

  /** vmlinux's .BTF as a type graph; undefined when it has none. */
  btf(): BtfTypeGraph | undefined {
    if (this.btfCache === undefined) {
      const btf = readBtf(this.vmlinux);
      this.btfCache = btf ? btfGraph(this.vmlinux, btf) : null;
    }
    return this.btfCache ?? undefined;
  }

  tree(): BuildDirectory | undefined {
    if (this.treeCache === undefined) {
      const a = this.artifacts;
      this.treeCache = a.layout === 'build-dir' && a.root ? new BuildDirectory(a.root, a.vmlinuxArchive, a.libraryArchives) : null;
    }
    return this.treeCache ?? undefined;
  }

  /**
   * Whether modules.builtin lists a module name (compiled into vmlinux): the line, or
   * undefined; undefined as a whole when the kernel came without modules.builtin.
   */
  builtinModule(name: string): { file: string; line: number; entry: string } | undefined | null {
    const file = this.artifacts.modulesBuiltin;
    if (!file) return null;
    if (!this.builtinCache) {
      this.builtinCache = new Map();
      const lines = readInputLines(file, 'modules.builtin').split('\n');
      lines.forEach((entry, i) => {
        const m = /([^/]+)\.ko$/.exec(entry.trim());
        if (m) this.builtinCache!.set(m[1]!.replace(/-/g, '_'), { file, line: i + 1, entry: entry.trim() });
      });
    }
    return this.builtinCache.get(name.replace(/-/g, '_'));
  }

  /** The new kernel's .ko of a module name ("jitterentropy_rng"), if its modules are at hand. */
  findModule(name: string): string | undefined {
    const norm = (n: string) => n.replace(/-/g, '_');
    const wanted = norm(name);
    const tree = this.tree();
    if (tree) {
      for (const module of tree.moduleObjects().keys()) {
        if (norm(basename(module)) === wanted && inputExists(join(tree.root, `${module}.ko`))) return join(tree.root, `${module}.ko`);
      }
      return undefined;
    }
    const dir = this.artifacts.modulesDir;
    if (!dir) return undefined;
    const stack = [dir];
    while (stack.length) {
      const d = stack.pop()!;
      for (const entry of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, entry.name);
        if (entry.isDirectory()) stack.push(p);
        else if (MODULE_FILE.test(entry.name) && norm(entry.name.replace(MODULE_FILE, '')) === wanted) return p;
      }
    }
    return undefined;
  }

  /** Module path as Module.symvers names it ("crypto/gcm"), from a .ko path. */
  symversModuleName(koPath: string): string {
    const base = this.artifacts.layout === 'build-dir' ? this.artifacts.root : this.artifacts.modulesDir && join(this.artifacts.modulesDir, 'kernel');
    const rel = base ? relative(base, koPath) : basename(koPath);
    return rel.replace(MODULE_FILE, '');
  }

  /** A module of the new kernel, opened: a .ko, or (Debian 6.12's image packages) a .ko.xz or .ko.zst decompressed in memory. */
  openModule(path: string): ElfFile {
    const packed = /\.ko\.(xz|zst)$/.exec(path)?.[1];
    if (!packed) return ElfFile.open(path);
    return new ElfFile(new BufferSource(path, decompressWhole(path, packed === 'xz' ? 'xz' : 'zstd')));
  }

  /** Source files of the new kernel: the build directory's source tree, Debian's linux-headers packages. */
  sources(): KernelSources {
    this.sourcesCache ??= KernelSources.of(this.artifacts.root, this.artifacts.headersDir);
    return this.sourcesCache;
  }

  /** The linker script of the final vmlinux link (build directory), or of module links (scripts/module.lds). */
  linkerScript(which: 'vmlinux' | 'module'): { file: string; script: LinkerScript } | undefined {
    const file = which === 'vmlinux' ? this.artifacts.linkerScript : this.sources().find('scripts/module.lds');
    if (!file) return undefined;
    let script = this.scripts.get(file);
    if (script === undefined) this.scripts.set(file, (script = readLinkerScript(file)));
    return script ? { file, script } : undefined;
  }

  /** DW_AT_producer of vmlinux's first compile unit: the compiler and the flags most of the kernel was built with. */
  firstProducer(): string | undefined {
    if (this.producerCache === undefined) {
      this.producerCache = null;
      const dwarf = this.dwarf();
      // The first units are often assembler (head_64.S): walk unit to unit, reading root DIEs only.
      let n = 0;
      for (const header of dwarf?.leadingUnitHeaders() ?? []) {
        const cu = dwarf!.summary(header);
        if (cu?.producer && isCCompiler(cu.producer)) {
          this.producerCache = cu.producer;
          break;
        }
        if (++n >= 64) break;
      }
    }
    return this.producerCache ?? undefined;
  }

  /** The compile command kbuild recorded for an object of a build directory (.<name>.o.cmd), when there is one. */
  compileCommand(objectRelPath: string): { file: string; command: string } | undefined {
    const root = this.artifacts.layout === 'build-dir' ? this.artifacts.root : undefined;
    if (!root) return undefined;
    const file = join(root, objectRelPath.replace(/([^/]+)$/, '.$1.cmd'));
    if (!inputExists(file)) return undefined;
    const text = readInputLines(file, 'kbuild command file');
    const m = /^(?:savedcmd|cmd)_\S+\s*:=\s*(.*)$/m.exec(text);
    return m ? { file, command: m[1]! } : undefined;
  }
}
