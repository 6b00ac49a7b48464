import type { Severity } from './severity.js';

export interface FindingKind {
  readonly title: string;
  /** The usual severity; a finding may state another (its page says when). */
  readonly severity: Severity;
  /** Which stage of the relink it predicts. */
  readonly area: 'link' | 'module' | 'replacement' | 'interface';
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
} as const satisfies Record<string, FindingKind>;

export type FindingId = keyof typeof FINDING_KINDS;

export const FINDING_IDS = Object.keys(FINDING_KINDS).sort() as FindingId[];

export function docPage(id: FindingId): string {
  return `docs/findings/${id}.md`;
}
