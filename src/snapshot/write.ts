import { hex } from '../errors.js';
import type { FrozenObject } from '../facts/frozen-object.js';
import type { FrozenInterface, NamedKind } from '../graph/interfaces.js';
import { CLOSURE_HOPS } from '../graph/changes.js';
import type { TypeNode, TypeRef } from '../graph/type-graph.js';
import { toolVersion } from '../version.js';
import { toSnapshotConventions } from './conventions.js';
import { SNAPSHOT_FORMAT, SNAPSHOT_FORMAT_VERSION, type Snapshot, type SnapshotType } from './format.js';
import { basename } from 'node:path';

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * Serializes the types reachable from the roots, numbering them in the order a walk from the
 * sorted roots meets them. Like the comparison, the walk follows pointers CLOSURE_HOPS deep;
 * a struct further away is kept as a declaration (its layout cannot matter to a check).
 */
class TypeTable {
  private readonly ids = new Map<TypeRef, number>();
  private readonly hops = new Map<TypeRef, number>();
  private readonly queue: TypeRef[] = [];
  readonly types: Record<string, SnapshotType> = {};
  private current = 0;

  constructor(private readonly graph: FrozenInterface['graph']) {}

  id(ref: TypeRef, hops = this.current): number {
    if (this.graph.node(ref).kind === 'void') return 0;
    let id = this.ids.get(ref);
    if (id === undefined) {
      id = this.ids.size + 1;
      this.ids.set(ref, id);
      this.hops.set(ref, hops);
      this.queue.push(ref);
    }
    return id;
  }

  /** Serializes everything queued so far (and what it reaches), breadth-first. */
  drain(): void {
    while (this.queue.length) {
      const ref = this.queue.shift()!;
      this.current = this.hops.get(ref)!;
      this.types[String(this.ids.get(ref))] = this.serialize(this.graph.node(ref));
    }
  }

  private serialize(n: TypeNode): SnapshotType {
    if ((n.kind === 'struct' || n.kind === 'union') && this.current > CLOSURE_HOPS) {
      return { kind: n.kind, name: n.name ?? null, size: null, members: [] };
    }
    switch (n.kind) {
      case 'void':
        return { kind: 'void' };
      case 'int':
        return { kind: 'int', name: n.name, size: n.size, encoding: n.encoding };
      case 'float':
        return { kind: 'float', name: n.name, size: n.size };
      case 'pointer':
        return { kind: 'pointer', target: this.id(n.target, this.current + 1) };
      case 'array':
        return { kind: 'array', element: this.id(n.element), count: n.count ?? null, ...(n.vector ? { vector: true as const } : {}) };
      case 'struct':
      case 'union':
        return {
          kind: n.kind,
          name: n.name ?? null,
          size: n.size ?? null,
          members: n.members.map((m) => ({ name: m.name ?? null, type: this.id(m.type), bitOffset: m.bitOffset, bitSize: m.bitSize ?? null })),
        };
      case 'enum':
        return { kind: 'enum', name: n.name ?? null, size: n.size, signed: n.signed, declaration: n.declaration, values: n.values.map((v) => ({ name: v.name, value: String(v.value) })) };
      case 'typedef':
        return { kind: 'typedef', name: n.name, target: this.id(n.target) };
      case 'qualifier':
        return { kind: 'qualifier', qualifier: n.qualifier, target: this.id(n.target) };
      case 'function':
        // A function pointer's prototype is compared like a member of where it sits.
        return { kind: 'function', returns: this.id(n.returns), params: n.params.map((p) => ({ name: p.name ?? null, type: this.id(p.type) })), variadic: n.variadic, prototyped: n.prototyped };
      case 'unknown':
        return { kind: 'unknown', reason: n.reason };
    }
  }
}

/** The ABI snapshot of a frozen object (relinkable extract). Deterministic: sorted names, ids in walk order. */
export function buildSnapshot(obj: FrozenObject): Snapshot {
  let iface: Snapshot['interface'] = null;
  const mine = obj.compiledAgainst;
  if (mine) {
    const table = new TypeTable(mine.graph);
    const importNames = [...obj.imports.keys()].sort();
    const declaredFunctions = importNames.flatMap((name) => {
      const d = mine.declaredFunction(name);
      return d ? [{ name, type: table.id(d.type) }] : [];
    });
    const definedFunctions = [...obj.definitions.values()]
      .filter((d) => d.kind === 'function')
      .map((d) => d.name)
      .sort()
      .flatMap((name) => {
        const d = mine.definedFunction(name);
        return d ? [{ name, type: table.id(d.type) }] : [];
      });
    const variables = importNames.flatMap((name) => {
      const v = mine.variableNamed(name);
      return v ? [{ name, type: table.id(v.type) }] : [];
    });
    const ownedStorage = [...mine.ownedStorage()]
      .sort((a, b) => byName(a, b) || ((a.scope ?? '') < (b.scope ?? '') ? -1 : 1))
      .map((v) => ({ name: v.name, type: table.id(v.type), scope: v.scope ?? null }));
    table.drain();
    // The named aggregates the snapshot holds, for looking them up by name (owned types, module_layout).
    const namedTypes: { kind: NamedKind; name: string; type: number }[] = [];
    const seen = new Set<string>();
    for (const [id, t] of Object.entries(table.types)) {
      if ((t.kind === 'struct' || t.kind === 'union' || t.kind === 'enum') && t.name && !seen.has(`${t.kind} ${t.name}`)) {
        const full = t.kind === 'enum' ? !t.declaration : t.size !== null;
        if (!full) continue;
        seen.add(`${t.kind} ${t.name}`);
        namedTypes.push({ kind: t.kind, name: t.name, type: Number(id) });
      }
    }
    namedTypes.sort((a, b) => (a.kind + a.name < b.kind + b.name ? -1 : 1));
    iface = { declaredFunctions, definedFunctions, variables, ownedStorage, namedTypes, types: table.types };
  }
  const module = obj.moduleInfo ? { ...obj.moduleInfo, fields: obj.moduleInfo.fields.map(([k, v]) => [k, v] as [string, string]) } : null;
  return {
    format: SNAPSHOT_FORMAT,
    formatVersion: SNAPSHOT_FORMAT_VERSION,
    tool: { name: 'relinkable', version: toolVersion() },
    object: {
      name: basename(obj.path),
      sha256: obj.sha256,
      size: obj.size,
      machine: obj.machine,
      is64: obj.is64,
      littleEndian: obj.littleEndian,
      compileUnits: [...obj.compileUnits],
      producer: obj.producer ?? null,
      module,
    },
    sections: obj.sections.map((s) => ({ ...s })),
    definitions: [...obj.definitions.values()].sort(byName).map((d) => ({ ...d })),
    imports: [...obj.imports.values()].sort(byName).map((i) => ({
      name: i.name,
      kind: i.kind,
      kindSource: i.kindSource,
      weak: i.weak,
      sites: i.sites.map((s) => ({ section: s.section, offset: hex(s.offset), function: s.function ?? null, relocation: s.relocation })),
    })),
    exports: [...obj.exports.values()].sort(byName).map((e) => ({ ...e })),
    build: toSnapshotConventions(obj.conventions),
    interface: iface,
  };
}

/** Pretty JSON for the parts a reviewer reads; one line per type in the type table. */
export function renderSnapshot(s: Snapshot): string {
  if (!s.interface) return `${JSON.stringify(s, null, 2)}\n`;
  const { types, ...rest } = s.interface;
  const head = JSON.stringify({ ...s, interface: { ...rest, types: '@TYPES@' } }, null, 2);
  const table = Object.entries(types)
    .map(([id, t]) => `      "${id}": ${JSON.stringify(t)}`)
    .join(',\n');
  return `${head.replace('"@TYPES@"', `{\n${table}\n    }`)}\n`;
}
