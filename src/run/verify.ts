import { dirname, join, resolve } from 'node:path';
import { InputError, UsageError } from '../errors.js';
import { ElfFile } from '../elf/index.js';
import { sha256Of } from '../elf/source.js';
import type { IntegrityCheck, ObjectVerification, PlaceholderCheck, SectionPlacement } from '../facts/verify.js';
import { certifiedBytesCheck } from '../checks/verify/certified-bytes.js';
import { integrityCheck } from '../checks/verify/integrity.js';
import { KernelConfig } from '../kernel/kconfig.js';
import { androidFips140, embeddedFips140, embeddedModule, rhelHmac } from '../verify/integrity.js';
import { placeholderAbi } from '../verify/placeholders.js';
import { BufferSource } from '../elf/source.js';
import { readLinkMap } from '../verify/link-map.js';
import { compareFindings } from '../checks/index.js';
import { collectInputs, InputLog, optionalInput } from '../input-file.js';
import type { PathBase } from '../paths.js';
import { InputRoles, inputManifest } from './manifest.js';
import { toolCommit, toolVersion } from '../version.js';
import { readLinkerScript } from '../kernel/linker-script/index.js';
import { readCpucaps } from '../arch/arm64/cpucaps.js';
import { EM_AARCH64 } from '../elf/constants.js';
import { verifyObject } from '../verify/index.js';
import type { TimeRecord, VerifiedObjectRecord, VerifyRecord } from './record.js';

export interface VerifyOptions {
  /** The linked vmlinux or module .ko; needed for objects and for the embedded scheme. */
  readonly linked?: string | undefined;
  /**
   * The linker script the link used. When not given: next to a vmlinux in a build directory
   * (arch/<arch>/kernel/vmlinux.lds), or scripts/module.lds of the build directory a .ko lies in.
   */
  readonly linkerScript?: string | undefined;
  /** The GNU ld map file (-Map) of the link: where it put each input section. */
  readonly map?: string | undefined;
  /** Recompute the embedded fips140.ko scheme of the linked vmlinux: its HMAC key (the string, or the .config that sets CONFIG_CRYPTO_FIPS140_HMAC_KEY) and the certified module. */
  readonly embeddedFips140?: { readonly key?: string | undefined; readonly config?: string | undefined; readonly certified?: string | undefined } | undefined;
  /** Amazon's placeholder ABI of the --linked vmlinux against this fips140.ko, or (true) against the module embedded in it. */
  readonly placeholderAbi?: string | true | undefined;
  /** Android's fips140.ko whose HMAC to recompute. */
  readonly androidFips140?: string | undefined;
  /** A vmlinuz with RHEL's .vmlinuz-<ver>.hmac beside it. */
  readonly rhelHmac?: string | undefined;
  /** Hash every input for the manifest (the evidence formats need it). */
  readonly digests?: boolean | undefined;
  /** Where the run is made: the manifest's paths are written relative to it. */
  readonly base?: PathBase | undefined;
  /** The time of the run, when one is recorded. */
  readonly time?: TimeRecord | undefined;
}

/** The HMAC key of the embedded scheme: given, or CONFIG_CRYPTO_FIPS140_HMAC_KEY of the .config. */
function embeddedKey(o: NonNullable<VerifyOptions['embeddedFips140']>): string {
  if (o.key !== undefined) return o.key;
  if (!o.config) throw new UsageError('--fips140-embedded needs the HMAC key: --hmac-key <key>, or --config <.config> with CONFIG_CRYPTO_FIPS140_HMAC_KEY');
  const config = KernelConfig.read(o.config);
  if (!config.has('CRYPTO_FIPS140_HMAC_KEY')) throw new InputError(o.config, 'sets no CONFIG_CRYPTO_FIPS140_HMAC_KEY');
  return config.get('CRYPTO_FIPS140_HMAC_KEY');
}

/** Amazon's placeholder ABI of the linked vmlinux against a fips140.ko file, or against the module embedded in it. */
function placeholderCheck(module: string | true, linked: ElfFile | undefined): PlaceholderCheck {
  if (!linked || linked.isRelocatable) throw new UsageError('--fips140-abi checks the placeholders of the vmlinux given with --linked');
  const ko = module === true ? new ElfFile(new BufferSource(`${linked.name} (embedded fips140.ko)`, embeddedModule(linked))) : ElfFile.open(module);
  try {
    return placeholderAbi(ko, linked);
  } finally {
    ko.close();
  }
}

/** The vendor schemes asked for, recomputed. */
function integrityChecks(options: VerifyOptions, linked: ElfFile | undefined): IntegrityCheck[] {
  const out: IntegrityCheck[] = [];
  if (options.embeddedFips140) {
    if (!linked || linked.isRelocatable) throw new UsageError('--fips140-embedded reads the vmlinux given with --linked');
    out.push(embeddedFips140(linked, embeddedKey(options.embeddedFips140), options.embeddedFips140.certified));
  }
  if (options.androidFips140) {
    const ko = ElfFile.open(options.androidFips140);
    try {
      out.push(androidFips140(ko));
    } finally {
      ko.close();
    }
  }
  if (options.rhelHmac) out.push(rhelHmac(options.rhelHmac));
  return out;
}

const ARCH_DIRECTORY: Record<string, string> = { 'x86-64': 'x86', i386: 'x86', AArch64: 'arm64' };

/** The generated cpucaps header of the arm64 build directory `dir`: cpucap-defs.h (v6.3 on) or cpucaps.h (6.1). */
function cpucapsHeader(dir: string): string | undefined {
  const generated = join(dir, 'arch', 'arm64', 'include', 'generated', 'asm');
  return optionalInput(join(generated, 'cpucap-defs.h')) ?? optionalInput(join(generated, 'cpucaps.h'));
}

/** How far above a .ko its build directory is looked for (crypto/gcm.ko: one; drivers/net/ethernet/intel/e1000e/e1000e.ko: five). */
const MODULE_DEPTH = 8;

/**
 * The scripts/module.lds of the kernel build directory a .ko lies in: the nearest directory
 * above it that holds Module.symvers. It says what every module link discards
 * (`.export_symbol`, `.discard.*`); without it those sections would be unplaced.
 */
function moduleLinkerScript(ko: string): string | undefined {
  let dir = dirname(resolve(ko));
  for (let i = 0; i < MODULE_DEPTH; i++) {
    if (optionalInput(join(dir, 'Module.symvers'))) return optionalInput(join(dir, 'scripts', 'module.lds'));
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
  return undefined;
}

/** Opens the inputs, verifies each frozen object against the linked file, and records what was found, with every file it read. */
export function verify(objects: readonly string[], options: VerifyOptions): VerifyRecord {
  const log = new InputLog();
  const record = collectInputs(log, () => verifyLogged(objects, options));
  const roles = new InputRoles();
  for (const o of objects) roles.name(o, 'frozen object');
  roles.name(record.linked?.path, 'linked file');
  roles.name(record.linked?.linkerScript ?? undefined, 'linker script');
  roles.name(options.map, 'link map');
  roles.name(options.embeddedFips140?.config, '.config');
  roles.name(options.embeddedFips140?.certified, 'certified module');
  roles.name(options.androidFips140, 'fips140.ko');
  roles.name(typeof options.placeholderAbi === 'string' ? options.placeholderAbi : undefined, 'fips140.ko');
  roles.name(options.rhelHmac, 'vmlinuz');
  for (const { path } of log.opened) {
    if (path.endsWith('.hmac')) roles.name(path, 'hmac file');
    else if (/\/generated\/asm\/cpucap(-defs|s)\.h$/.test(path)) roles.name(path, 'cpucaps header');
  }
  const inputs = inputManifest(log.opened, roles, {
    digests: options.digests === true,
    base: options.base,
    buildIds: new Map(record.linked ? [[record.linked.path, record.linked.buildId]] : []),
    otherRole: 'input',
  });
  return { tool: { version: toolVersion(), commit: toolCommit(), node: process.version }, ...record, inputs, time: options.time ?? null };
}

function verifyLogged(objects: readonly string[], options: VerifyOptions): Omit<VerifyRecord, 'tool' | 'inputs' | 'time'> {
  if (objects.length > 0 && !options.linked) throw new UsageError('frozen objects are verified against the file they were linked into: --linked <vmlinux | module.ko>');
  if (objects.length === 0 && !options.embeddedFips140 && !options.androidFips140 && !options.rhelHmac && !options.placeholderAbi) {
    throw new UsageError('nothing to verify: give frozen objects with --linked, or an integrity scheme (--fips140-embedded, --android-fips140, --rhel-hmac)');
  }
  const linkedPath = options.linked;
  const linked = linkedPath ? ElfFile.open(linkedPath) : undefined;
  try {
    const integrity = integrityChecks(options, linked);
    const findings = integrity.flatMap((c) => integrityCheck.run(c));
    const placeholders = options.placeholderAbi ? placeholderCheck(options.placeholderAbi, linked) : null;
    if (placeholders) findings.push(...integrityCheck.runPlaceholders(placeholders));
    if (!linked || !linkedPath) return { linked: null, objects: [], integrity, placeholders, findings: findings.sort(compareFindings) };
    const kind = linked.isRelocatable ? 'module' : 'vmlinux';
    const scriptPath =
      options.linkerScript ??
      (kind === 'vmlinux' ? optionalInput(join(dirname(linkedPath), 'arch', ARCH_DIRECTORY[linked.machine] ?? '-', 'kernel', 'vmlinux.lds')) : moduleLinkerScript(linkedPath));
    const script = scriptPath ? readLinkerScript(scriptPath) : undefined;
    const capabilitiesPath = kind === 'vmlinux' && linked.header.machine === EM_AARCH64 ? cpucapsHeader(dirname(linkedPath)) : undefined;
    const capabilities = capabilitiesPath ? readCpucaps(capabilitiesPath) : undefined;
    const map = options.map ? readLinkMap(options.map) : undefined;
    if (objects.length > 0 && !linked.symtab()) throw new InputError(linkedPath, 'has no symbol table: the frozen sections cannot be placed');
    const records: VerifiedObjectRecord[] = [];
    for (const path of objects) {
      const frozen = ElfFile.open(path);
      try {
        if (!frozen.isRelocatable) throw new InputError(path, 'not a relocatable object (.o): verify compares a frozen object with what it was linked into');
        if (frozen.header.machine !== linked.header.machine) throw new InputError(path, `is ${frozen.machine}, the linked file ${linkedPath} is ${linked.machine}`);
        const v = verifyObject(frozen, linked, { script, map, capabilities });
        records.push(objectRecord(v, sha256Of(frozen.source), frozen.source.size));
        findings.push(...certifiedBytesCheck.run(v, linkedPath));
      } finally {
        frozen.close();
      }
    }
    return {
      linked: { path: linkedPath, kind, size: linked.source.size, buildId: linked.buildId() ?? null, machine: linked.machine, linkerScript: scriptPath ?? null },
      objects: records,
      integrity,
      placeholders,
      findings: findings.sort(compareFindings),
    };
  } finally {
    linked?.close();
  }
}

const hex = (v: bigint | number): string => `0x${v.toString(16)}`;

function describe(p: SectionPlacement): string {
  switch (p.kind) {
    case 'placed':
      return p.how === 'symbols'
        ? `placed: ${p.agreeing} of its ${p.of} symbols agree`
        : p.how === 'references'
          ? `placed: the ${p.agreeing} relocated fields that point into it agree`
          : p.how === 'search'
            ? `placed: the one place in ${p.linkedSection} that holds its bytes with its ${p.agreeing} relocated fields`
            : p.how === 'paired'
              ? `placed: its ${p.agreeing} entries beside their .orc_unwind_ip entries`
              : 'placed: by the map file';
    case 'merged':
      return p.what === 'notes'
        ? 'merged by the linker into the linked file\'s own GNU property note: not compared'
        : `merged by the linker (${p.what}): each reference into it checked to reach the certified piece`;
    case 'discarded':
      return `discarded by ${p.rule} (line ${p.line})`;
    case 'sorted':
      return `sorted into the linked ${p.table} table by scripts/sorttable: each of its ${p.entries} entries found there${
        p.overridden.length > 0 ? `; ${p.overridden.length} more zeroed, of weak functions another definition overrides (${p.overridden.slice(0, 3).join(', ')}${p.overridden.length > 3 ? ', …' : ''})` : ''
      }`;
    case 'unplaced':
      return `not placed: ${p.reason}`;
  }
}

function objectRecord(v: ObjectVerification, sha256: string, size: number): VerifiedObjectRecord {
  return {
    path: v.object,
    sha256,
    size,
    sections: v.sections.map((s) => ({
      name: s.name,
      size: s.size,
      placement: describe(s.placement),
      linkedSection: s.placement.kind === 'placed' ? s.placement.linkedSection : null,
      address: s.placement.kind === 'placed' ? hex(s.placement.address) : null,
    })),
    compared: v.compared,
    bytesCompared: v.compared.reduce((n, c) => n + c.bytes, 0),
    relocatedFields: v.compared.reduce((n, c) => n + c.relocatedFields, 0),
    padding: v.padding.map((p) => ({ ...p, address: hex(p.address) })),
    patchTables: v.patchTables ? [...v.patchTables] : null,
    patchSites: v.patchSites ? v.patchSites.map((s) => ({ table: s.table, section: s.section, offset: hex(s.offset), address: hex(s.address), within: s.within ?? null, writes: s.writes })) : null,
  };
}
