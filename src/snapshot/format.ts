import type { FrozenDefinition, FrozenExport, FrozenSection } from '../model/frozen.js';
import type { ModuleInfo } from '../kernel/module-info.js';
import type { SymbolKind } from '../model/kinds.js';
import type { BuildFacts } from '../model/build.js';

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
  build: BuildFacts;
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
