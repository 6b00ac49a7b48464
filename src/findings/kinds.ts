import type { CompilerIdentity } from '../facts/compiler.js';
import { vermagicOptions } from '../facts/module.js';
import { extableTypeLabel, featureLabel, shortFeatureName, wordBit } from '../facts/x86-headers.js';
import type { CallDifference, Change, DedupDifference, Exposure, TypeDelta } from '../graph/changes.js';
import type { FrozenUse, LinkMode } from '../facts/relink.js';
import type { SignatureConsequence, SplitBtfConsequence } from '../facts/kernel-conventions.js';
import { EXPOSURE_TEXT, crcHex, describeChange, provision, ratio, someNames, summarizeChanges, summarizeTypes } from './prose.js';
import type { Severity } from './severity.js';

export interface FindingKind {
  readonly title: string;
  /** The usual severity; a finding may state another (its page says when). */
  readonly severity: Severity;
  /** Which stage of the relink it predicts. */
  readonly area: 'link' | 'module' | 'replacement' | 'interface' | 'primitive' | 'verify';
  /** The finding's message, from the facts the check recorded (Finding.data). */
  readonly message: (data: never) => string;
  /**
   * A fact that changes what every other finding means (the new kernel builds the module
   * in): the report opens with it, whatever its severity.
   */
  readonly decisive?: boolean;
  /** A check that could not run is not a judgement to accept: no waiver applies to it (src/run/waivers.ts). */
  readonly waivable?: false;
}

/**
 * What explains a changed modversions CRC, from the comparison of the export's type closure:
 * the root cause the imports of one finding share.
 */
type CrcExplanation =
  | { case: 'compiler-implicit' }
  | { case: 'not-compared' }
  /**
   * A changed type under them, the most direct one of each import: `felt` of the imports pass
   * it in their prototypes (a caller can feel the change), for the others it is deeper.
   */
  | { case: 'type'; type: TypeDelta; felt: number }
  | { case: 'unfelt' }
  /** Loaded as is, every changed CRC is one refusal whatever moved it: each import's own explanation is in its site. */
  | { case: 'various' };

function signatureConsequence(c: SignatureConsequence): string {
  switch (c) {
    case 'refused':
      return 'the loader refuses it (signatures are enforced)';
    case 'refused-under-secure-boot':
      return 'booted with Secure Boot (lockdown) the loader refuses it, otherwise it loads and taints the kernel; a key in the machine keyring (MOK) may still be accepted';
    case 'tainted':
      return 'it loads and taints the kernel (signatures are checked, not enforced)';
    case 'unknown':
      return 'without the new .config, whether the loader enforces signatures is not known';
  }
}

function splitBtfConsequence(c: SplitBtfConsequence): string {
  switch (c) {
    case 'refused':
      return 'the loader refuses the module (CONFIG_MODULE_ALLOW_BTF_MISMATCH is not set)';
    case 'loads-without-btf':
      return 'the module loads without its BTF (CONFIG_MODULE_ALLOW_BTF_MISMATCH=y): BPF programs and tools cannot see its types';
    case 'loads-with-wrong-types':
      return 'the loader accepts it, and BPF programs and tools see the wrong names';
    case 'unknown':
      return 'without the new .config, whether the loader refuses the module or drops its BTF is not known';
  }
}

/** The explanation, of `n` imports that share it. */
function explainCrc(e: CrcExplanation, n: number): string {
  const many = n > 1;
  switch (e.case) {
    case 'compiler-implicit':
      return many
        ? 'calls the compiler emits by itself, whose interface the compiler fixes; see the build-primitive checks'
        : 'a call the compiler emits by itself, whose interface the compiler fixes; see the build-primitive checks';
    case 'not-compared':
      return `${many ? 'their prototypes' : 'its prototype'} could not be compared (no declaration in the object, or none in the new kernel)`;
    case 'type': {
      const type = summarizeTypes([e.type]);
      if (e.felt === n) return `explained by changes a caller can feel: ${type}`;
      if (e.felt === 0) return `${many ? 'their prototypes and the types they pass are' : 'its prototype and the types it passes are'} unchanged; the closure changed deeper: ${type}`;
      return `explained by ${type}: a caller can feel it through ${e.felt} of them, for the other ${n - e.felt} it is deeper in the closure`;
    }
    case 'unfelt':
      return many
        ? 'no ABI-relevant change in their prototypes or type closures: the CRCs moved for something a caller cannot feel'
        : 'no ABI-relevant change in its prototype or type closure: the CRC moved for something a caller cannot feel';
    case 'various':
      return 'what moved each CRC is given with each of them';
  }
}

/**
 * Every finding relinkable can report. Ids are stable like lint rule names; each has a page
 * docs/findings/<id>.md (test/findings/docs.test.ts holds the two in step).
 */
export const FINDING_KINDS = {
  // Link, module loading, replacement and interface (src/checks/).
  'undefined-symbol': {
    title: 'Undefined symbol', severity: 'link', area: 'link',
    message: (d: { name: string; linkMode: LinkMode; staticDefinitions: number; onlyInReplaced: string | undefined }) =>
      `${d.name} is not ${provision(d.linkMode)}${
        d.staticDefinitions ? ' (it still exists, but only as a static symbol)' : d.onlyInReplaced ? ` (only ${d.onlyInReplaced}, which this object replaces, defined it)` : ''
      }`,
  },
  'unresolved-weak-reference': {
    title: 'Weak reference resolves to nothing', severity: 'runtime', area: 'link',
    message: (d: { name: string; linkMode: LinkMode }) => `weak reference to ${d.name} is not ${provision(d.linkMode)}: it links, and the address resolves to 0`,
  },
  'orphaned-reference': {
    title: 'The rest of the kernel needs a symbol only the replaced object defined', severity: 'link', area: 'replacement',
    message: (
      d:
        | { case: 'referenced'; name: string; replaced: string; referringUnits: readonly string[]; references: number }
        /** `names`: the replaced module's exports the frozen module lacks (the finding's sites). */
        | { case: 'exported'; names: readonly string[]; replaced: string },
    ) =>
      d.case === 'referenced'
        ? `${d.referringUnits.slice(0, 3).join(', ')}${d.references > 3 ? ', …' : ''} ${d.references === 1 ? 'uses' : 'use'} ${d.name}, which only ${d.replaced} defined and the frozen object does not`
        : d.names.length === 1
          ? `the new kernel's ${d.replaced} exports ${d.names[0]} and the frozen module does not: any module that imports it will fail to load`
          : `the new kernel's ${d.replaced} exports ${d.names.length} symbols the frozen module does not: any module that imports one will fail to load`,
  },
  'duplicate-definition': {
    title: 'Symbol defined twice', severity: 'link', area: 'link',
    /** `export`: the frozen module's exports (its sites) that `exportedBy` exports too. */
    message: (
      d:
        | { case: 'export'; names: readonly string[]; exportedBy: string }
        | { case: 'definition'; name: string; alsoDefinedBy: { in: 'vmlinux' } | { in: 'object'; path: string } },
    ) =>
      d.case === 'export'
        ? d.names.length === 1
          ? `the module exports ${d.names[0]}, which ${d.exportedBy} already exports: the loader refuses a duplicate export`
          : `the module exports ${d.names.length} symbols that ${d.exportedBy} already exports: the loader refuses a duplicate export`
        : `${d.name} is defined by the frozen object and by ${d.alsoDefinedBy.in === 'vmlinux' ? 'the new vmlinux' : d.alsoDefinedBy.path}: multiple definition`,
  },
  'symbol-type-changed': {
    title: 'Symbol changed between function and data', severity: 'runtime', area: 'link',
    message: (d: { name: string; was: 'function' | 'data'; now: 'function' | 'data' }) =>
      `${d.name} was ${d.was === 'function' ? 'a function' : 'data'} and is now ${d.now === 'function' ? 'a function' : 'data'}: it links, and the code uses it the wrong way`,
  },
  'not-exported': {
    title: 'Defined in the kernel but not exported', severity: 'link', area: 'module',
    message: (d: { name: string }) => `${d.name} is defined in the new vmlinux but not exported to modules`,
  },
  'export-gpl-only': {
    title: 'GPL-only export used by a module that is not GPL-compatible', severity: 'link', area: 'module',
    message: (d: { name: string; license: string | undefined }) =>
      `${d.name} is exported GPL-only and the module's license is ${d.license ? `"${d.license}"` : 'not declared'}`,
  },
  'export-namespace': {
    title: 'Export in a namespace the module does not import', severity: 'link', area: 'module',
    message: (d: { name: string; namespace: string }) => `${d.name} is exported in namespace ${d.namespace}, which the module does not import`,
  },
  'modversions-crc-changed': {
    title: "The kernel's own checksum changed", severity: 'info', area: 'module',
    /**
     * `imports`: the imports (the finding's sites) whose CRCs changed for the same reason.
     * `use`: as is, the loader compares the CRCs and refuses the module; relinked, modpost writes the new ones.
     */
    message: (d: { imports: readonly { name: string; crcBefore: number; crcAfter: number }[]; use: FrozenUse } & CrcExplanation) => {
      const n = d.imports.length;
      const one = d.imports[0]!;
      if (d.use === 'as-is') {
        return n === 1
          ? `the loader refuses the module: it disagrees about version of symbol ${one.name} (${crcHex(one.crcBefore)} in __versions, ${crcHex(one.crcAfter)} in the new kernel); ${explainCrc(d, 1)}`
          : `the loader refuses the module: it disagrees about version of ${n} symbols (their CRCs in __versions are not the new kernel's); ${explainCrc(d, n)}`;
      }
      return n === 1
        ? `the kernel's own checksum for ${one.name} changed (${crcHex(one.crcBefore)} → ${crcHex(one.crcAfter)}); relinked, modpost writes the new one: ${explainCrc(d, 1)}`
        : `the kernel's own checksums for ${n} imports changed; relinked, modpost writes the new ones: ${explainCrc(d, n)}`;
    },
  },
  'module-now-builtin': {
    title: 'The module is built into the new kernel', severity: 'runtime', area: 'replacement', decisive: true,
    message: (d: { case: 'modules.builtin'; entry: string } | { case: 'dwarf'; compileUnits: readonly string[] }) =>
      `the new kernel builds ${d.case === 'modules.builtin' ? d.entry : d.compileUnits.join(', ')} into vmlinux: the frozen module would load beside the built-in copy (registrations collide), it cannot replace it`,
  },
  'replacement-not-found': {
    title: 'Could not find what the object replaces', severity: 'review', area: 'replacement',
    message: (d: { reason: string }) =>
      `could not tell what it replaces in the new kernel: ${d.reason}; symbols the rest of the kernel needs from it were not checked`,
  },
  'prototype-changed': {
    title: 'Prototype changed at the machine level', severity: 'runtime', area: 'interface',
    message: (d: { name: string; direction: 'import' | 'definition'; differences: readonly CallDifference[] }) => {
      const what = d.differences.map((c) => `${c.what}: ${c.before} → ${c.after}`).join('; ');
      return d.direction === 'import'
        ? `the frozen object calls ${d.name} with the old prototype; at the machine level ${what}`
        : `the new kernel calls the frozen object's ${d.name} with another prototype; at the machine level ${what}`;
    },
  },
  'layout-changed': {
    title: 'Struct or union layout changed', severity: 'runtime', area: 'interface',
    message: (d: { name: string; changes: readonly Change[]; exposure: Exposure }) => `${d.name} changed: ${summarizeChanges(d.changes)} (${EXPOSURE_TEXT[d.exposure]})`,
  },
  'enum-changed': {
    title: 'Enumerator values changed', severity: 'runtime', area: 'interface',
    message: (d: { name: string; changes: readonly Change[] }) => `${d.name}: ${summarizeChanges(d.changes)}; the frozen object uses the old values as constants`,
  },
  'variable-type-changed': {
    title: 'Type of an imported variable changed', severity: 'runtime', area: 'interface',
    message: (d: { name: string; changes: readonly Change[] }) => `${d.name}: ${summarizeChanges(d.changes)}`,
  },

  // Build primitives (src/checks/primitives/).
  'section-orphaned': {
    title: 'The new linker script does not place a section',
    severity: 'warning',
    area: 'primitive',
    message: (d: { section: string; size: number }) =>
      `no rule of the new vmlinux linker script matches ${d.section} (${d.size} bytes): ld places it by its own heuristics and warns "orphan section" (an error with CONFIG_LD_ORPHAN_WARN_LEVEL=error)`,
  },
  'section-discarded': {
    title: 'The new linker script discards a section',
    severity: 'runtime',
    area: 'primitive',
    message: (d: { link: 'vmlinux' | 'module'; section: string; size: number; relocations: number }) =>
      `the new ${d.link} linker script discards ${d.section} (${d.size} bytes${d.relocations ? `, ${d.relocations} relocations` : ''}): what the frozen object put there is not in the relinked kernel`,
  },
  'section-renamed': {
    title: 'A section the new kernel collects under another name',
    severity: 'runtime',
    area: 'primitive',
    message: (d: { from: string; to: string; size: number }) => `the frozen object puts ${d.size} bytes in ${d.from}; the new kernel collects that data as ${d.to}, so it falls outside what walks ${d.to}`,
  },
  'stack-protector-changed': {
    title: 'Stack canary read another way than the new kernel keeps it',
    severity: 'runtime',
    area: 'primitive',
    message: (
      d:
        | { case: 'frozen-unprotected' }
        | { case: 'kernel-unprotected'; failSymbol: string }
        | { case: 'guard-undefined'; guard: string; kernelCanary: string }
        | { case: 'undetermined'; side: 'frozen' | 'kernel'; frozenCanary: string; kernelCanary: string }
        | { case: 'fixed-slot-gone'; kernelGuard: string | undefined }
        | { case: 'task-offset'; flag: string; offset: number; struct: string; member: string; expected: number },
    ) => {
      switch (d.case) {
        case 'frozen-unprotected':
          return 'the frozen object has no stack protector while the new kernel builds with one: its functions run unprotected';
        case 'kernel-unprotected':
          return `the new kernel is built without a stack protector; the frozen object still checks a canary and calls ${d.failSymbol}`;
        case 'guard-undefined':
          return `the frozen object reads the canary through ${d.guard}, which the new kernel does not define (${d.kernelCanary})`;
        case 'undetermined':
          return `where the canary is read could not be told on ${d.side === 'frozen' ? 'the frozen side' : "the new kernel's side"} (${d.frozenCanary}; ${d.kernelCanary}): a human must compare them`;
        case 'fixed-slot-gone':
          return `the frozen object reads the canary at the fixed %gs:0x28, but the new kernel keeps it in ${d.kernelGuard ?? 'another place'} (no fixed_percpu_data): the check compares against whatever lies at gs_base+40`;
        case 'task-offset':
          return `the frozen code reads the canary at offset ${d.offset} of the task (${d.flag}), but struct ${d.struct}.${d.member} is at offset ${d.expected} in the new kernel`;
      }
    },
  },
  'mitigation-missing': {
    title: 'Code that bypasses a mitigation the new kernel applies',
    severity: 'runtime',
    area: 'primitive',
    message: (d: { mitigation: string; option: string; flags: readonly string[]; symbols: readonly string[]; sections: readonly string[] }) => {
      const looked = [
        d.flags.length ? `flags ${d.flags.join(', ')}` : undefined,
        d.symbols.length ? `references to ${d.symbols.map((s) => `${s}*`).join(', ')}` : undefined,
        d.sections.length ? `sections ${d.sections.join(', ')}` : undefined,
      ].filter(Boolean);
      return `the new kernel applies ${d.mitigation} (CONFIG_${d.option}) but the frozen object shows no sign of it (${looked.join('; ')}): its code runs without the mitigation`;
    },
  },
  'landing-pad-missing': {
    title: 'Indirect-branch target without a landing pad',
    severity: 'runtime',
    area: 'primitive',
    /**
     * `holders`: where the addresses are kept (the finding's sites), each with its slots;
     * `reachedThrough` undefined when the object's code passes them on. `functions`: how many
     * distinct functions, over all holders.
     */
    message: (d: { holders: readonly { reachedThrough: string | undefined; slots: readonly string[] }[]; functions: number; pad: string; option: string }) => {
      const enforced = `the new kernel enforces ${d.option}, so the first indirect call into each faults`;
      if (d.holders.length > 1) {
        const places = d.holders.map((h) => h.reachedThrough ?? 'its code');
        return `${d.functions} functions whose addresses ${d.holders.length} places keep (${someNames(places, 4)}) have no ${d.pad} at the entry: ${enforced}`;
      }
      const h = d.holders[0]!;
      const n = h.slots.length;
      return `${n} function${n > 1 ? 's' : ''} ${h.reachedThrough === undefined ? 'whose addresses the code passes on or stores' : `reached through ${h.reachedThrough}`} ${n > 1 ? 'have' : 'has'} no ${d.pad} at the entry (${someNames(h.slots, 8)}): ${enforced}`;
    },
  },
  'function-padding-missing': {
    title: 'Functions without the padding the new kernel patches',
    severity: 'runtime',
    area: 'primitive',
    message: (d: { functions: readonly string[]; callable: number; bytes: number; option: string }) =>
      `${d.functions.length} of ${d.callable} functions the kernel can call have fewer than ${d.bytes} bytes of NOP padding before their entry (${someNames(d.functions)}): the new kernel patches call thunks into that padding (CONFIG_${d.option})`,
  },
  'kcfi-mismatch': {
    title: 'kCFI preamble missing or with another type hash',
    severity: 'runtime',
    area: 'primitive',
    message: (d: { case: 'no-preamble'; option: string; preamble: string; functions: readonly string[] } | { case: 'hash'; function: string; frozenHash: string; referenceHash: string }) =>
      d.case === 'no-preamble'
        ? `the new kernel checks kCFI type hashes on indirect calls (CONFIG_${d.option}); ${d.functions.length} frozen functions reached indirectly have no ${d.preamble} preamble (${someNames(d.functions)}): the first indirect call into them is a CFI failure`
        : `${d.function}'s kCFI type hash is ${d.frozenHash} in the frozen object but ${d.referenceHash} in the reference object built by the new kernel: indirect calls from the new kernel fail the check`,
  },
  'ftrace-entry-changed': {
    title: 'Function entry hook differs from the new kernel ftrace',
    severity: 'runtime',
    area: 'primitive',
    message: (
      d:
        | { case: 'foreign-hook'; hook: string; functions: readonly string[]; kernelHook: string | undefined; hooks: readonly string[] }
        | { case: 'unrecorded'; hook: string; functions: number; records: readonly string[] }
        | { case: 'call-ops'; padding: number; option: string; functions: readonly string[] },
    ) => {
      switch (d.case) {
        case 'foreign-hook':
          return `${d.functions.length} frozen functions call ${d.hook} at their entry (${someNames(d.functions)}), but the new kernel's ftrace hook is ${d.kernelHook ?? 'none of ' + d.hooks.join('/')} and it does not define ${d.hook}`;
        case 'unrecorded':
          return `${d.functions} frozen functions call ${d.hook} but the object records none of those sites (${d.records.join(', ')}): dynamic ftrace cannot patch them, so they cannot be traced or live-patched`;
        case 'call-ops':
          return `the new kernel's ftrace reads a call-ops pointer from the ${d.padding} bytes before each function (CONFIG_${d.option}); ${d.functions.length} frozen functions have less padding (${someNames(d.functions)})`;
      }
    },
  },
  'special-section-format': {
    title: 'Special-section entries in another format',
    severity: 'runtime',
    area: 'primitive',
    message: (
      d:
        | { case: 'no-btf'; section: string; size: number; struct: string }
        | { case: 'not-multiple'; section: string; size: number; struct: string; structSize: number }
        | { case: 'layout'; section: string; perEntry: number; struct: string; oldMember: string | undefined; member: string; relocationsPerEntry: number }
        | { case: 'unreadable'; section: string; size: number; relocations: number; relocationsPerEntry: number }
        | { case: 'stride'; section: string; entrySize: number; struct: string; structSize: number },
    ) => {
      switch (d.case) {
        case 'no-btf':
          return `the new kernel has no BTF to read struct ${d.struct} from: the format of ${d.section} (${d.size} bytes) could not be checked`;
        case 'not-multiple':
          return `${d.section} is ${d.size} bytes, not a multiple of the new kernel's ${d.structSize}-byte struct ${d.struct}`;
        case 'layout':
          return `${d.section} entries carry ${ratio(d.perEntry)} relocations each${d.oldMember !== undefined ? ` (the layout with ${d.struct}.${d.oldMember})` : ''}, but the new kernel's struct ${d.struct} has ${d.member} (${d.relocationsPerEntry} per entry): it decodes every entry wrongly`;
        case 'unreadable':
          return `${d.section}: ${d.size} bytes with ${d.relocations} relocations does not divide into entries of ${d.relocationsPerEntry} relocations: the entry format could not be read`;
        case 'stride':
          return `${d.section} entries are ${d.entrySize} bytes in the frozen object, but struct ${d.struct} is ${d.structSize} bytes in the new kernel: the kernel walks them with the wrong stride`;
      }
    },
  },
  'special-section-unread': {
    title: 'A special section the new kernel no longer reads',
    severity: 'runtime',
    area: 'primitive',
    message: (d: { section: string; size: number; struct: string }) =>
      `the frozen object has ${d.section} (${d.size} bytes), but the new kernel has neither struct ${d.struct} nor a ${d.section} section: nothing applies these entries`,
  },
  'cpu-feature-renumbered': {
    title: 'Alternative gated on a feature number that now means another feature',
    severity: 'runtime',
    area: 'primitive',
    /** Feature names as the headers define them (X86_FEATURE_*): `was` in the kernel the object was built in, `now` in the new one. */
    message: (
      d:
        | { case: 'header-missing'; header: string; features: number }
        | { case: 'unconfirmed'; features: readonly { number: number; names: readonly string[] }[] }
        | { case: 'renumbered'; feature: number; flags: readonly string[]; count: number; example: string; was: readonly string[]; now: readonly string[]; moved: readonly { name: string; number: number }[] },
    ) => {
      switch (d.case) {
        case 'header-missing':
          return `the new kernel's ${d.header} was not found (give the build directory or the linux-headers packages): the ${d.features} feature numbers the frozen alternatives are gated on could not be decoded`;
        case 'unconfirmed':
          return `the frozen alternatives are gated on ${d.features.length} feature numbers, which the new kernel names ${someNames(d.features.map((f) => `${f.number} ${featureLabel(f.number, f.names)}`), 32)}; without the ${d.features.some((f) => f.names.some((n) => n.startsWith('ARM64_'))) ? 'cpucaps header' : 'cpufeatures.h'} of the kernel the object was built in (--built-with) it cannot be confirmed that they meant the same`;
        case 'renumbered':
          return (
            // arm64 cpucaps are plain numbers; x86 features are word*32+bit.
            `${d.count} alternative${d.count > 1 ? 's' : ''} (first at ${d.example}) ${d.count > 1 ? 'are' : 'is'} gated on ${d.was.some((n) => n.startsWith('ARM64_')) ? `cpucap ${d.feature}${d.flags.length ? ` (${d.flags.join('|')})` : ''}` : `feature ${d.feature} (${wordBit(d.feature)}${d.flags.length ? `, ${d.flags.join('|')}` : ''})`}: ${featureLabel(d.feature, d.was)} when compiled, ` +
            (d.now.length ? `${featureLabel(d.feature, d.now)} in the new kernel` : 'no feature in the new kernel') +
            (d.moved.length ? ` (${d.moved.map((m) => `${shortFeatureName(m.name)} is now ${m.number}${m.name.startsWith('ARM64_') ? '' : ` = ${wordBit(m.number)}`}`).join(', ')})` : '')
          );
      }
    },
  },
  'extable-type-unknown': {
    title: 'Exception-table entry type the new kernel does not define',
    severity: 'runtime',
    area: 'primitive',
    /** `names`: what the type was called in the kernel the object was built in, when known. */
    message: (d: { case: 'header-missing'; types: number } | { case: 'undefined'; type: number; names: readonly string[]; count: number; example: string }) =>
      d.case === 'header-missing'
        ? `the new kernel's extable_fixup_types.h was not found: the ${d.types} fixup types of the frozen __ex_table could not be checked`
        : `${d.count} exception-table entr${d.count > 1 ? 'ies' : 'y'} (first at ${d.example}) use ${extableTypeLabel(d.type, d.names)}, which the new kernel does not define: a fault there reaches the "unknown type" path of fixup_exception()`,
  },
  'orc-format-changed': {
    title: 'ORC unwind data in another format',
    severity: 'runtime',
    area: 'primitive',
    /** `frozenHeader`: the frozen object's .orc_header hash; undefined when it has none (built before v6.4). */
    message: (d: { entries: number; frozenHeader: string | undefined; kernelHeader: string }) =>
      d.frozenHeader
        ? `the frozen object's .orc_header (${d.frozenHeader}) differs from vmlinux's (${d.kernelHeader}): its ${d.entries} ORC entries use another format`
        : `the frozen object has ${d.entries} ORC entries but no .orc_header (built before v6.4), and the new kernel's ORC format carries hash ${d.kernelHeader}: the entries are decoded by a layout they were not written in`,
  },
  'percpu-symbol-changed': {
    title: 'Per-CPU variable renamed or folded',
    severity: 'link',
    area: 'primitive',
    /** `relocations`: how often each relocation type references the variable; `movedTo`: where the new kernel keeps it. */
    message: (d: { variable: string; relocations: Readonly<Record<string, number>>; movedTo: readonly string[]; note: string | undefined }) => {
      const how = Object.entries(d.relocations)
        .map(([t, n]) => `${n}× ${t}`)
        .join(', ');
      return `the frozen code reads the per-CPU variable ${d.variable} (${how || 'no relocations'}), which the new kernel no longer defines${d.movedTo.length ? `: it lives in ${d.movedTo.join(' / ')} now` : ''}${d.note ? ` (${d.note})` : ''}`;
    },
  },
  'compiler-flag-changed': {
    title: 'ABI-relevant compiler flag differs',
    severity: 'runtime',
    area: 'primitive',
    /** The effective setting on each side, as the finding's before and after show it. */
    message: (d: { family: string; frozenSetting: string; kernelSetting: string }) =>
      `${d.family} differs: the frozen object was compiled with ${d.frozenSetting}, the new kernel compiles it with ${d.kernelSetting}`,
  },
  'compiler-changed': {
    title: 'Compiler differs from the new kernel',
    severity: 'review',
    area: 'primitive',
    message: (d: { case: 'unrecorded' } | { case: 'differs'; frozen: CompilerIdentity; kernel: CompilerIdentity }) =>
      d.case === 'unrecorded'
        ? 'the frozen object records neither its compiler nor its flags (no DW_AT_producer, no .comment): the compiler-flag checks could not run'
        : `compiled by ${d.frozen.family} ${d.frozen.version ?? '(unknown version)'}; the new kernel is built by ${d.kernel.family} ${d.kernel.version ?? '(unknown version)'}`,
  },
  'instrumentation-mismatch': {
    title: 'Sanitizer or coverage hooks differ from the new kernel',
    severity: 'link',
    area: 'primitive',
    message: (d: { case: 'hooks-missing'; tool: string; option: string; missing: readonly string[] } | { case: 'blind-spot'; tool: string; option: string; prefixes: readonly string[] }) =>
      d.case === 'hooks-missing'
        ? `the frozen object is instrumented for ${d.tool} and calls ${someNames(d.missing)}, but the new kernel is built without ${d.tool} (CONFIG_${d.option}) and does not provide ${d.missing.length > 1 ? 'them' : 'it'}`
        : `the new kernel is built with ${d.tool} (CONFIG_${d.option}) but the frozen object calls none of its hooks (${d.prefixes.map((p) => `${p}*`).join(', ')}): ${d.tool} does not see what it does`,
  },
  'btf-id-unresolved': {
    title: 'BTF id of the object does not resolve in the new kernel',
    severity: 'runtime',
    area: 'primitive',
    /**
     * One finding per case, the ids its sites. `renumbered`: `meansNow` is the name the frozen
     * id has in the new kernel's BTF ('' anonymous), undefined when it has no such id.
     */
    message: (
      d:
        | { case: 'no-btf'; ids: number }
        | { case: 'other-kind'; ids: readonly { kind: string; name: string; others: readonly number[] }[] }
        | { case: 'missing'; ids: readonly { kind: string; name: string }[] }
        | { case: 'renumbered'; ids: readonly { kind: string; name: string; frozenId: number; kernelIds: readonly number[]; meansNow: string | undefined }[] },
    ) => {
      if (d.case === 'no-btf') return `the new kernel has no BTF: the ${d.ids} BTF ids of the frozen object could not be resolved`;
      const names = d.ids.map((i) => `${i.kind} ${i.name}`);
      if (d.ids.length > 1) {
        switch (d.case) {
          case 'other-kind':
            return `${d.ids.length} BTF ids name what the new kernel's BTF has only as another kind (${someNames(names, 4)}): resolve_btfids leaves them 0`;
          case 'missing':
            return `${d.ids.length} BTF ids name what the new kernel's BTF does not have (${someNames(names, 4)}): resolve_btfids leaves them 0 and whatever uses them fails`;
          case 'renumbered':
            return `${d.ids.length} BTF ids of the frozen module have other numbers in the new kernel (${someNames(names, 4)}): the module loaded as it is refers to other types (relinking runs resolve_btfids again)`;
        }
      }
      switch (d.case) {
        case 'other-kind': {
          const i = d.ids[0]!;
          return `BTF id ${i.kind} ${i.name}: the new kernel's BTF has ${i.name} only as another kind (${i.others.map((o) => `[${o}]`).join(', ')}), so resolve_btfids leaves the id 0`;
        }
        case 'missing': {
          const i = d.ids[0]!;
          return `BTF id ${i.kind} ${i.name}: the new kernel's BTF has no ${i.kind} named ${i.name}, so resolve_btfids leaves the id 0 and whatever uses it fails`;
        }
        case 'renumbered': {
          const i = d.ids[0]!;
          return `BTF id ${i.kind} ${i.name} is ${i.frozenId} in the frozen module but [${i.kernelIds.join(', ')}] in the new kernel: the module loaded as it is refers to ${i.meansNow !== undefined ? `${i.meansNow || '(anonymous)'} instead` : 'a type id the kernel does not have'} (relinking runs resolve_btfids again)`;
        }
      }
    },
  },
  'btf-type-duplicated': {
    title: 'A type the relinked vmlinux BTF will hold twice, named by BTF_ID',
    severity: 'warning',
    area: 'primitive',
    /**
     * `type`: "struct file"; `name`: the bare name resolve_btfids prints; `ids`: how many BTF
     * ids vmlinux BTF gives it now; `entries`: the BTF_ID symbols naming it and `sets` the
     * sets and lists they are in; `difference`: the first place the frozen DWARF and the new
     * BTF differ; `duplicated`: every type the relink duplicates, this one included, and
     * `others` a few of them; `certain`: false when resolve_btfids may stop looking before it
     * meets the second id (no BTF_ID name of that kind repeats).
     */
    message: (d: {
      type: string;
      name: string;
      ids: number;
      entries: number;
      sets: readonly string[];
      difference: DedupDifference;
      duplicated: number;
      others: readonly string[];
      certain: boolean;
    }) => {
      const diff = d.difference;
      const where = diff.via ? `through ${diff.via}, ${diff.within}: ` : diff.within === d.type ? '' : `${diff.within}: `;
      const sets = d.sets.length ? ` (in ${someNames(d.sets, 4)})` : '';
      const more = d.duplicated - 1;
      const also = more > 0 ? `; ${more} other ${more === 1 ? 'type is' : 'types are'} duplicated too (${d.others.join(', ')}${d.others.length < more ? ', …' : ''})` : '';
      return (
        `the frozen object's DWARF describes ${d.type} differently from the new kernel (${where}${describeChange(diff.change)}), so BTF deduplication keeps both and the relinked vmlinux BTF has ${d.ids + 1} ${d.type}: ` +
        `resolve_btfids ${d.certain ? 'warns' : 'may warn'} "multiple IDs found for '${d.name}'" and gives the ${d.entries === 1 ? 'BTF_ID entry' : `${d.entries} BTF_ID entries`} naming it${sets} the lower id, which may be the frozen object's layout${also}`
      );
    },
  },
  'btf-set-flags-missing': {
    title: 'kfunc set without the flags the new kernel requires',
    severity: 'runtime',
    area: 'primitive',
    /** `registration`: the functions the frozen object calls to register the set. */
    message: (d: { set: string; count: number; since: string; registration: readonly string[] }) =>
      `kfunc set ${d.set} (${d.count} entries) lacks BTF_SET8_KFUNCS, which kernels from ${d.since} require: ${d.registration.join('/')} returns -EINVAL and the kfuncs are not registered`,
  },
  'split-btf-mismatch': {
    title: 'Module BTF built on another base',
    severity: 'runtime',
    area: 'primitive',
    /** `consequence`: what the loader does, as CONFIG_MODULE_ALLOW_BTF_MISMATCH decides; `unknown` without a .config. */
    message: (
      d: { consequence: SplitBtfConsequence } & (
        | { case: 'distilled-base'; unmatched: readonly { kind: string; name: string; status: string }[]; examples: number }
        | { case: 'unreadable'; problem: string }
        | { case: 'other-base'; counts: Readonly<Record<string, number>>; builtAgainstStrings: number | undefined; baseStrings: number }
      ),
    ) => {
      const then = splitBtfConsequence(d.consequence);
      switch (d.case) {
        case 'distilled-base':
          return `${d.unmatched.length} types of the module's distilled base do not relocate onto the new vmlinux BTF (${someNames(
            d.unmatched.map((m) => `${m.kind.toLowerCase()} ${m.name}: ${m.status}`),
            d.examples,
          )}): the loader rejects the module's BTF; ${then}`;
        case 'unreadable':
          return `the module's .BTF cannot be read at all: ${d.problem}; ${then}`;
        case 'other-base': {
          const counts = Object.entries(d.counts)
            .map(([k, n]) => `${n} ${k}`)
            .join(', ');
          return `the module's split BTF was built on another vmlinux (${counts}): read on the new kernel's BTF its type ids and names point at other types${d.builtAgainstStrings !== undefined ? ` (built against ${d.builtAgainstStrings} bytes of base strings; the new base has ${d.baseStrings})` : ''}; ${then}`;
        }
      }
    },
  },
  'noreturn-changed': {
    title: 'Called function changed its noreturn status',
    severity: 'warning',
    area: 'primitive',
    /** `now`: what the function is for the new kernel; the frozen object was compiled expecting the other. */
    message: (d: { function: string; now: 'noreturn' | 'returns' }) =>
      d.now === 'noreturn'
        ? `${d.function} is noreturn for the new kernel's objtool but the frozen object was compiled to return from it: objtool reports the code after each call as an unreachable instruction`
        : `the frozen object was compiled with ${d.function} as noreturn (nothing after the call), but it returns in the new kernel: execution falls through past the call`,
  },
  'definition-unreferenced': {
    title: 'Nothing in the new kernel references a function the object defines',
    severity: 'review',
    area: 'primitive',
    /** `unreferenced` of the `candidates` global functions the frozen object defines (not exported, not used by the other frozen objects). */
    message: (d: { unreferenced: readonly string[]; candidates: number }) =>
      `nothing in the new kernel references ${someNames(d.unreferenced)} (${d.unreferenced.length} of the ${d.candidates} global functions the frozen object defines): in the relinked kernel ${d.unreferenced.length > 1 ? 'they are' : 'it is'} dead code`,
  },
  'vermagic-mismatch': {
    title: 'Module version magic the new kernel refuses',
    severity: 'link',
    area: 'primitive',
    /** `options`: the module carries CRCs, so the loader compares what follows the release; `whole`: all of it. */
    message: (d: { case: 'options' | 'whole'; frozen: string; kernel: string }) =>
      d.case === 'options'
        ? `vermagic options differ ("${vermagicOptions(d.frozen).trim()}" against "${vermagicOptions(d.kernel).trim()}"): the loader refuses the module (the release may differ when CRCs are present, the options may not)`
        : `vermagic differs ("${d.frozen.trim()}" against "${d.kernel.trim()}") and the module has no CRCs, so the loader compares all of it and refuses the module`,
  },
  'module-struct-size': {
    title: 'struct module size differs',
    severity: 'link',
    area: 'primitive',
    message: (d: { frozen: number; kernel: number }) =>
      `.gnu.linkonce.this_module is ${d.frozen} bytes, but struct module is ${d.kernel} bytes in the new kernel: the loader refuses the module ("section size must match the kernel's built struct module size")`,
  },
  'modversions-missing': {
    title: 'No symbol versions the new loader reads',
    severity: 'link',
    area: 'primitive',
    /** `none`: the module has no CRC tables; `extended-only`: only __version_ext_*, which kernels before v6.14 do not read. */
    message: (d: { case: 'none' | 'extended-only'; release: string | undefined }) =>
      `${d.case === 'none' ? 'the module carries no symbol versions' : `the module carries only the extended symbol versions (__version_ext_crcs), which ${d.release ?? 'the new kernel'} does not read`}, and the new kernel checks them (CONFIG_MODVERSIONS): the loader refuses it ("no versions for imported symbols") unless forced, which taints the kernel`,
  },
  'module-signature-rejected': {
    title: 'Module signature the new kernel does not accept',
    severity: 'link',
    area: 'primitive',
    /** `consequence`: what the loader then does, as the new .config decides (CONFIG_MODULE_SIG_FORCE, lockdown). */
    message: (
      d: { consequence: SignatureConsequence } & (
        | { case: 'unsigned' }
        | { case: 'unreadable'; problem: string }
        | { case: 'unknown-signer'; signers: readonly string[]; keys: number }
        | { case: 'bad-signature'; signer: string }
      ),
    ) => {
      const what =
        d.case === 'unsigned'
          ? 'the module carries no signature'
          : d.case === 'unreadable'
            ? `the module's signature cannot be read (${d.problem})`
            : d.case === 'bad-signature'
              ? `the module's signature does not verify with the built-in key of its signer (${d.signer}): the bytes were changed after signing`
              : `the module was signed by ${d.signers.join(', ') || 'no signer'}, which is none of the ${d.keys} keys the new vmlinux carries built in`;
      return `${what}; ${signatureConsequence(d.consequence)}`;
    },
  },
  'primitive-check-incomplete': {
    title: 'A build-primitive check could not run',
    severity: 'review',
    area: 'primitive',
    waivable: false,
    /** `reason`: why the last of the `skipped` catalogue entries could not run. */
    message: (d: { skipped: readonly string[]; reason: string }) => `${d.skipped.length} build-primitive checks could not run: ${d.reason}`,
  },
  'export-format-changed': {
    title: 'Exports in the other kernel era format',
    severity: 'warning',
    area: 'primitive',
    /** `old-style`: ___ksymtab sections a kernel from `since` does not read; `new-style`: markers in `newSection` an older kernel does not read. */
    message: (
      d:
        | { case: 'old-style'; exports: readonly string[]; since: string; oldSections: number; release: string; newSection: string }
        | { case: 'new-style'; exports: readonly string[]; since: string; release: string; newSection: string },
    ) =>
      d.case === 'old-style'
        ? `the frozen object exports ${someNames(d.exports)} the pre-${d.since} way (${d.oldSections} ___ksymtab sections); the new kernel (${d.release}) builds its export table with modpost from ${d.newSection}, so modpost does not know these exports: no Module.symvers entry, no CRC, and modules importing them fail modpost`
        : `the frozen object marks its exports in ${d.newSection} (${d.since}+), which the new kernel (${d.release}) does not read: ${someNames(d.exports)} ${d.exports.length > 1 ? 'are' : 'is'} not exported`,
  },
  'certified-bytes-changed': {
    title: 'Linked bytes that are not the certified bytes',
    severity: 'runtime',
    area: 'verify',
    /**
     * One run of differing bytes in the linked file: `cause` says whether it lies outside any
     * relocated field, in a field holding another value than the relocation computes, in a
     * field reaching another piece of a merged section, or is a module's relocation entry.
     */
    message: (d: {
      section: string;
      offset: number;
      length: number;
      within: string | null;
      linkedSection: string;
      address: string;
      cause: 'bytes' | 'relocated-field' | 'merged-piece' | 'relocation-entry';
      relocation: string | null;
      buildStep: string | null;
    }) => {
      const where = `${d.section}+0x${d.offset.toString(16)}${d.within ? ` (${d.within})` : ''}`;
      const at = `${d.linkedSection} ${d.address}`;
      if (d.buildStep) return `${d.length === 1 ? '1 byte' : `${d.length} bytes`} at ${where} rewritten after the link (${at}): ${d.buildStep}`;
      switch (d.cause) {
        case 'bytes':
          return `${d.length === 1 ? '1 byte' : `${d.length} bytes`} at ${where} ${d.length === 1 ? 'differs' : 'differ'} in the linked file (${at}), outside any relocated field: the certified bytes were changed`;
        case 'relocated-field':
          return `the relocated field at ${where} (${d.relocation}) holds another value in the linked file (${at}) than the relocation computes with the linked addresses`;
        case 'merged-piece':
          return `the field at ${where} (${d.relocation}) points at a piece of the merged section that is not the certified one (${at})`;
        case 'relocation-entry':
          return `the relocation at ${where} is not the certified one in the linked module (${at})`;
      }
    },
  },
  'section-unplaced': {
    title: 'A section of the frozen object not found in the linked file',
    severity: 'review',
    area: 'verify',
    /** `reason`: why no single place was found (no evidence, or evidence for several). */
    message: (d: { section: string; size: number; reason: string }) =>
      `${d.section} (${d.size} bytes) could not be placed in the linked file: ${d.reason}; its bytes were not compared`,
  },
  'relocation-unverified': {
    title: 'Relocated fields whose value could not be computed',
    severity: 'review',
    area: 'verify',
    /** The fields are the finding's sites; `reason` is what they share. */
    message: (d: { section: string; fields: number; reason: string }) =>
      `${d.fields} relocated field${d.fields === 1 ? '' : 's'} of ${d.section} could not be computed (${d.reason}): ${d.fields === 1 ? 'its bytes were' : 'their bytes were'} not judged`,
  },
  'integrity-mismatch': {
    title: 'A vendor integrity value the files do not give',
    severity: 'runtime',
    area: 'verify',
    /** `what`: which stored value was recomputed, and from what. */
    message: (d: { scheme: string; what: string }) => `${d.scheme}: ${d.what}: the stored value is not the one the files give; the kernel's check at boot fails (and panics in FIPS mode)`,
  },
  'integrity-relocation-refused': {
    title: 'Relocations the in-kernel integrity check refuses',
    severity: 'runtime',
    area: 'verify',
    /** The relocations are the finding's sites. */
    message: (d: { scheme: string; count: number; types: readonly string[] }) =>
      `${d.scheme}: ${d.count} relocation${d.count === 1 ? '' : 's'} in the hashed ranges of a type the module's reverter does not handle (${d.types.join(', ')}): it BUG()s at load before hashing`,
  },
  'placeholder-unfilled': {
    title: 'Kernel placeholders the FIPS module does not fill',
    severity: 'runtime',
    area: 'verify',
    /** `names`: the kernel's placeholders no key-table entry names (the sites). */
    message: (d: { names: readonly string[] }) =>
      `the kernel has ${d.names.length} placeholder${d.names.length === 1 ? '' : 's'} (${someNames(d.names)}) that no __crypto_fn_keys/__crypto_var_keys entry of the module fills: ${d.names.length === 1 ? 'it stays' : 'they stay'} NULL, and the first call or access through ${d.names.length === 1 ? 'it' : 'one'} faults`,
  },
  'placeholder-missing': {
    title: 'Key-table entries of the FIPS module for placeholders the kernel lacks',
    severity: 'link',
    area: 'verify',
    /** `names`: the placeholders the module's key tables name and the kernel does not define (the sites). */
    message: (d: { names: readonly string[] }) =>
      `the module's key tables name ${d.names.length} placeholder${d.names.length === 1 ? '' : 's'} (${someNames(d.names)}) the kernel does not define: the loader cannot resolve ${d.names.length === 1 ? 'it' : 'them'} and refuses the module`,
  },
} as const satisfies Record<string, FindingKind>;

export type FindingId = keyof typeof FINDING_KINDS;

/** The facts a finding of kind K carries: what its message template reads. */
export type FindingData<K extends FindingId> = Parameters<(typeof FINDING_KINDS)[K]['message']>[0];

/** The message of a finding, rendered from its data by the template of its id. */
export function renderMessage(id: FindingId, data: unknown): string {
  return (FINDING_KINDS[id].message as (d: unknown) => string)(data);
}

export const FINDING_IDS = Object.keys(FINDING_KINDS).sort() as FindingId[];

/** Whether findings of this id open the report (FindingKind.decisive). */
export function isDecisive(id: FindingId): boolean {
  return (FINDING_KINDS[id] as FindingKind).decisive === true;
}

/** Whether a waiver may accept findings of this id (FindingKind.waivable). */
export function isWaivable(id: FindingId): boolean {
  return (FINDING_KINDS[id] as FindingKind).waivable !== false;
}

export function docPage(id: FindingId): string {
  return `docs/findings/${id}.md`;
}
