import { dirname, join } from 'node:path';
import { InputError } from '../errors.js';
import { ElfFile } from '../elf/index.js';
import { sha256Of } from '../elf/source.js';
import type { ObjectVerification, SectionPlacement } from '../facts/verify.js';
import { certifiedBytesCheck } from '../checks/verify/certified-bytes.js';
import { compareFindings } from '../checks/index.js';
import { optionalInput } from '../input-file.js';
import { readLinkerScript } from '../kernel/linker-script/index.js';
import { verifyObject } from '../verify/index.js';
import type { VerifiedObjectRecord, VerifyRecord } from './record.js';

export interface VerifyOptions {
  /** The linked vmlinux or module .ko. */
  readonly linked: string;
  /** The linker script the link used; looked for next to a vmlinux in a build directory (arch/<arch>/kernel/vmlinux.lds) when not given. */
  readonly linkerScript?: string | undefined;
}

const ARCH_DIRECTORY: Record<string, string> = { 'x86-64': 'x86', i386: 'x86', AArch64: 'arm64' };

/** Opens the inputs, verifies each frozen object against the linked file, and records what was found. */
export function verify(objects: readonly string[], options: VerifyOptions): VerifyRecord {
  const linked = ElfFile.open(options.linked);
  try {
    const kind = linked.isRelocatable ? 'module' : 'vmlinux';
    const scriptPath = options.linkerScript ?? (kind === 'vmlinux' ? optionalInput(join(dirname(options.linked), 'arch', ARCH_DIRECTORY[linked.machine] ?? '-', 'kernel', 'vmlinux.lds')) : undefined);
    const script = scriptPath ? readLinkerScript(scriptPath) : undefined;
    if (!linked.symtab()) throw new InputError(options.linked, 'has no symbol table: the frozen sections cannot be placed');
    const records: VerifiedObjectRecord[] = [];
    const findings = [];
    for (const path of objects) {
      const frozen = ElfFile.open(path);
      try {
        if (!frozen.isRelocatable) throw new InputError(path, 'not a relocatable object (.o): verify compares a frozen object with what it was linked into');
        if (frozen.header.machine !== linked.header.machine) throw new InputError(path, `is ${frozen.machine}, the linked file ${options.linked} is ${linked.machine}`);
        const v = verifyObject(frozen, linked, script);
        records.push(objectRecord(v, sha256Of(frozen.source), frozen.source.size));
        findings.push(...certifiedBytesCheck.run(v, options.linked));
      } finally {
        frozen.close();
      }
    }
    return {
      linked: { path: options.linked, kind, size: linked.source.size, buildId: linked.buildId() ?? null, machine: linked.machine, linkerScript: scriptPath ?? null },
      objects: records,
      findings: findings.sort(compareFindings),
    };
  } finally {
    linked.close();
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
            : `placed: its ${p.agreeing} entries beside their .orc_unwind_ip entries`;
    case 'merged':
      return p.what === 'notes'
        ? 'merged by the linker into the linked file\'s own GNU property note: not compared'
        : `merged by the linker (${p.what}): each reference into it checked to reach the certified piece`;
    case 'discarded':
      return `discarded by ${p.rule} (line ${p.line})`;
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
