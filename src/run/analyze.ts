import { InputError, UsageError } from '../errors.js';
import { machineName } from '../elf/constants.js';
import type { CatalogueRecord, FrozenRecord, KernelInputRecord, KernelRecord, RunRecord, TimeRecord } from './record.js';
import { collectInputs, InputLog, noteInputs } from '../input-file.js';
import { InputRoles, inputManifest, type PathBase } from './manifest.js';
import { applyWaivers, checkWaiverIds } from './waivers.js';
import { readWaivers } from '../waivers/read.js';
import { toolCommit, toolVersion } from '../version.js';
import { CHECKS, runChecks } from '../checks/index.js';
import { SILENT_PROGRESS, type Progress } from '../facts/progress.js';
import { NewKernel } from '../kernel/kernel.js';
import { locateKernel, type LocateOptions } from '../kernel/locate.js';
import { readFrozenObject } from '../object/read.js';
import type { FrozenObject } from '../facts/frozen-object.js';
import { LinkModel, type LinkMode } from '../model/link.js';
import { defaultUse, type FrozenUse } from '../facts/relink.js';
import { findReplacement } from '../kernel/find-replacement.js';
import type { Replacement } from '../facts/replacement.js';
import type { InterfaceSource } from '../graph/interfaces.js';
import { BtfInterface } from '../btf/btf-interface.js';
import { ObjectDwarfInterface, VmlinuxDwarfInterface } from '../dwarf/dwarf-interfaces.js';
import { InterfaceComparison } from '../model/interface-comparison.js';
import { DwarfFile } from '../dwarf/index.js';
import { ElfFile, FileSource } from '../elf/index.js';
import { looksLikeSnapshot, readSnapshot } from '../snapshot/read.js';
import { bundledCatalogueDirectory, loadCatalogue, type CatalogueEntry } from '../catalogue/catalogue.js';
import { architectureOf, type Architecture } from '../facts/architecture.js';
import { DETECTORS } from '../checks/primitives/index.js';
import { configRenamesOf } from '../checks/primitives/config-renames.js';
import { NewKernelConventions, OriginKernelConventions } from '../kernel/new-kernel-conventions.js';

export interface CheckOptions extends LocateOptions {
  /** What each frozen object replaces, in the order the objects were given. */
  replaces?: readonly string[] | undefined;
  /** Objects built from the same sources in the new tree: the preferred view of the new interface. */
  reference?: readonly string[] | undefined;
  /** Which of vmlinux's type information to use: both (BTF first), only one, or none (link checks only). */
  typeSource?: 'auto' | 'btf' | 'dwarf' | 'none' | undefined;
  /** The kernel the frozen objects were compiled in (its headers): what their feature numbers and fixup types meant. */
  builtWith?: string | undefined;
  /** A signatures/ catalogue directory other than the bundled one. */
  signatures?: string | undefined;
  /** How the frozen objects are used; by default from the input (a .ko as is, a .o relinked). */
  use?: FrozenUse | undefined;
  /** Told each step of the run, and ticked while the new kernel's type sources are asked (the CLI shows it). */
  progress?: Progress | undefined;
  /** A waivers file (docs/evidence.md): which findings are accepted, by whom, until when. Needs `time`. */
  waivers?: string | undefined;
  /** The time the run judges at (waiver expiry, the attestation): given by the caller, which says where it came from. */
  time?: TimeRecord | undefined;
  /** Hash every input for the manifest (vmlinux alone is hundreds of MB: the evidence formats ask, the gate need not). */
  digests?: boolean | undefined;
  /** Where paths in the manifest are written relative to; by default the process's working and home directories. */
  base?: PathBase | undefined;
}

/** The new kernel's interface sources, most preferred first: reference objects, vmlinux BTF, vmlinux DWARF. */
function interfaceSources(kernel: NewKernel, references: readonly string[], typeSource: CheckOptions['typeSource'] = 'auto', opened: ElfFile[] = []): InterfaceSource[] {
  const sources: InterfaceSource[] = [];
  if (typeSource === 'none') return sources;
  for (const path of references) {
    const elf = ElfFile.open(path);
    opened.push(elf);
    if (elf.header.machine !== kernel.machine) throw new InputError(path, `wrong architecture for the new kernel (${machineName(elf.header.machine)})`);
    if (!DwarfFile.present(elf)) throw new InputError(path, 'a reference object needs DWARF (-g): it has none');
    sources.push(new ObjectDwarfInterface(new DwarfFile(elf), `reference object ${path} (DWARF)`));
  }
  const btf = typeSource === 'dwarf' ? undefined : kernel.btf();
  if (btf) sources.push(new BtfInterface(btf));
  else if (typeSource === 'btf') throw new InputError(kernel.artifacts.vmlinux, 'has no .BTF section (asked for --type-source btf)');
  const dwarf = typeSource === 'btf' ? undefined : kernel.dwarf();
  // Beside BTF, DWARF answers what BTF lacks: variables (Debian's BTF has only per-CPU ones),
  // functions BTF left out; never a named type (see VmlinuxDwarfInterface).
  if (dwarf) sources.push(new VmlinuxDwarfInterface(dwarf, kernel.vmlinux, (name) => kernel.global(name), btf === undefined));
  else if (typeSource === 'dwarf') throw new InputError(kernel.artifacts.vmlinux, 'has no DWARF (asked for --type-source dwarf)');
  return sources;
}

/** An interface source whose every answer is a tick of `progress` (the same graph, the same answers). */
function ticking(source: InterfaceSource, progress: Progress): InterfaceSource {
  if (progress === SILENT_PROGRESS) return source;
  return {
    description: source.description,
    graph: source.graph,
    functionNamed(name) {
      progress.tick();
      return source.functionNamed(name);
    },
    variableNamed(name) {
      progress.tick();
      return source.variableNamed(name);
    },
    typeNamed(kind, name) {
      progress.tick();
      return source.typeNamed(kind, name);
    },
  };
}

/**
 * An interface comparison was asked for (--type-source auto) and the new kernel has nothing
 * to compare with: that is not a pass with nothing compared. Refused, saying what would do.
 */
function requireTypeSource(kernel: NewKernel, sources: readonly InterfaceSource[], typeSource: CheckOptions['typeSource'], frozen: readonly FrozenObject[]): void {
  if ((typeSource ?? 'auto') !== 'auto' || sources.length > 0) return;
  const compared = frozen.find((obj) => obj.compiledAgainst !== undefined);
  if (!compared) return;
  throw new InputError(
    kernel.artifacts.vmlinux,
    `has neither .BTF nor DWARF, so the interfaces ${compared.path} was compiled against cannot be compared: give a vmlinux with its type information, --reference with an object built in the new tree, or --type-source none to check the link only`,
  );
}

/**
 * What x86-64 would have checked and an object of another architecture is not: each entry
 * for x86-64 that does not list the object's architecture, with the entry's notOn reason.
 */
function notCheckedFor(entries: readonly CatalogueEntry[], frozen: readonly FrozenObject[]): Partial<Pick<CatalogueRecord, 'notChecked'>> {
  const architectures = [...new Set(frozen.map((obj) => architectureOf(obj.machine)))].filter((a) => a !== 'x86_64' && a !== 'other');
  const notChecked = architectures.flatMap((architecture) =>
    entries
      .filter((e) => e.architectures.includes('x86_64') && !e.architectures.includes(architecture as Architecture))
      .map((e) => ({ architecture, id: e.id, why: e.notOn?.[architecture] ?? `an ${e.architectures.join('/')} build primitive` })),
  );
  return notChecked.length ? { notChecked } : {};
}

/** A frozen object, or its ABI snapshot (relinkable extract): told apart by the first bytes. */
export function readFrozen(path: string): FrozenObject {
  const source = FileSource.open(path);
  let head: Buffer;
  try {
    head = source.read(0, Math.min(16, source.size), 'first bytes');
  } finally {
    source.close();
  }
  return looksLikeSnapshot(head) ? readSnapshot(path) : readFrozenObject(path);
}

/**
 * The bundled catalogue, loaded once per process (scan runs hundreds of checks, each would
 * load and validate the same entries again); one given with --signatures is the user's
 * files, read for each run.
 */
let bundledCatalogue: { catalogue: ReturnType<typeof loadCatalogue>; files: InputLog['opened'] } | undefined;
function catalogueOf(signatures: string | undefined): ReturnType<typeof loadCatalogue> {
  if (signatures !== undefined) return loadCatalogue(signatures, DETECTORS);
  if (!bundledCatalogue) {
    const log = new InputLog();
    const catalogue = collectInputs(log, () => loadCatalogue(bundledCatalogueDirectory(), DETECTORS));
    bundledCatalogue = { catalogue, files: log.opened };
  }
  // Loaded once per process, yet read by every run: each run's inputs manifest lists its files.
  noteInputs(bundledCatalogue.files);
  return bundledCatalogue.catalogue;
}

/** bytes → readers → model → checks: everything `check` does before rendering, as a plain record. */
export async function analyze(objectPaths: readonly string[], options: CheckOptions): Promise<RunRecord> {
  return (await analyzeRun(objectPaths, options)).record;
}

/** The run record and the new kernel it was read from (for tests that look at how much of it was read). */
export async function analyzeRun(objectPaths: readonly string[], options: CheckOptions): Promise<{ record: RunRecord; kernel: NewKernel }> {
  if (objectPaths.length === 0) throw new UsageError('no frozen objects given');
  const replaces = options.replaces ?? [];
  if (replaces.length > objectPaths.length) {
    throw new UsageError(`--replaces given ${replaces.length} times for ${objectPaths.length} object(s)`);
  }
  if (options.waivers !== undefined && options.time === undefined) throw new UsageError('waivers need the time of the run, to know which have expired');
  const progress = options.progress ?? SILENT_PROGRESS;
  const log = new InputLog();
  return collectInputs(log, async () => {
    progress.step('reading the new kernel');
    const kernel = new NewKernel(locateKernel(options));
    const opened: ElfFile[] = [];
    try {
      const { record, originRoots } = await analyzeWith(kernel, objectPaths, options, opened);
      progress.step(options.digests ? 'hashing the inputs' : 'listing the inputs');
      return { record: { ...record, inputs: manifestOf(log, record, kernel, options, originRoots) }, kernel };
    } finally {
      // Everything the report needs is in the record: no descriptor stays open for the next
      // run in this process (a later read of these files reopens them).
      kernel.releaseDescriptors();
      for (const elf of opened) elf.releaseDescriptor();
    }
  });
}

/** Every file the run opened, each with what it is to the run. */
function manifestOf(log: InputLog, record: RunRecord, kernel: NewKernel, options: CheckOptions, originRoots: readonly string[]): RunRecord['inputs'] {
  const a = kernel.artifacts;
  const roles = new InputRoles();
  for (const f of record.frozen) roles.name(f.path, 'frozen object');
  roles.name(a.vmlinux, 'vmlinux');
  roles.name(a.symvers, 'Module.symvers');
  roles.name(a.config, '.config');
  roles.name(a.systemMap, 'System.map');
  roles.name(a.linkerScript, 'linker script');
  roles.name(a.vmlinuxArchive, 'vmlinux.a');
  for (const r of options.reference ?? []) roles.name(r, 'reference object');
  roles.name(options.waivers, 'waivers');
  const opened = log.opened;
  const catalogueDir = record.catalogue.directory ?? bundledCatalogueDirectory();
  for (const { path } of opened) {
    if (path.startsWith(`${catalogueDir}/`)) roles.name(path, 'catalogue');
    else if (originRoots.some((root) => path.startsWith(`${root.replace(/\/$/, '')}/`))) roles.name(path, 'built-with kernel');
  }
  return inputManifest(opened, roles, {
    digests: options.digests === true,
    base: options.base,
    buildIds: new Map([[a.vmlinux, record.kernel.vmlinux.buildId]]),
  });
}

/**
 * One check of `objectPaths` against a kernel already open: what `scan` does for each object,
 * reading each kernel once and checking every object against it (what the kernel read for
 * one check, its exports, BTF, .config, stays read for the next). `read` gives the frozen
 * objects (scan reads each once for all kernels).
 */
export async function analyzeOpened(kernel: NewKernel, objectPaths: readonly string[], options: CheckOptions, read: (path: string) => FrozenObject = readFrozen): Promise<RunRecord> {
  const opened: ElfFile[] = [];
  try {
    return (await analyzeWith(kernel, objectPaths, options, opened, read)).record;
  } finally {
    kernel.releaseDescriptors();
    for (const elf of opened) elf.releaseDescriptor();
  }
}

/** The run's record, and the directories --built-with's headers are read from (the manifest names what was read there). */
async function analyzeWith(
  kernel: NewKernel,
  objectPaths: readonly string[],
  options: CheckOptions,
  opened: ElfFile[],
  read: (path: string) => FrozenObject = readFrozen,
): Promise<{ record: RunRecord; originRoots: readonly string[] }> {
  const replaces = options.replaces ?? [];
  const progress = options.progress ?? SILENT_PROGRESS;
  const waivers = options.waivers !== undefined ? checkWaiverIds(readWaivers(options.waivers)) : undefined;
  const frozen = objectPaths.map((path) => {
    progress.step(`reading ${path}`);
    return read(path);
  });
  for (const obj of frozen) {
    if (obj.machine !== kernel.machine) {
      throw new InputError(
        obj.path,
        `wrong architecture: a ${machineName(obj.machine)} object, but the new kernel (${kernel.artifacts.vmlinux}) is ${machineName(kernel.machine)}`,
      );
    }
  }
  // The report lists System.map when there is one: it is read here (whole, for a stripped vmlinux).
  progress.step('reading the new kernel');
  kernel.checkSystemMap();
  // Module.symvers and .config of another release than vmlinux are not this kernel's.
  kernel.checkRelease();
  const modules = frozen.filter((o) => o.isModule);
  if (modules.length > 0 && modules.length < frozen.length) {
    throw new UsageError('give either modules (.ko) or objects (.o) to relink together, not both');
  }
  const use = options.use ?? defaultUse(modules.length > 0);
  if (use === 'as-is' && modules.length === 0) {
    throw new UsageError(`--as-is: ${frozen[0]!.path} is an object to relink, not a module (.ko) to load as it is`);
  }
  // A module replaces the module of its own name: --replaces (an object or compile unit of
  // the new build) cannot apply to it, and is refused rather than ignored.
  frozen.forEach((obj, i) => {
    if (obj.isModule && replaces[i] !== undefined) {
      throw new UsageError(
        `--replaces ${replaces[i]}: ${obj.path} is a module (.ko), which replaces the module of its own name${obj.moduleInfo?.name ? ` (${obj.moduleInfo.name})` : ''}; --replaces names what an object (.o) replaces`,
      );
    }
  });

  progress.step('finding what the frozen objects replace');
  const replacements = new Map<FrozenObject, Replacement>();
  frozen.forEach((obj, i) => replacements.set(obj, findReplacement(obj, kernel, replaces[i])));

  const targetsModule = [...replacements.values()].some((r) => r.found && r.target.kind === 'module');
  const mode: LinkMode = modules.length > 0 || targetsModule ? 'module' : 'built-in';
  await Promise.all([...replacements.values()].map((r) => (r.found ? r.prepare() : undefined)));
  const found = interfaceSources(kernel, options.reference ?? [], options.typeSource, opened);
  requireTypeSource(kernel, found, options.typeSource, frozen);
  const sources = found.map((s) => ticking(s, progress));
  const frozenInterface = (obj: FrozenObject) => obj.compiledAgainst;
  const definitionsUsed = (obj: FrozenObject): string[] => {
    const r = replacements.get(obj);
    if (!r?.found) return [];
    return [...obj.definitions.values()].filter((d) => d.kind === 'function' && r.definitions.has(d.name)).map((d) => d.name);
  };
  const interfaces = new InterfaceComparison(frozen, sources, frozenInterface, kernel.machine, definitionsUsed);
  const catalogue = catalogueOf(options.signatures);
  const origin = options.builtWith ? new OriginKernelConventions(options.builtWith) : undefined;
  const conventions = new NewKernelConventions(kernel, configRenamesOf(catalogue), options.reference ?? [], replacements);
  const link = new LinkModel(mode, use, frozen, kernel, replacements);
  if (sources.length) {
    progress.step(`comparing interfaces with ${sources.map((s) => s.description).join(', ')}`);
    interfaces.coverage();
  }
  const findings = runChecks({ link, kernel, interfaces, primitives: { catalogue, conventions, origin } }, CHECKS, progress);
  const record: RunRecord = {
    mode,
    use,
    useFrom: options.use ? 'command line' : 'input',
    frozen: frozen.map((obj) => frozenRecord(obj, replacements.get(obj)!)),
    kernel: kernelRecord(kernel),
    coverage: interfaces.coverage(),
    catalogue: {
      version: catalogue.version,
      digest: catalogue.digest,
      entries: catalogue.entries.length,
      directory: options.signatures !== undefined ? catalogue.directory : null,
      ...notCheckedFor(catalogue.entries, frozen),
    },
    checks: CHECKS.map((c) => ({ name: c.name, produces: c.produces })),
    findings,
    inputs: [],
    tool: { version: toolVersion(), commit: toolCommit(), node: process.version },
    time: options.time ?? null,
    waivers: waivers ? applyWaivers(findings, waivers, new Date(options.time!.at)) : null,
  };
  return { record, originRoots: origin?.sources.roots ?? [] };
}

function frozenRecord(obj: FrozenObject, r: Replacement): FrozenRecord {
  return {
    path: obj.path,
    sha256: obj.sha256,
    size: obj.size,
    machine: machineName(obj.machine),
    module: obj.isModule ? (obj.moduleInfo?.name ?? null) : null,
    compileUnits: obj.compileUnits,
    replaces: r.found
      ? { found: true, name: r.name, how: r.how, target: r.target.kind === 'vmlinux' ? 'vmlinux' : `module ${r.target.module}` }
      : { found: false, reason: r.reason },
  };
}

/** The new kernel's identity, read now, while it is open: the report reads nothing. */
function kernelRecord(kernel: NewKernel): KernelRecord {
  const a = kernel.artifacts;
  return {
    layout: a.layout,
    root: a.root ?? null,
    release: kernel.release() ?? a.abi ?? null,
    vmlinux: { path: a.vmlinux, buildId: kernel.vmlinux.buildId() ?? null },
    symvers: a.symvers ?? null,
    config: a.config ?? null,
    systemMap: a.systemMap ?? null,
    linkerScript: a.linkerScript ?? null,
    vmlinuxArchive: a.vmlinuxArchive ?? null,
    exportsFrom: kernel.exports().source,
    input: kernelInput(kernel),
  };
}

/** Which kind of kernel input the run had, and what the -dbg package would have added (said in every report, never left out silently). */
function kernelInput(kernel: NewKernel): KernelInputRecord {
  const dwarf = kernel.dwarf() !== undefined;
  const btf = kernel.vmlinux.section('.BTF') !== undefined;
  const symbols = kernel.symbolSource;
  const lacking: string[] = [];
  if (!dwarf) {
    lacking.push(
      `vmlinux DWARF: imported global variables ${btf ? 'BTF does not describe (it has only per-CPU ones) ' : ''}are not compared; the compile flags the new kernel was built with are not read (they come from DWARF producers); a frozen object's compile unit in vmlinux is not found`,
    );
  }
  if (symbols === 'kallsyms') {
    lacking.push("vmlinux .symtab: no symbol sizes; kallsyms marks every per-CPU symbol absolute, so whether one is static is not known");
  }
  if (kernel.artifacts.layout === 'debian-image') {
    lacking.push("the new kernel's modules are stripped (no DWARF): the flags a replaced module was compiled with in the new kernel are not read");
  }
  return {
    kind: dwarf && symbols !== 'kallsyms' ? 'full' : 'light',
    image: kernel.imageCompression ? 'vmlinuz' : 'vmlinux',
    compression: kernel.imageCompression ?? null,
    symbols,
    types: [...(btf ? ['BTF'] : []), ...(dwarf ? ['DWARF'] : [])],
    lacking,
  };
}
