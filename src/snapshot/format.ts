import { bool, int, list, object, oneOf, record, str, type Schema } from '../schema.js';
import type { FrozenDefinition, FrozenExport, FrozenSection } from '../facts/frozen-object.js';
import type { ModuleInfo } from '../facts/module.js';
import type { SymbolKind } from '../facts/symbols.js';
import type { SnapshotConventions } from './conventions.js';

/**
 * An ABI snapshot: what a frozen object expects of the kernel, as a small JSON file a
 * reviewer can read and a certification can pin (`relinkable extract`). `check` accepts it
 * wherever it accepts the object. docs/snapshot-format.md describes each field.
 */
export const SNAPSHOT_FORMAT = 'relinkable-abi-snapshot';
export const SNAPSHOT_FORMAT_VERSION = 2;

/** A type node with its references replaced by snapshot type ids (0 is void). */
export type SnapshotType =
  | { kind: 'void' }
  | { kind: 'int'; name: string; size: number; encoding: string }
  | { kind: 'float'; name: string; size: number }
  | { kind: 'pointer'; target: number }
  | { kind: 'array'; element: number; count: number | null }
  | { kind: 'struct' | 'union'; name: string | null; size: number | null; members: { name: string | null; type: number; bitOffset: number; bitSize: number | null }[] }
  | { kind: 'enum'; name: string | null; size: number; signed: boolean; declaration: boolean; values: { name: string; value: string }[] }
  | { kind: 'typedef'; name: string; target: number }
  | { kind: 'qualifier'; qualifier: string; target: number }
  | { kind: 'function'; returns: number; params: { name: string | null; type: number }[]; variadic: boolean; prototyped: boolean }
  | { kind: 'unknown'; reason: string };

export interface SnapshotSite {
  section: string;
  offset: string;
  function: string | null;
  relocation: string;
}

export interface Snapshot {
  format: typeof SNAPSHOT_FORMAT;
  formatVersion: number;
  tool: { name: 'relinkable'; version: string };
  object: {
    /** The object's file name when it was extracted. */
    name: string;
    sha256: string;
    size: number;
    machine: number;
    is64: boolean;
    littleEndian: boolean;
    compileUnits: string[];
    producer: string | null;
    module: (Omit<ModuleInfo, 'fields'> & { fields: [string, string][] }) | null;
  };
  sections: FrozenSection[];
  definitions: FrozenDefinition[];
  imports: { name: string; kind: SymbolKind; kindSource: string; weak: boolean; sites: SnapshotSite[] }[];
  exports: FrozenExport[];
  /** The low-level build conventions the object shows (format 2+): compiler, function entries, special sections, BTF. */
  build: SnapshotConventions;
  /** null when the object had no DWARF. */
  interface: {
    declaredFunctions: { name: string; type: number }[];
    definedFunctions: { name: string; type: number }[];
    variables: { name: string; type: number }[];
    ownedStorage: { name: string; type: number; scope: string | null }[];
    namedTypes: { kind: string; name: string; type: number }[];
    /** id -> type, ids from 1 in the order the roots reach them. */
    types: Record<string, SnapshotType>;
  } | null;
}

/** The shape of a snapshot's `build` (the object's conventions), validated when a snapshot is read back. */
export const SNAPSHOT_CONVENTIONS_SCHEMA: Schema = object(
  {
    architecture: oneOf(['x86_64', 'i386', 'aarch64', 'other']),
    compiler: object({ producers: list(object({ producer: str(), units: list(str()) })), comment: list(str()) }),
    sections: list(object({ name: str(), size: int(0), flags: { type: 'any' }, relocations: int(0) })),
    properties: { type: 'any' },
    functions: list(
      object(
        {
          name: str(),
          binding: oneOf(['local', 'global', 'weak']),
          section: str(),
          offset: int(0),
          size: int(0),
          entry: oneOf(['endbr64', 'endbr32', 'bti-c', 'bti-j', 'bti-jc', 'paciasp', 'pacibsp', 'none']),
          paddingBefore: int(0, 64),
          prefixSymbol: bool,
          cfiHash: str(),
          ftraceCall: str(),
        },
        ['cfiHash', 'ftraceCall'],
      ),
    ),
    indirectTargets: list(
      object({
        function: str(),
        from: object({ section: str(), offset: int(0), symbol: str(), member: str(), relocation: str() }, ['symbol', 'member']),
      }),
    ),
    importRelocations: record(record(int(1))),
    fixedCanaryReads: int(0),
    alternatives: { type: 'any' },
    extable: { type: 'any' },
    orcHeader: str(/^[0-9a-f]{40}$/),
    btf: object({ split: str(), distilledBase: str() }, ['distilledBase']),
    btfIds: list(object({ kind: str(), name: str(), symbol: str(), id: int(0) })),
    btfSets: list(object({ kind: oneOf(['set', 'set8']), name: str(), count: int(0), flags: int(0) }, ['flags'])),
    noreturnCalls: list(str()),
    noEndbr: list(str()),
  },
  ['properties', 'alternatives', 'extable', 'orcHeader', 'btf'],
);
