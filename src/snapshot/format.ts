import { bool, int, list, nullable, object, oneOf, record, str, text, tuple, variant, type Schema } from '../schema.js';
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
  | { kind: 'array'; element: number; count: number | null; vector?: boolean }
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
    sections: list(object({ name: str(), size: int(0), flags: text, relocations: int(0) })),
    properties: object({ ibt: bool, shstk: bool, bti: bool, pac: bool }),
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
    alternatives: object(
      { entrySize: int(1), features: list(object({ feature: int(0), flags: list(str()), count: int(0), example: text })) },
      ['entrySize'],
    ),
    extable: object({
      layout: oneOf(['data', 'handler']),
      entries: int(0),
      types: list(object({ type: int(0), count: int(0), example: text })),
      handlers: list(object({ handler: str(), count: int(0) })),
    }),
    orcHeader: str(/^[0-9a-f]{40}$/),
    btf: object({ split: str(), distilledBase: str() }, ['distilledBase']),
    btfIds: list(object({ kind: str(), name: str(), symbol: str(), id: int(0) })),
    btfSets: list(object({ kind: oneOf(['set', 'set8']), name: str(), count: int(0), flags: int(0) }, ['flags'])),
    noreturnCalls: list(str()),
    noEndbr: list(str()),
  },
  ['properties', 'alternatives', 'extable', 'orcHeader', 'btf'],
);

/** A snapshot type id: 0 is void, others are keys of `interface.types`. */
const typeId = int(0);
const SYMBOL_KINDS = ['function', 'data', 'tls', 'unknown'] as const;

/** One entry of `interface.types`, by its kind. */
const SNAPSHOT_TYPE_SCHEMA: Schema = variant('kind', {
  void: object({ kind: oneOf(['void']) }),
  int: object({ kind: oneOf(['int']), name: str(), size: int(0), encoding: oneOf(['signed', 'unsigned', 'bool', 'signed-char', 'unsigned-char']) }),
  float: object({ kind: oneOf(['float']), name: str(), size: int(0) }),
  pointer: object({ kind: oneOf(['pointer']), target: typeId }),
  array: object({ kind: oneOf(['array']), element: typeId, count: nullable(int(0)), vector: bool }, ['vector']),
  ...Object.fromEntries(
    (['struct', 'union'] as const).map((kind) => [
      kind,
      object({
        kind: oneOf([kind]),
        name: nullable(str()),
        size: nullable(int(0)),
        members: list(object({ name: nullable(str()), type: typeId, bitOffset: int(0), bitSize: nullable(int(0)) })),
      }),
    ]),
  ),
  enum: object({
    kind: oneOf(['enum']),
    name: nullable(str()),
    size: int(0),
    signed: bool,
    declaration: bool,
    values: list(object({ name: str(), value: str(/^-?\d{1,20}$/) })),
  }),
  typedef: object({ kind: oneOf(['typedef']), name: str(), target: typeId }),
  qualifier: object({ kind: oneOf(['qualifier']), qualifier: oneOf(['const', 'volatile', 'restrict', 'atomic']), target: typeId }),
  function: object({ kind: oneOf(['function']), returns: typeId, params: list(object({ name: nullable(str()), type: typeId })), variadic: bool, prototyped: bool }),
  unknown: object({ kind: oneOf(['unknown']), reason: str() }),
});

/** The signature appended to a .ko (facts/module.ts ModuleSignature), as a snapshot records it. */
const MODULE_SIGNATURE_SCHEMA: Schema = variant('readable', {
  true: object({
    readable: bool,
    bytes: int(0),
    signers: list(
      object({
        id: variant('kind', {
          'issuer-serial': object({ kind: oneOf(['issuer-serial']), issuer: text, issuerText: text, serial: text }),
          'key-id': object({ kind: oneOf(['key-id']), keyId: text }),
        }),
        digestAlgorithm: text,
        signatureAlgorithm: text,
        signedDigest: text,
        contentDigestMatches: bool,
        signature: text,
      }),
    ),
  }),
  false: object({ readable: bool, problem: str() }),
});

/**
 * The whole snapshot document, checked before any of it is used: a field missing or of the
 * wrong type anywhere (a site without its offset, a null where a definition should be, a
 * size that is an object) is refused with its path, not met by a check halfway through.
 * Optional members are those JSON.stringify leaves out when they are undefined.
 */
export const SNAPSHOT_SCHEMA: Schema = object({
  format: oneOf([SNAPSHOT_FORMAT]),
  formatVersion: int(SNAPSHOT_FORMAT_VERSION, SNAPSHOT_FORMAT_VERSION),
  tool: object({ name: oneOf(['relinkable']), version: str() }),
  object: object({
    name: str(),
    sha256: str(/^[0-9a-f]{64}$/),
    size: int(0),
    machine: int(0, 0xffff),
    is64: bool,
    littleEndian: bool,
    compileUnits: list(str()),
    producer: nullable(str()),
    module: nullable(
      object(
        {
          loadable: bool,
          builtinModule: str(),
          fields: list(tuple(text, 2)),
          name: str(),
          license: text,
          vermagic: text,
          importedNamespaces: list(text),
          versions: list(object({ name: text, crc: int(0, 0xffffffff) })),
          versionTables: list(oneOf(['basic', 'extended'])),
          thisModuleSize: int(0),
          signature: MODULE_SIGNATURE_SCHEMA,
        },
        ['builtinModule', 'name', 'license', 'vermagic', 'versionTables', 'thisModuleSize', 'signature'],
      ),
    ),
  }),
  sections: list(object({ name: text, type: int(0, 0xffffffff), flags: int(0), size: int(0), entsize: int(0), addralign: int(0) })),
  definitions: list(object({ name: str(), kind: oneOf(SYMBOL_KINDS), binding: oneOf(['global', 'weak']), section: text, size: int(0) })),
  imports: list(
    object({
      name: str(),
      kind: oneOf(SYMBOL_KINDS),
      kindSource: oneOf(['dwarf', 'relocation', 'none']),
      weak: bool,
      sites: list(object({ section: text, offset: str(/^0x[0-9a-f]{1,16}$/), function: nullable(str()), relocation: str() })),
    }),
  ),
  exports: list(object({ name: str(), gplOnly: bool })),
  build: SNAPSHOT_CONVENTIONS_SCHEMA,
  interface: nullable(
    object({
      declaredFunctions: list(object({ name: str(), type: typeId })),
      definedFunctions: list(object({ name: str(), type: typeId })),
      variables: list(object({ name: str(), type: typeId })),
      ownedStorage: list(object({ name: str(), type: typeId, scope: nullable(str()) })),
      namedTypes: list(object({ kind: oneOf(['struct', 'union', 'enum', 'typedef']), name: str(), type: typeId })),
      types: record(SNAPSHOT_TYPE_SCHEMA),
    }),
  ),
});
