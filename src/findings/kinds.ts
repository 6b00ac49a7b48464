import type { Severity } from './severity.js';

export interface FindingKind {
  readonly title: string;
  /** The usual severity; a finding may state another (its page says when). */
  readonly severity: Severity;
  /** Which stage of the relink it predicts. */
  readonly area: 'link' | 'module' | 'replacement' | 'interface' | 'primitive';
}

/**
 * Every finding relinkable can report. Ids are stable like lint rule names; each has a page
 * docs/findings/<id>.md (test/findings/docs.test.ts holds the two in step).
 */
export const FINDING_KINDS = {
  'undefined-symbol': { title: 'Undefined symbol', severity: 'link', area: 'link' },
  'unresolved-weak-reference': { title: 'Weak reference resolves to nothing', severity: 'runtime', area: 'link' },
  'orphaned-reference': { title: 'The rest of the kernel needs a symbol only the replaced object defined', severity: 'link', area: 'replacement' },
  'duplicate-definition': { title: 'Symbol defined twice', severity: 'link', area: 'link' },
  'symbol-type-changed': { title: 'Symbol changed between function and data', severity: 'runtime', area: 'link' },
  'not-exported': { title: 'Defined in the kernel but not exported', severity: 'link', area: 'module' },
  'export-gpl-only': { title: 'GPL-only export used by a module that is not GPL-compatible', severity: 'link', area: 'module' },
  'export-namespace': { title: 'Export in a namespace the module does not import', severity: 'link', area: 'module' },
  'modversions-crc-changed': { title: "The kernel's own checksum changed", severity: 'info', area: 'module' },
  'module-now-builtin': { title: 'The module is built into the new kernel', severity: 'runtime', area: 'replacement' },
  'replacement-not-found': { title: 'Could not find what the object replaces', severity: 'review', area: 'replacement' },
  'prototype-changed': { title: 'Prototype changed at the machine level', severity: 'runtime', area: 'interface' },
  'layout-changed': { title: 'Struct or union layout changed', severity: 'runtime', area: 'interface' },
  'enum-changed': { title: 'Enumerator values changed', severity: 'runtime', area: 'interface' },
  'variable-type-changed': { title: 'Type of an imported variable changed', severity: 'runtime', area: 'interface' },
  'section-orphaned': { title: 'The new linker script does not place a section', severity: 'warning', area: 'primitive' },
  'section-discarded': { title: 'The new linker script discards a section', severity: 'runtime', area: 'primitive' },
  'section-renamed': { title: 'A section the new kernel collects under another name', severity: 'runtime', area: 'primitive' },
  'stack-protector-changed': { title: 'Stack canary read another way than the new kernel keeps it', severity: 'runtime', area: 'primitive' },
  'mitigation-missing': { title: 'Code that bypasses a mitigation the new kernel applies', severity: 'runtime', area: 'primitive' },
  'landing-pad-missing': { title: 'Indirect-branch target without a landing pad', severity: 'runtime', area: 'primitive' },
  'function-padding-missing': { title: 'Functions without the padding the new kernel patches', severity: 'runtime', area: 'primitive' },
  'kcfi-mismatch': { title: 'kCFI preamble missing or with another type hash', severity: 'runtime', area: 'primitive' },
  'ftrace-entry-changed': { title: 'Function entry hook differs from the new kernel ftrace', severity: 'runtime', area: 'primitive' },
  'special-section-format': { title: 'Special-section entries in another format', severity: 'runtime', area: 'primitive' },
  'special-section-unread': { title: 'A special section the new kernel no longer reads', severity: 'runtime', area: 'primitive' },
  'cpu-feature-renumbered': { title: 'Alternative gated on a feature number that now means another feature', severity: 'runtime', area: 'primitive' },
  'extable-type-unknown': { title: 'Exception-table entry type the new kernel does not define', severity: 'runtime', area: 'primitive' },
  'orc-format-changed': { title: 'ORC unwind data in another format', severity: 'runtime', area: 'primitive' },
  'percpu-symbol-changed': { title: 'Per-CPU variable renamed or folded', severity: 'link', area: 'primitive' },
  'compiler-flag-changed': { title: 'ABI-relevant compiler flag differs', severity: 'runtime', area: 'primitive' },
  'compiler-changed': { title: 'Compiler differs from the new kernel',  severity: 'review', area: 'primitive' },
  'instrumentation-mismatch': { title: 'Sanitizer or coverage hooks differ from the new kernel', severity: 'link', area: 'primitive' },
  'btf-id-unresolved': { title: 'BTF id of the object does not resolve in the new kernel', severity: 'runtime', area: 'primitive' },
  'btf-set-flags-missing': { title: 'kfunc set without the flags the new kernel requires', severity: 'runtime', area: 'primitive' },
  'split-btf-mismatch': { title: 'Module BTF built on another base', severity: 'runtime', area: 'primitive' },
  'noreturn-changed': { title: 'Called function changed its noreturn status', severity: 'warning', area: 'primitive' },
  'definition-unreferenced': { title: 'Nothing in the new kernel references a function the object defines', severity: 'review', area: 'primitive' },
  'vermagic-mismatch': { title: 'Module version magic the new kernel refuses', severity: 'link', area: 'primitive' },
  'module-struct-size': { title: 'struct module size differs', severity: 'link', area: 'primitive' },
  'primitive-check-incomplete': { title: 'A build-primitive check could not run', severity: 'review', area: 'primitive' },
  'export-format-changed': { title: 'Exports in the other kernel era format', severity: 'warning', area: 'primitive' },
} as const satisfies Record<string, FindingKind>;

export type FindingId = keyof typeof FINDING_KINDS;

export const FINDING_IDS = Object.keys(FINDING_KINDS).sort() as FindingId[];

export function docPage(id: FindingId): string {
  return `docs/findings/${id}.md`;
}
