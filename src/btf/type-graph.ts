import { basename } from 'node:path';
import { InputError } from '../errors.js';
import { typeRef, type FunctionDecl, type Member, type Parameter, type TypeGraph, type TypeNode, type TypeRef, type TypeSource, type VariableDecl } from '../graph/type-graph.js';
import type { Btf } from './btf.js';
import { BTF_KIND, kindName } from './constants.js';
import { at } from './header.js';
import type { BtfType } from './types.js';

/** The model kinds a name lookup can ask for: the named types of C. */
export type NamedTypeKind = 'struct' | 'union' | 'enum' | 'typedef' | 'int' | 'float';

export interface BtfGraphOptions {
  /** Pointer size in bytes: 8 for a 64-bit ELF, 4 for a 32-bit one. BTF itself does not say. */
  readonly pointerSize?: number;
}

const VOID: TypeNode = { kind: 'void' };
/** TYPE_TAG chains longer than this are not followed (the parser already rejects loops). */
const MAX_TAG_HOPS = 64;

/**
 * A BTF blob (base or split) as the shared TypeGraph. A ref is a BTF type id in the blob's id
 * space (for split BTF, base ids included); id 0 is void. Nodes are decoded on first use.
 */
export class BtfTypeGraph implements TypeGraph {
  readonly source: TypeSource;
  readonly pointerSize: number;
  private readonly nodes = new Map<number, TypeNode>();

  constructor(
    readonly btf: Btf,
    options: BtfGraphOptions = {},
  ) {
    this.source = { format: 'btf', file: btf.file };
    this.pointerSize = options.pointerSize ?? 8;
  }

  locate(ref: TypeRef | number): string {
    if (ref === 0) return 'BTF id 0 (void)';
    return `BTF id ${ref} (${basename(this.btf.owner(ref).file)})`;
  }

  /** A node by its ref, or by its BTF type id (the same number: in a BTF graph a ref is the id). */
  node(ref: TypeRef | number): TypeNode {
    if (ref === 0) return VOID;
    const cached = this.nodes.get(ref);
    if (cached) return cached;
    const node = this.decode(ref);
    this.nodes.set(ref, node);
    return node;
  }

  private decode(ref: number): TypeNode {
    let t = this.btf.type(ref);
    for (let hops = 0; t.kind === 'TYPE_TAG'; hops++) {
      if (hops >= MAX_TAG_HOPS) return { kind: 'unknown', reason: `${this.locate(ref)}: more than ${MAX_TAG_HOPS} TYPE_TAGs in a row` };
      // A type tag (e.g. __user, __rcu) annotates the type it points at without changing its layout.
      if (t.type === 0) return VOID;
      t = this.btf.type(t.type);
    }
    return this.fromType(t);
  }

  private fromType(t: BtfType): TypeNode {
    switch (t.kind) {
      case 'VOID':
        return VOID;
      case 'INT': {
        const encoding = t.bool ? 'bool' : t.char ? (t.signed ? 'signed-char' : 'unsigned-char') : t.signed ? 'signed' : 'unsigned';
        return { kind: 'int', name: t.name, size: t.size, encoding };
      }
      case 'FLOAT':
        return { kind: 'float', name: t.name, size: t.size };
      case 'PTR':
        return { kind: 'pointer', target: typeRef(t.type) };
      case 'ARRAY':
        return { kind: 'array', element: typeRef(t.type), count: t.nelems };
      case 'STRUCT':
      case 'UNION':
        return {
          kind: t.kind === 'STRUCT' ? 'struct' : 'union',
          name: t.name || undefined,
          size: t.size,
          members: t.members.map((m) => this.member(t.kindFlag, m.name, m.type, m.bitOffset, m.bitfieldSize)),
        };
      case 'FWD':
        return { kind: t.union ? 'union' : 'struct', name: t.name || undefined, size: undefined, members: [] };
      case 'ENUM':
      case 'ENUM64':
        return {
          kind: 'enum',
          name: t.name || undefined,
          size: t.size,
          signed: t.signed,
          values: t.values.map((v) => ({ name: v.name, value: v.value })),
          // BTF writes an enum forward declaration (and a distilled base enum) as an enum without enumerators.
          declaration: t.values.length === 0,
        };
      case 'TYPEDEF':
        return { kind: 'typedef', name: t.name, target: typeRef(t.type) };
      case 'CONST':
        return { kind: 'qualifier', qualifier: 'const', target: typeRef(t.type) };
      case 'VOLATILE':
        return { kind: 'qualifier', qualifier: 'volatile', target: typeRef(t.type) };
      case 'RESTRICT':
        return { kind: 'qualifier', qualifier: 'restrict', target: typeRef(t.type) };
      case 'FUNC_PROTO': {
        const params: Parameter[] = t.params.map((p) => ({ name: p.name || undefined, type: typeRef(p.type) }));
        const last = t.params[t.params.length - 1];
        // "..." is a last parameter without a name or a type.
        const variadic = last !== undefined && last.type === 0 && last.nameOff === 0;
        if (variadic) params.pop();
        return { kind: 'function', returns: typeRef(t.returns), params, variadic, prototyped: true };
      }
      case 'FUNC':
      case 'VAR':
      case 'DATASEC':
      case 'DECL_TAG':
      case 'TYPE_TAG':
        return { kind: 'unknown', reason: `${this.locate(typeRef(t.id))} is a ${t.kind}${t.name ? ` '${t.name}'` : ''}, not the type of a value` };
    }
  }

  /**
   * A member. With kind_flag the offset word holds the bitfield size; without it, a bitfield
   * is a member whose type is an INT narrower than its size (the older encoding): its
   * bits_offset adds to the member's offset and nr_bits is the width.
   */
  private member(kindFlag: boolean, name: string, type: number, bitOffset: number, bitfieldSize: number): Member {
    if (kindFlag) return { name: name || undefined, type: typeRef(type), bitOffset, bitSize: bitfieldSize === 0 ? undefined : bitfieldSize };
    if (type !== 0 && this.btf.kind(type) === BTF_KIND.INT) {
      const t = this.btf.type(type);
      if (t.kind === 'INT' && (t.bitOffset !== 0 || t.bits !== t.size * 8)) {
        return { name: name || undefined, type: typeRef(type), bitOffset: bitOffset + t.bitOffset, bitSize: t.bits };
      }
    }
    return { name: name || undefined, type: typeRef(type), bitOffset, bitSize: undefined };
  }

  /** Ids of `kind` named `name`: this blob's own types first, then the base's (a module's own definition wins). */
  private named(name: string, kind: number): number[] {
    const ids = this.btf.idsNamed(name, kind);
    const own = ids.filter((id) => id >= this.btf.startId);
    return own.length === ids.length ? ids : own.concat(ids.filter((id) => id < this.btf.startId));
  }

  /** Every FUNC named `name` (static functions of different units may share a name), own types first. */
  functionsByName(name: string): FunctionDecl[] {
    return this.named(name, BTF_KIND.FUNC).map((id) => {
      const f = this.btf.type(id);
      if (f.kind !== 'FUNC') throw new Error(`BTF id ${id} indexed as FUNC is a ${f.kind}`);
      const protoKind = this.btf.kind(f.type);
      if (protoKind !== BTF_KIND.FUNC_PROTO) {
        const owner = this.btf.owner(id);
        throw new InputError(owner.file, `type [${id}] FUNC '${name}' at ${at(owner.section, f.offset + 8)}: type_id ${f.type} is a ${kindName(protoKind)}, not a FUNC_PROTO`);
      }
      return { name, graph: this, type: typeRef(f.type), location: this.locate(typeRef(id)) };
    });
  }

  /** The FUNC named `name` (the first of functionsByName) as a declaration whose type is its FUNC_PROTO. */
  functionByName(name: string): FunctionDecl | undefined {
    return this.functionsByName(name)[0];
  }

  /**
   * The FUNC named `name` unless its prototype is `void (void)`: pahole gives an assembler
   * function (x86's memset, `__iowrite32_copy`) that type from the assembler unit's DWARF, so
   * BTF alone cannot tell it from a C function without parameters. (Linkage does not tell
   * either: pahole marks most global functions static.)
   */
  prototypedFunctionByName(name: string): FunctionDecl | undefined {
    const decl = this.functionByName(name);
    if (!decl) return undefined;
    const proto = this.node(decl.type);
    return proto.kind === 'function' && proto.params.length === 0 && !proto.variadic && this.node(proto.returns).kind === 'void' ? undefined : decl;
  }

  /**
   * The VAR named `name`. Kernel BTF (pahole up to 1.27 by default) has VARs only for per-CPU
   * variables, so most global variables are not found here.
   */
  variableByName(name: string): VariableDecl | undefined {
    const id = this.named(name, BTF_KIND.VAR)[0];
    if (id === undefined) return undefined;
    const v = this.btf.type(id);
    if (v.kind !== 'VAR') throw new Error(`BTF id ${id} indexed as VAR is a ${v.kind}`);
    return { name, graph: this, type: typeRef(v.type), location: this.locate(typeRef(id)) };
  }

  /**
   * The refs whose node is a `kind` named `name`: definitions first, then declarations
   * (FWD for struct/union, enumerator-less ENUM), each in id order, own types before the base's.
   */
  typeByName(kind: NamedTypeKind, name: string): TypeRef[] {
    const kinds: number[] =
      kind === 'struct' || kind === 'union'
        ? [kind === 'struct' ? BTF_KIND.STRUCT : BTF_KIND.UNION, BTF_KIND.FWD]
        : kind === 'enum'
          ? [BTF_KIND.ENUM, BTF_KIND.ENUM64]
          : kind === 'typedef'
            ? [BTF_KIND.TYPEDEF]
            : kind === 'int'
              ? [BTF_KIND.INT]
              : [BTF_KIND.FLOAT];
    const refs = kinds.flatMap((k) => this.named(name, k)).filter((id) => this.node(typeRef(id)).kind === kind);
    const isDeclaration = (id: number): boolean => {
      const n = this.node(typeRef(id));
      return ((n.kind === 'struct' || n.kind === 'union') && n.size === undefined) || (n.kind === 'enum' && n.declaration);
    };
    const ownFirst = (a: number, b: number): number => Number(b >= this.btf.startId) - Number(a >= this.btf.startId) || a - b;
    const defs = refs.filter((id) => !isDeclaration(id)).sort(ownFirst);
    const decls = refs.filter(isDeclaration).sort(ownFirst);
    return [...defs, ...decls].map(typeRef);
  }
}
