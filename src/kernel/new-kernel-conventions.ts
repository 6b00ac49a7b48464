import { basename } from 'node:path';
import { readOrcHeader } from '../arch/x86/index.js';
import { Btf } from '../btf/btf.js';
import { BTF_KIND } from '../btf/constants.js';
import { matchDistilledBase } from '../btf/distilled.js';
import { checkSplitBase } from '../btf/split.js';
import { ElfFile } from '../elf/index.js';
import { InputError, UsageError } from '../errors.js';
import { HeaderTables, KernelSources } from './headers.js';
import type { NewKernel } from './kernel.js';
import { describePlacement, globMatch, placeSection, type LinkerScript } from './linker-script/index.js';
import { readObjectConventions } from '../object/object-conventions.js';
import { mainProducer } from '../facts/compiler.js';
import type {
  BtfSummary,
  ConfigOption,
  ConfigRenames,
  KernelConventions,
  KernelStruct,
  LinkTarget,
  OriginConventions,
  ReferenceObject,
  SectionPlacement,
  Source,
  SplitBtfFit,
  BuiltinKey,
  SignerKey,
  KernelBtfTypes,
  KernelBtfIdEntry,
} from '../facts/kernel-conventions.js';
import type { ModuleSignerId } from '../facts/module.js';
import { readBuiltinCertificates } from './builtin-keys.js';
import type { CertificateId } from '../x509/certificates.js';
import { rsaSignatureVerifies } from '../x509/verify.js';
import type { FrozenObject } from '../facts/frozen-object.js';
import { parseKernelVersion, type KernelVersion } from '../facts/kernel-version.js';
import type { CpuFeatureTable, ExtableTypes } from '../facts/x86-headers.js';
import { resolved } from '../graph/type-graph.js';
import type { Replacement } from '../facts/replacement.js';
import { DwarfFile } from '../dwarf/index.js';
import { TypeDefinitions } from '../dwarf/lookup.js';
import { topLevelEntries } from '../dwarf/top-level.js';
import { DwarfTypeGraph } from '../dwarf/type-graph.js';
import { bestPathMatch } from '../paths.js';
import { readModuleInfo } from '../object/module-info.js';

/** The BTF kinds a .BTF_ids entry names. */
const BTF_ID_KINDS: Record<string, number> = { struct: BTF_KIND.STRUCT, union: BTF_KIND.UNION, typedef: BTF_KIND.TYPEDEF, func: BTF_KIND.FUNC };

/**
 * The new kernel's build conventions, read from its files (NewKernel) for the primitive
 * detectors: its config (with renamed options followed), which symbols it defines, the
 * structs that fix special-section formats, its headers (cpufeatures.h, extable types), its
 * ORC header, BTF, linker scripts and compiler flags, and the reference object of each
 * frozen object. Everything is read the first time a detector asks.
 */
export class NewKernelConventions implements KernelConventions {
  private readonly referenceCache = new Map<FrozenObject, ReferenceObject | null>();
  private readonly headers: HeaderTables;
  private orcCache: string | undefined | null;
  private certificateCache: CertificateId[] | undefined | null;
  private readonly scriptCache = new Map<LinkTarget, { file: string; script: LinkerScript } | null>();
  private vmlinuxTypes: TypeDefinitions | undefined;
  /** The vmlinux compile units each frozen object replaces, by unit offset. */
  private readonly replacedUnits = new Map<FrozenObject, ReadonlySet<number>>();

  constructor(
    private readonly kernel: NewKernel,
    private readonly renames: ConfigRenames,
    private readonly givenReferences: readonly string[],
    private readonly replacements: ReadonlyMap<FrozenObject, Replacement>,
  ) {
    this.headers = new HeaderTables(() => kernel.sources());
  }

  private release(): string | undefined {
    return this.kernel.release();
  }

  version(): KernelVersion | undefined {
    return parseKernelVersion(this.kernel.release());
  }

  get vmlinuxFile(): string {
    return this.kernel.artifacts.vmlinux;
  }

  get configFile(): string | undefined {
    return this.kernel.artifacts.config;
  }

  /**
   * The option under whichever name this kernel's .config uses (MITIGATION_RETPOLINE or
   * RETPOLINE); undefined without a .config.
   */
  option(name: string): ConfigOption | undefined {
    const config = this.kernel.config();
    if (!config) return undefined;
    const names = [name, ...this.renames.filter((r) => r.new === name).map((r) => r.old), ...this.renames.filter((r) => r.old === name).map((r) => r.new)];
    for (const n of names) if (config.has(n)) return { name: n, value: config.get(n) };
    return { name, value: 'n' };
  }

  /** The first of `names` enabled (y or m), or undefined. Throws when there is no .config: a detector must not guess. */
  enabled(names: readonly string[]): ConfigOption | undefined {
    this.requireConfig();
    for (const n of names) {
      const o = this.option(n);
      if (o && (o.value === 'y' || o.value === 'm')) return o;
    }
    return undefined;
  }

  /**
   * The vermagic string the new kernel's modules carry (include/linux/vermagic.h): the
   * release, then SMP, preempt, mod_unload, modversions, the architecture's part and RANDSTRUCT.
   */
  vermagic(arch: string): { text: string; source: Source } | undefined {
    const release = this.release();
    if (!release || !this.hasConfig()) return undefined;
    const on = (n: string) => this.enabled([n]) !== undefined;
    let text = `${release} `;
    if (on('SMP')) text += 'SMP ';
    if (on('PREEMPT_BUILD')) text += 'preempt ';
    else if (on('PREEMPT_RT')) text += 'preempt_rt ';
    if (on('MODULE_UNLOAD')) text += 'mod_unload ';
    if (on('MODVERSIONS')) text += 'modversions ';
    // The i386 CPU family and the RANDSTRUCT seed hash are not in .config: only a reference module tells them.
    if (arch === 'i386' || on('RANDSTRUCT')) return undefined;
    if (arch === 'aarch64') text += 'aarch64';
    return { text, source: { file: this.configFile, what: 'the release in linux_banner and the options include/linux/vermagic.h reads' } };
  }

  private hasConfig(): boolean {
    return this.kernel.config() !== undefined;
  }

  private requireConfig(): void {
    if (!this.kernel.config()) throw new UsageError('the new kernel has no .config (give --config): the build-primitive checks need it');
  }

  /** Whether vmlinux defines `name` (a global) or the kernel exports it. */
  defines(name: string): boolean {
    return this.kernel.global(name) !== undefined || this.kernel.exports().map.get(name) !== undefined;
  }

  /** A struct of the new kernel, from vmlinux BTF (which every kernel of the corpus has; DWARF is not searched: too slow per question). */
  struct(name: string): KernelStruct | undefined {
    const graph = this.kernel.btf();
    const ref = graph?.typeByName('struct', name)[0];
    if (graph && ref !== undefined) {
      const node = resolved(graph, ref).node;
      if (node.kind === 'struct' && node.size !== undefined) {
        return { size: node.size, members: node.members.map((m) => ({ name: m.name ?? '', bitOffset: m.bitOffset })), source: { file: this.kernel.artifacts.vmlinux, what: `.BTF ${graph.locate(ref)}` } };
      }
    }
    return undefined;
  }

  btf(): BtfSummary | undefined {
    const btf = this.kernel.btf()?.btf;
    return btf && { types: btf.typeCount, stringBytes: btf.strings.total };
  }

  /** An unknown kind asks for every kind. */
  btfIdsNamed(name: string, kind?: string): readonly number[] {
    return this.kernel.btf()?.btf.idsNamed(name, kind === undefined ? undefined : BTF_ID_KINDS[kind]) ?? [];
  }

  btfTypes(): KernelBtfTypes | undefined {
    const graph = this.kernel.btf();
    if (!graph) return undefined;
    return {
      source: { file: this.kernel.artifacts.vmlinux, what: '.BTF' },
      graph,
      definitions: (kind, name) =>
        graph
          .typeByName(kind, name)
          .filter((ref) => {
            const n = graph.node(ref);
            return n.kind === kind && n.size !== undefined;
          })
          .sort((a, b) => a - b),
    };
  }

  definedBesidesReplaced(frozen: FrozenObject, kind: 'struct' | 'union', name: string): boolean | undefined {
    const replaced = this.replacements.get(frozen);
    if (!replaced?.found || replaced.target.kind !== 'vmlinux') return true;
    const dwarf = this.kernel.dwarf();
    if (!dwarf) return undefined;
    this.vmlinuxTypes ??= new TypeDefinitions(new DwarfTypeGraph(dwarf));
    let except = this.replacedUnits.get(frozen);
    if (!except) {
      // The replaced object's units are those of vmlinux named like the frozen object's own (a build directory's object or a compile unit alike).
      const offsets = new Set<number>();
      for (const cu of frozen.compileUnits.filter((c) => !c.endsWith('.mod.c'))) {
        const units = dwarf.compileUnitsNamedLike(basename(cu));
        const { match } = bestPathMatch(cu, units.map((u) => u.name ?? ''));
        for (const u of units) if (match !== undefined && u.name === match) offsets.add(u.header.offset);
      }
      this.replacedUnits.set(frozen, (except = offsets));
    }
    return this.vmlinuxTypes.definedOutside(kind, name, except);
  }

  btfIdEntries(): { entries: readonly KernelBtfIdEntry[]; source: Source } | undefined {
    if (!this.kernel.hasSection('.BTF_ids')) return undefined;
    const symbols = [...this.kernel.symbolsInSection('.BTF_ids')].sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
    return { entries: btfIdEntries(symbols), source: { file: this.kernel.symbolSource === '.symtab' ? this.kernel.artifacts.vmlinux : this.kernel.systemMap?.path, what: `the __BTF_ID__ symbols of .BTF_ids (${this.kernel.symbolSource})` } };
  }

  btfTypeName(id: number): string | undefined {
    const btf = this.kernel.btf()?.btf;
    return btf?.has(id) ? btf.name(id) : undefined;
  }

  /**
   * With a distilled base, relocation by name is checked; else the string length the split
   * BTF was built against is recovered and compared, and its anomalies on the new base counted.
   * A .BTF that is not BTF at all is an answer; a distilled base that is not is an input error.
   */
  private certificates(): CertificateId[] | undefined {
    if (this.certificateCache === undefined) this.certificateCache = readBuiltinCertificates(this.kernel.vmlinux, (n) => this.kernel.global(n)) ?? null;
    return this.certificateCache ?? undefined;
  }

  builtinKeys(): { keys: readonly BuiltinKey[]; source: Source } | undefined {
    const certs = this.certificates();
    if (!certs) return undefined;
    return { keys: certs.map((c) => ({ subject: c.subject, serial: c.serial })), source: { file: this.kernel.vmlinuxFile, what: 'system_certificate_list' } };
  }

  signerKey(signer: { id: ModuleSignerId; digestAlgorithm: string; signedDigest: string; signature: string }): SignerKey {
    const id = signer.id;
    const cert = this.certificates()?.find((c) => (id.kind === 'key-id' ? c.subjectKeyId === id.keyId : c.issuer === id.issuer && c.serial === id.serial));
    if (!cert) return { found: false };
    return { found: true, key: { subject: cert.subject, serial: cert.serial }, verifies: rsaSignatureVerifies(cert.der, signer.digestAlgorithm, signer.signedDigest, signer.signature) };
  }

  splitBtfFit(split: string, distilledBase: string | undefined, file: string, examples: number): SplitBtfFit {
    const base = this.kernel.btf()?.btf;
    if (!base) throw new Error('splitBtfFit asked of a kernel without BTF');
    const bytes = Buffer.from(split, 'base64');
    if (distilledBase) {
      const distilled = Btf.parse(Buffer.from(distilledBase, 'base64'), file, undefined, { section: '.BTF.base' });
      const unmatched = matchDistilledBase(distilled, base, Btf.parse(bytes, file, distilled)).filter((m) => m.status !== 'found');
      if (unmatched.length === 0) return { fits: true };
      return { fits: false, how: 'distilled-base', distilledTypes: distilled.typeCount, unmatched: unmatched.map((m) => ({ kind: m.kind, name: m.name, status: m.status })) };
    }
    let check;
    try {
      check = checkSplitBase(bytes, file, base, { examples });
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      return { fits: false, how: 'unreadable', problem: err.problem };
    }
    if (check.consistent) return { fits: true };
    return {
      fits: false,
      how: 'other-base',
      counts: check.counts as Record<string, number>,
      builtAgainstStrings: check.facts.baseStringLength,
      ownTypes: check.facts.ownCount,
      minBaseTypes: check.facts.minBaseTypeCount,
      baseStrings: check.baseStringLength,
      baseTypes: check.baseTypeCount,
      examples: check.findings.map((f) => ({ id: f.id, problem: f.problem, detail: f.detail })),
    };
  }

  /**
   * Whether vmlinux's DWARF marks a function it defines noreturn (DW_AT_noreturn on its
   * definition or on the declaration the definition completes); undefined without DWARF, or
   * when the function is not found there. One unit is read, found through .debug_aranges.
   */
  noreturnInDwarf(name: string): boolean | undefined {
    const sym = this.kernel.global(name);
    const dwarf = this.kernel.dwarf();
    if (!sym || sym.type !== 'func' || !dwarf) return undefined;
    const unitOffset = dwarf.addressRanges()?.unitFor(sym.value);
    const header = unitOffset === undefined ? undefined : dwarf.headerAt(unitOffset);
    if (!header) return undefined;
    let declared = false;
    let found = false;
    for (const entry of topLevelEntries(dwarf.unit(header))) {
      if (entry.kind !== 'function' || entry.symbolName !== name) continue;
      found = true;
      if (entry.noreturn) declared = true;
    }
    return found ? declared : undefined;
  }

  /** A feature-number header of the new kernel: x86 cpufeatures.h, or arm64's generated cpucaps header. */
  cpufeatures(relPath: string): CpuFeatureTable | undefined {
    return this.headers.featureTable(relPath);
  }

  extableTypes(): ExtableTypes | undefined {
    return this.headers.extableTypes();
  }

  /** vmlinux's .orc_header hash (v6.4+). */
  orcHeader(): string | undefined {
    if (this.orcCache === undefined) this.orcCache = readOrcHeader(this.kernel.vmlinux)?.hash ?? null;
    return this.orcCache ?? undefined;
  }

  /** Names of vmlinux's sections (its output sections). */
  sectionNames(): ReadonlySet<string> {
    return new Set(this.kernel.vmlinux.sections.map((s) => s.name));
  }

  linkerScript(target: LinkTarget): string | undefined {
    return this.script(target)?.file;
  }

  private script(target: LinkTarget): { file: string; script: LinkerScript } | undefined {
    let found = this.scriptCache.get(target);
    if (found === undefined) this.scriptCache.set(target, (found = this.kernel.linkerScript(target) ?? null));
    return found ?? undefined;
  }

  placement(target: LinkTarget, object: string, section: string): SectionPlacement {
    const found = this.script(target);
    if (!found) throw new Error(`placement asked of a kernel without a ${target} linker script`);
    const p = placeSection(found.script, section, this.kernel.artifacts.vmlinuxArchive ? { name: object, archive: 'vmlinux.a' } : { name: object });
    const description = describePlacement(p);
    switch (p.kind) {
      case 'placed':
        return { kind: p.kind, output: p.output, line: p.line, ranges: p.ranges, description };
      case 'discarded':
        return { kind: p.kind, line: p.line, description };
      case 'orphan':
        return { kind: p.kind, description };
    }
  }

  sectionPatternMatches(pattern: string, section: string): boolean {
    return globMatch(pattern, section);
  }

  hasBuildTree(): boolean {
    return this.kernel.tree() !== undefined;
  }

  /**
   * How the new kernel compiles the frozen object's source: the reference object's
   * producer, the replaced compile unit's producer in vmlinux DWARF, the build directory's
   * .cmd, or (least specific) the producer of vmlinux's first C unit.
   */
  compilerFlags(frozen: FrozenObject): { text: string; source: Source; specific: boolean } | undefined {
    const reference = this.reference(frozen);
    if (reference?.producer) return { text: reference.producer, source: { file: reference.path, what: 'DW_AT_producer of the reference object' }, specific: true };
    const replaced = this.replacements.get(frozen);
    if (replaced?.found && replaced.producer) {
      return { text: replaced.producer, source: { file: this.kernel.artifacts.vmlinux, what: `DW_AT_producer of ${replaced.name}` }, specific: true };
    }
    if (replaced?.found && replaced.newObject && this.kernel.artifacts.layout === 'build-dir') {
      const cmd = this.kernel.compileCommand(replaced.name);
      if (cmd) return { text: cmd.command, source: { file: cmd.file, what: 'kbuild compile command' }, specific: true };
    }
    const first = this.kernel.firstProducer();
    if (first) return { text: first, source: { file: this.kernel.artifacts.vmlinux, what: "DW_AT_producer of vmlinux's first C compile unit (kernel-wide flags)" }, specific: false };
    return undefined;
  }

  /** The reference object for a frozen object: given with --reference, or the replaced object itself when it is a file. */
  reference(frozen: FrozenObject): ReferenceObject | undefined {
    let r = this.referenceCache.get(frozen);
    if (r === undefined) {
      r = this.findReference(frozen) ?? null;
      this.referenceCache.set(frozen, r);
    }
    return r ?? undefined;
  }

  private findReference(frozen: FrozenObject): ReferenceObject | undefined {
    const given = this.givenReferences;
    let path: string | undefined;
    let how: ReferenceObject['how'] = 'given';
    if (given.length === 1 && this.replacements.size === 1) path = given[0];
    else path = given.find((g) => basename(g) === basename(frozen.path));
    if (!path) {
      const replaced = this.replacements.get(frozen);
      if (replaced?.found && replaced.newObject) {
        path = replaced.newObject;
        how = replaced.how === 'module-name' ? 'module' : 'same-path';
      }
    }
    if (!path) return undefined;
    const elf = how === 'given' ? ElfFile.open(path) : this.kernel.openModule(path);
    try {
      if (elf.header.machine !== frozen.machine) throw new InputError(path, 'reference object of another architecture than the frozen object');
      const dwarf = DwarfFile.present(elf) ? new DwarfFile(elf) : undefined;
      // Member names of function-pointer slots are evidence about the frozen object only.
      const conventions = readObjectConventions(elf, dwarf, undefined);
      const producer = mainProducer(conventions);
      const info = readModuleInfo(elf);
      return { path, how, conventions, producer, thisModuleSize: info?.thisModuleSize, vermagic: info?.vermagic };
    } finally {
      elf.close();
    }
  }
}

const BTF_ID_PREFIX = '__BTF_ID__';

/**
 * The BTF_ID entries among a vmlinux's .BTF_ids symbols (sorted by address), named as
 * resolve_btfids reads them: `__BTF_ID__<kind>__<name>__<unique>`; each in the set
 * (`__BTF_ID__set__<name>`, `__BTF_ID__set8__<name>`, which span their size) or list (any
 * other symbol there: BTF_ID_LIST's label) that starts nearest before it.
 */
function btfIdEntries(symbols: readonly { name: string; value: bigint; size: number }[]): KernelBtfIdEntry[] {
  type Start = { name: string; kind: 'set' | 'set8' | 'list'; value: bigint; size: number };
  const starts: Start[] = [];
  const entries: { symbol: string; kind: string; name: string; value: bigint }[] = [];
  for (const s of symbols) {
    if (!s.name.startsWith(BTF_ID_PREFIX)) {
      starts.push({ name: s.name, kind: 'list', value: s.value, size: 0 });
      continue;
    }
    const rest = s.name.slice(BTF_ID_PREFIX.length);
    const sep = rest.indexOf('__');
    if (sep <= 0) continue;
    const kind = rest.slice(0, sep);
    const tail = rest.slice(sep + 2);
    if (kind === 'set' || kind === 'set8') {
      starts.push({ name: tail, kind, value: s.value, size: s.size });
      continue;
    }
    const unique = tail.lastIndexOf('__');
    if (unique <= 0) continue;
    entries.push({ symbol: s.name, kind, name: tail.slice(0, unique), value: s.value });
  }
  return entries.map((e) => {
    let start: Start | undefined;
    for (const s of starts) {
      if (s.value > e.value) break;
      // A set and its label share an address: the set, which knows its size, speaks for both.
      if (!start || s.value > start.value || (s.kind !== 'list' && start.kind === 'list')) start = s;
    }
    const within = start && (start.kind === 'list' || start.size === 0 || e.value < start.value + BigInt(start.size));
    return { symbol: e.symbol, kind: e.kind, name: e.name, address: `0x${e.value.toString(16)}`, set: within ? { name: start!.name, kind: start!.kind } : undefined };
  });
}

/** The kernel the frozen objects were compiled in (--built-with): only its headers are read. */
export class OriginKernelConventions implements OriginConventions {
  readonly sources: KernelSources;
  private readonly headers: HeaderTables;

  constructor(readonly root: string) {
    this.sources = KernelSources.of(root);
    if (this.sources.roots.length === 0) throw new InputError(root, 'no such directory (--built-with takes the build directory or headers of the kernel the frozen objects were compiled in)');
    this.headers = new HeaderTables(() => this.sources);
  }

  cpufeatures(relPath: string): CpuFeatureTable | undefined {
    return this.headers.featureTable(relPath);
  }

  extableTypes(): ExtableTypes | undefined {
    return this.headers.extableTypes();
  }
}
