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

/**
 * Every finding relinkable can report. Ids are stable like lint rule names; each has a page
 * docs/findings/<id>.md (test/findings/docs.test.ts holds the two in step).
 */
export const FINDING_KINDS = {
  // Link, module loading, replacement and interface (src/checks/).
  'undefined-symbol': { title: 'Undefined symbol', severity: 'link', area: 'link', message: pending },
  'unresolved-weak-reference': { title: 'Weak reference resolves to nothing', severity: 'runtime', area: 'link', message: pending },
  'orphaned-reference': { title: 'The rest of the kernel needs a symbol only the replaced object defined', severity: 'link', area: 'replacement', message: pending },
  'duplicate-definition': { title: 'Symbol defined twice', severity: 'link', area: 'link', message: pending },
  'symbol-type-changed': { title: 'Symbol changed between function and data', severity: 'runtime', area: 'link', message: pending },
  'not-exported': { title: 'Defined in the kernel but not exported', severity: 'link', area: 'module', message: pending },
  'export-gpl-only': { title: 'GPL-only export used by a module that is not GPL-compatible', severity: 'link', area: 'module', message: pending },
  'export-namespace': { title: 'Export in a namespace the module does not import', severity: 'link', area: 'module', message: pending },
  'modversions-crc-changed': { title: "The kernel's own checksum changed", severity: 'info', area: 'module', message: pending },
  'module-now-builtin': { title: 'The module is built into the new kernel', severity: 'runtime', area: 'replacement', message: pending },
  'replacement-not-found': { title: 'Could not find what the object replaces', severity: 'review', area: 'replacement', message: pending },
  'prototype-changed': { title: 'Prototype changed at the machine level', severity: 'runtime', area: 'interface', message: pending },
  'layout-changed': { title: 'Struct or union layout changed', severity: 'runtime', area: 'interface', message: pending },
  'enum-changed': { title: 'Enumerator values changed', severity: 'runtime', area: 'interface', message: pending },
  'variable-type-changed': { title: 'Type of an imported variable changed', severity: 'runtime', area: 'interface', message: pending },

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
