import { InputError, jsonSyntaxError } from '../errors.js';
import { readInputText } from '../input-file.js';
import { LIMITS } from '../limits.js';
import type { FrozenImport, FrozenObject } from '../facts/frozen-object.js';
import type { FrozenInterface, NamedKind, OwnedVariable } from '../graph/interfaces.js';
import { typeRef, type FunctionDecl, type IntEncoding, type TypeGraph, type TypeNode, type TypeRef, type TypeSource, type VariableDecl } from '../graph/type-graph.js';
import { validate } from '../schema.js';
import { fromSnapshotConventions } from './conventions.js';
import { SNAPSHOT_FORMAT, SNAPSHOT_SCHEMA, SNAPSHOT_FORMAT_VERSION, type Snapshot, type SnapshotType } from './format.js';

/** Whether a file is an ABI snapshot rather than an object: it starts with "{". */
export function looksLikeSnapshot(head: Buffer): boolean {
  const text = head.toString('latin1').trimStart();
  return text.startsWith('{');
}

class SnapshotTypeGraph implements TypeGraph {
  readonly source: TypeSource;
  private readonly nodes = new Map<TypeRef, TypeNode>();

  constructor(
    private readonly file: string,
    private readonly types: Record<string, SnapshotType>,
    readonly pointerSize: number,
  ) {
    this.source = { format: 'snapshot', file };
  }

  locate(ref: TypeRef): string {
    return `type #${ref} in the snapshot`;
  }

  private ref(id: unknown, where: string): TypeRef {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || (id > 0 && !Object.hasOwn(this.types, String(id)))) {
      throw new InputError(this.file, `${where}: type id ${String(id)} is not in the snapshot's types`);
    }
    return typeRef(id);
  }

  node(ref: TypeRef): TypeNode {
    if (ref === 0) return { kind: 'void' };
    const cached = this.nodes.get(ref);
    if (cached) return cached;
    const t = this.types[String(ref)];
    if (!t) throw new InputError(this.file, `type #${ref} is not in the snapshot`);
    const node = this.decode(t, `type #${ref}`);
    this.nodes.set(ref, node);
    return node;
  }

  private decode(t: SnapshotType, where: string): TypeNode {
    switch (t.kind) {
      case 'void':
        return { kind: 'void' };
      case 'int':
        return { kind: 'int', name: t.name, size: t.size, encoding: t.encoding as IntEncoding };
      case 'float':
        return { kind: 'float', name: t.name, size: t.size };
      case 'pointer':
        return { kind: 'pointer', target: this.ref(t.target, where) };
      case 'array':
        return { kind: 'array', element: this.ref(t.element, where), count: t.count ?? undefined, ...(t.vector ? { vector: true as const } : {}) };
      case 'struct':
      case 'union':
        return {
          kind: t.kind,
          name: t.name ?? undefined,
          size: t.size ?? undefined,
          members: t.members.map((m) => ({ name: m.name ?? undefined, type: this.ref(m.type, where), bitOffset: m.bitOffset, bitSize: m.bitSize ?? undefined })),
        };
      case 'enum':
        return { kind: 'enum', name: t.name ?? undefined, size: t.size, signed: t.signed, declaration: t.declaration, values: t.values.map((v) => ({ name: v.name, value: BigInt(v.value) })) };
      case 'typedef':
        return { kind: 'typedef', name: t.name, target: this.ref(t.target, where) };
      case 'qualifier':
        return { kind: 'qualifier', qualifier: t.qualifier as 'const', target: this.ref(t.target, where) };
      case 'function':
        return { kind: 'function', returns: this.ref(t.returns, where), params: t.params.map((p) => ({ name: p.name ?? undefined, type: this.ref(p.type, where) })), variadic: t.variadic, prototyped: t.prototyped };
      case 'unknown':
        return { kind: 'unknown', reason: t.reason };
      default:
        throw new InputError(this.file, `${where}: unknown type kind ${String((t as { kind: unknown }).kind)}`);
    }
  }
}

class SnapshotInterface implements FrozenInterface {
  readonly graph: SnapshotTypeGraph;

  constructor(
    file: string,
    private readonly data: NonNullable<Snapshot['interface']>,
    pointerSize: number,
  ) {
    this.graph = new SnapshotTypeGraph(file, data.types, pointerSize);
  }

  private decl(list: { name: string; type: number }[], name: string): FunctionDecl | undefined {
    const d = list.find((x) => x.name === name);
    return d ? { name, graph: this.graph, type: typeRef(d.type), location: this.graph.locate(typeRef(d.type)) } : undefined;
  }

  declaredFunction(name: string): FunctionDecl | undefined {
    return this.decl(this.data.declaredFunctions, name) ?? this.decl(this.data.definedFunctions, name);
  }

  definedFunction(name: string): FunctionDecl | undefined {
    return this.decl(this.data.definedFunctions, name);
  }

  variableNamed(name: string): VariableDecl | undefined {
    return this.decl(this.data.variables, name);
  }

  ownedStorage(): readonly OwnedVariable[] {
    return this.data.ownedStorage.map((v) => ({ name: v.name, type: typeRef(v.type), scope: v.scope ?? undefined }));
  }

  typeNamed(kind: NamedKind, name: string): TypeRef | undefined {
    const found = this.data.namedTypes.find((t) => t.kind === kind && t.name === name);
    return found ? typeRef(found.type) : undefined;
  }

  /** A snapshot keeps the types its interfaces reach, not every type the object's units describe. */
  typeDefinitions(): undefined {
    return undefined;
  }
}

/** Every type id a type refers to must be in the table: checked once, up front, not when a check happens to look. */
function validateTypes(file: string, iface: NonNullable<Snapshot['interface']>): void {
  const types = iface.types;
  const ok = (id: unknown) => id === 0 || (typeof id === 'number' && Object.hasOwn(types, String(id)));
  for (const [id, t] of Object.entries(types)) {
    need(/^[1-9]\d{0,15}$/.test(id), file, `interface.types: ${JSON.stringify(id)} is not a type id`);
    const refs: unknown[] = [];
    switch (t.kind) {
      case 'pointer':
      case 'typedef':
      case 'qualifier':
        refs.push(t.target);
        break;
      case 'array':
        refs.push(t.element);
        break;
      case 'struct':
      case 'union':
        refs.push(...t.members.map((m) => m.type));
        break;
      case 'function':
        refs.push(t.returns, ...t.params.map((p) => p.type));
        break;
      default:
        break;
    }
    for (const r of refs) need(ok(r), file, `interface.types.${id}: type id ${String(r)} is not in the snapshot's types`);
  }
  for (const list of ['declaredFunctions', 'definedFunctions', 'variables', 'ownedStorage', 'namedTypes'] as const) {
    for (const [i, entry] of iface[list].entries()) {
      need(ok(entry.type), file, `interface.${list}[${i}] (${entry.name}): type id ${entry.type} is not in the snapshot's types`);
    }
  }
}

function need(cond: boolean, file: string, what: string): asserts cond {
  if (!cond) throw new InputError(file, `not a valid ABI snapshot: ${what}`);
}

/** Reads an ABI snapshot as a frozen object: the same questions answered from the file. */
export function readSnapshot(path: string): FrozenObject {
  const text = readInputText(path, 'ABI snapshot', 'utf8', LIMITS.JSON_FILE_SIZE);
  let data: Snapshot;
  try {
    data = JSON.parse(text) as Snapshot;
  } catch (err) {
    throw new InputError(path, `not a valid ABI snapshot: not valid JSON (${jsonSyntaxError(err, text)})`);
  }
  need(typeof data === 'object' && data !== null && data.format === SNAPSHOT_FORMAT, path, `format is not "${SNAPSHOT_FORMAT}"`);
  if (data.formatVersion === 1) {
    throw new InputError(path, 'ABI snapshot format 1 has no build facts, which the build-primitive checks need: extract it again from the object');
  }
  need(data.formatVersion === SNAPSHOT_FORMAT_VERSION, path, `format version ${String(data.formatVersion)} (this relinkable reads ${SNAPSHOT_FORMAT_VERSION})`);
  // The whole document against its schema, before any of it is used (docs/snapshot-format.md).
  const errors = validate(data, SNAPSHOT_SCHEMA);
  need(errors.length === 0, path, `${errors.slice(0, 3).join('; ')}${errors.length > 3 ? ` (and ${errors.length - 3} more)` : ''}`);

  const imports = new Map<string, FrozenImport>(
    data.imports.map((i) => [
      i.name,
      {
        name: i.name,
        kind: i.kind,
        kindSource: i.kindSource as FrozenImport['kindSource'],
        weak: i.weak,
        sites: i.sites.map((s) => ({ section: s.section, offset: BigInt(s.offset), function: s.function ?? undefined, relocation: s.relocation })),
      },
    ]),
  );
  if (data.interface) validateTypes(path, data.interface);
  const moduleInfo = data.object.module ?? undefined;
  return {
    path,
    origin: 'snapshot',
    sha256: data.object.sha256,
    size: data.object.size,
    machine: data.object.machine,
    is64: data.object.is64,
    littleEndian: data.object.littleEndian,
    sections: data.sections,
    isModule: moduleInfo?.loadable === true,
    moduleInfo,
    definitions: new Map(data.definitions.map((d) => [d.name, d])),
    imports,
    exports: new Map(data.exports.map((e) => [e.name, e])),
    compileUnits: data.object.compileUnits,
    compiledAgainst: data.interface ? new SnapshotInterface(path, data.interface, data.object.is64 ? 8 : 4) : undefined,
    producer: data.object.producer ?? undefined,
    conventions: fromSnapshotConventions(data.build, path),
  };
}
