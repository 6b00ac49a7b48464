import type { Change, TypeDelta } from '../graph/changes.js';
import { EXPOSURE_TEXT, crcHex, provision, summarizeChanges, summarizeTypes, type Exposure } from './prose.js';
import type { Severity } from './severity.js';

export interface FindingKind {
  readonly title: string;
  /** The usual severity; a finding may state another (its page says when). */
  readonly severity: Severity;
  /** Which stage of the relink it predicts. */
  readonly area: 'link' | 'module' | 'replacement' | 'interface' | 'primitive';
  /** The finding's message, from the facts the check recorded (Finding.data). */
  readonly message: (data: never) => string;
}

/** Transitional: a finding whose check still writes its message itself (Finding.message). */
const pending = (d: { text: string }): string => d.text;

/** Which link the frozen objects join: into vmlinux, or loaded as a module. */
type LinkMode = 'module' | 'built-in';

/** One machine-level difference between how callers pass the old and the new prototype's arguments (model/abi.ts). */
interface CallDifference {
  /** "argument 2", "the result", "argument count". */
  readonly what: string;
  readonly before: string;
  readonly after: string;
}

/** What explains a changed modversions CRC, from the comparison of the export's type closure. */
type CrcExplanation =
  | { case: 'compiler-implicit' }
  | { case: 'not-compared' }
  /** Changes a caller can feel (the prototype or a type it passes), or only deeper ones. */
  | { case: 'felt' | 'deeper'; types: readonly TypeDelta[] }
  | { case: 'unfelt' };

function explainCrc(e: CrcExplanation): string {
  switch (e.case) {
    case 'compiler-implicit':
      return 'a call the compiler emits by itself, whose interface the compiler fixes; see the build-primitive checks';
    case 'not-compared':
      return 'its prototype could not be compared (no declaration in the object, or none in the new kernel)';
    case 'felt':
      return `explained by changes a caller can feel: ${summarizeTypes(e.types)}`;
    case 'deeper':
      return `its prototype and the types it passes are unchanged; the closure changed deeper: ${summarizeTypes(e.types)}`;
    case 'unfelt':
      return 'no ABI-relevant change in its prototype or type closure: the CRC moved for something a caller cannot feel';
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
        | { case: 'exported'; name: string; replaced: string },
    ) =>
      d.case === 'referenced'
        ? `${d.referringUnits.slice(0, 3).join(', ')}${d.references > 3 ? ', …' : ''} ${d.references === 1 ? 'uses' : 'use'} ${d.name}, which only ${d.replaced} defined and the frozen object does not`
        : `the new kernel's ${d.replaced} exports ${d.name} and the frozen module does not: any module that imports it will fail to load`,
  },
  'duplicate-definition': {
    title: 'Symbol defined twice', severity: 'link', area: 'link',
    message: (
      d:
        | { case: 'export'; name: string; exportedBy: string }
        | { case: 'definition'; name: string; alsoDefinedBy: { in: 'vmlinux' } | { in: 'object'; path: string } },
    ) =>
      d.case === 'export'
        ? `the module exports ${d.name}, which ${d.exportedBy} already exports: the loader refuses a duplicate export`
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
    message: (d: { name: string; crcBefore: number; crcAfter: number } & CrcExplanation) =>
      `the kernel's own checksum for ${d.name} changed (${crcHex(d.crcBefore)} → ${crcHex(d.crcAfter)}): ${explainCrc(d)}`,
  },
  'module-now-builtin': {
    title: 'The module is built into the new kernel', severity: 'runtime', area: 'replacement',
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
  'section-orphaned': { title: 'The new linker script does not place a section', severity: 'warning', area: 'primitive', message: pending },
  'section-discarded': { title: 'The new linker script discards a section', severity: 'runtime', area: 'primitive', message: pending },
  'section-renamed': { title: 'A section the new kernel collects under another name', severity: 'runtime', area: 'primitive', message: pending },
  'stack-protector-changed': { title: 'Stack canary read another way than the new kernel keeps it', severity: 'runtime', area: 'primitive', message: pending },
  'mitigation-missing': { title: 'Code that bypasses a mitigation the new kernel applies', severity: 'runtime', area: 'primitive', message: pending },
  'landing-pad-missing': { title: 'Indirect-branch target without a landing pad', severity: 'runtime', area: 'primitive', message: pending },
  'function-padding-missing': { title: 'Functions without the padding the new kernel patches', severity: 'runtime', area: 'primitive', message: pending },
  'kcfi-mismatch': { title: 'kCFI preamble missing or with another type hash', severity: 'runtime', area: 'primitive', message: pending },
  'ftrace-entry-changed': { title: 'Function entry hook differs from the new kernel ftrace', severity: 'runtime', area: 'primitive', message: pending },
  'special-section-format': { title: 'Special-section entries in another format', severity: 'runtime', area: 'primitive', message: pending },
  'special-section-unread': { title: 'A special section the new kernel no longer reads', severity: 'runtime', area: 'primitive', message: pending },
  'cpu-feature-renumbered': { title: 'Alternative gated on a feature number that now means another feature', severity: 'runtime', area: 'primitive', message: pending },
  'extable-type-unknown': { title: 'Exception-table entry type the new kernel does not define', severity: 'runtime', area: 'primitive', message: pending },
  'orc-format-changed': { title: 'ORC unwind data in another format', severity: 'runtime', area: 'primitive', message: pending },
  'percpu-symbol-changed': { title: 'Per-CPU variable renamed or folded', severity: 'link', area: 'primitive', message: pending },
  'compiler-flag-changed': { title: 'ABI-relevant compiler flag differs', severity: 'runtime', area: 'primitive', message: pending },
  'compiler-changed': { title: 'Compiler differs from the new kernel',  severity: 'review', area: 'primitive', message: pending },
  'instrumentation-mismatch': { title: 'Sanitizer or coverage hooks differ from the new kernel', severity: 'link', area: 'primitive', message: pending },
  'btf-id-unresolved': { title: 'BTF id of the object does not resolve in the new kernel', severity: 'runtime', area: 'primitive', message: pending },
  'btf-set-flags-missing': { title: 'kfunc set without the flags the new kernel requires', severity: 'runtime', area: 'primitive', message: pending },
  'split-btf-mismatch': { title: 'Module BTF built on another base', severity: 'runtime', area: 'primitive', message: pending },
  'noreturn-changed': { title: 'Called function changed its noreturn status', severity: 'warning', area: 'primitive', message: pending },
  'definition-unreferenced': { title: 'Nothing in the new kernel references a function the object defines', severity: 'review', area: 'primitive', message: pending },
  'vermagic-mismatch': { title: 'Module version magic the new kernel refuses', severity: 'link', area: 'primitive', message: pending },
  'module-struct-size': { title: 'struct module size differs', severity: 'link', area: 'primitive', message: pending },
  'primitive-check-incomplete': { title: 'A build-primitive check could not run', severity: 'review', area: 'primitive', message: pending },
  'export-format-changed': { title: 'Exports in the other kernel era format', severity: 'warning', area: 'primitive', message: pending },
} as const satisfies Record<string, FindingKind>;

export type FindingId = keyof typeof FINDING_KINDS;

/** The facts a finding of kind K carries: what its message template reads. */
export type FindingData<K extends FindingId> = Parameters<(typeof FINDING_KINDS)[K]['message']>[0];

/** The message of a finding, rendered from its data by the template of its id. */
export function renderMessage(id: FindingId, data: unknown): string {
  return (FINDING_KINDS[id].message as (d: unknown) => string)(data);
}

export const FINDING_IDS = Object.keys(FINDING_KINDS).sort() as FindingId[];

export function docPage(id: FindingId): string {
  return `docs/findings/${id}.md`;
}
