import { InputError } from '../errors.js';
import { typeRef, type Enumerator, type Member, type Parameter, type TypeGraph, type TypeNode, type TypeRef, type TypeSource } from '../graph/type-graph.js';
import { DW_AT, DW_ATE, DW_OP_constu, DW_OP_plus_uconst, DW_TAG } from './constants.js';
import type { Die, Unit } from './die.js';
import type { DwarfFile } from './file.js';
import type { UnitHeader } from './unit.js';

/** Refs of DIEs in .debug_types are their offset plus this (DWARF 4 type units live apart). */
const DEBUG_TYPES_BASE = 2 ** 44;
export const VOID_REF: TypeRef = typeRef(-1);

/**
 * The types of one file's DWARF as a TypeGraph. A ref is the DIE's section offset; nodes are
 * decoded on first use and cached, so reading the prototype of one function reads the
 * handful of DIEs it reaches. Type-unit references (DW_FORM_ref_sig8) are followed through
 * an index of type units built on first need.
 */
export class DwarfTypeGraph implements TypeGraph {
  readonly source: TypeSource;
  readonly pointerSize: number;
  private readonly nodes = new Map<TypeRef, TypeNode>();
  private signatures: Map<bigint, TypeRef> | undefined;
  private synthetic = -2;
  private readonly decoding = new Set<TypeRef>();

  /**
   * With `completeDeclaration`, a struct, union or enum this unit only declares is looked up
   * by name elsewhere (a linked vmlinux defines each type in some unit, BTF has it once);
   * without, a declaration stays one (a frozen object that only declared a type never saw
   * its layout).
   */
  constructor(
    readonly dwarf: DwarfFile,
    private readonly completeDeclaration?: (kind: 'struct' | 'union' | 'enum', name: string) => TypeRef | undefined,
  ) {
    this.source = { format: 'dwarf', file: dwarf.file };
    this.pointerSize = dwarf.elf.header.is64 ? 8 : 4;
  }

  private completed(kind: 'struct' | 'union' | 'enum', name: string, ref: TypeRef): TypeNode | undefined {
    const definition = this.completeDeclaration?.(kind, name);
    return definition !== undefined && definition !== ref ? this.node(definition) : undefined;
  }

  /**
   * A declared struct, union or enum completed by name: its kind and name are known now,
   * its layout (size, members, enumerators) is looked up the first time it is read. Writing
   * `struct mm_struct *` in a declaration reads only the name; finding where the layout is
   * defined may search many units, which only a comparison that reaches the layout needs.
   * The layout read is the definition's, or the declaration's own (none) when no unit
   * defines it.
   */
  private deferred(kind: 'struct' | 'union' | 'enum', name: string, ref: TypeRef, declared: () => TypeNode): TypeNode {
    let layout: TypeNode | undefined;
    const complete = () => (layout ??= this.completed(kind, name, ref) ?? declared());
    if (kind === 'enum') {
      const enumLayout = () => complete() as Extract<TypeNode, { kind: 'enum' }>;
      return {
        kind,
        name,
        get size() {
          return enumLayout().size;
        },
        get signed() {
          return enumLayout().signed;
        },
        get values() {
          return enumLayout().values;
        },
        get declaration() {
          return enumLayout().declaration;
        },
      };
    }
    const aggregateLayout = () => complete() as Extract<TypeNode, { kind: 'struct' | 'union' }>;
    return {
      kind,
      name,
      get size() {
        return aggregateLayout().size;
      },
      get members() {
        return aggregateLayout().members;
      },
    };
  }

  static refOf(header: UnitHeader, dieOffset: number): TypeRef {
    return typeRef(header.section === '.debug_types' ? DEBUG_TYPES_BASE + dieOffset : dieOffset);
  }

  /** The unit and DIE a ref names: the one way from a TypeRef back to DWARF (a ref is not a section offset). */
  dieOf(ref: TypeRef): { unit: Unit; die: Die } {
    const section = ref >= DEBUG_TYPES_BASE ? '.debug_types' : '.debug_info';
    const offset = ref >= DEBUG_TYPES_BASE ? ref - DEBUG_TYPES_BASE : ref;
    const header = this.dwarf.headerAt(offset, section);
    if (!header) throw new InputError(this.dwarf.file, `${section}: a type reference points at 0x${offset.toString(16)}, which no unit holds`);
    const unit = this.dwarf.unit(header);
    return { unit, die: unit.dieAt(offset) };
  }

  locate(ref: TypeRef): string {
    if (ref === VOID_REF) return 'void';
    if (ref < 0) return 'an array dimension';
    const section = ref >= DEBUG_TYPES_BASE ? '.debug_types' : '.debug_info';
    const offset = ref >= DEBUG_TYPES_BASE ? ref - DEBUG_TYPES_BASE : ref;
    const header = this.dwarf.headerAt(offset, section);
    const cu = header && section === '.debug_info' ? this.dwarf.compileUnitAt(header.offset)?.name : undefined;
    return `DIE 0x${offset.toString(16)}${cu ? ` in compile unit ${cu}` : ` in ${section}`}`;
  }

  node(ref: TypeRef): TypeNode {
    if (ref === VOID_REF) return VOID;
    const cached = this.nodes.get(ref);
    if (cached) return cached;
    // Decoding an enum asks for its underlying type: a hostile file can make that a cycle.
    if (this.decoding.has(ref)) return { kind: 'unknown', reason: `${this.locate(ref)} refers to itself` };
    this.decoding.add(ref);
    try {
      const node = this.decode(ref);
      this.nodes.set(ref, node);
      return node;
    } finally {
      this.decoding.delete(ref);
    }
  }

  /** The ref DW_AT_type (or another reference attribute) points at; VOID_REF when absent. */
  typeAttr(unit: Unit, die: Die, at: number = DW_AT.type): TypeRef {
    const v = unit.attr(die, at);
    if (!v) return VOID_REF;
    if (v.kind === 'reference') return DwarfTypeGraph.refOf(unit.header, v.offset);
    if (v.kind === 'signature') return this.bySignature(v.value);
    return VOID_REF;
  }

  private bySignature(signature: bigint): TypeRef {
    if (!this.signatures) {
      this.signatures = new Map();
      for (const section of ['.debug_info', '.debug_types'] as const) {
        for (const h of this.dwarf.unitHeaders(section)) {
          if (h.typeSignature !== undefined && h.typeOffset !== undefined) {
            this.signatures.set(h.typeSignature, DwarfTypeGraph.refOf(h, h.offset + h.typeOffset));
          }
        }
      }
    }
    const ref = this.signatures.get(signature);
    if (ref === undefined) throw new InputError(this.dwarf.file, `DW_FORM_ref_sig8 0x${signature.toString(16)}: no type unit has that signature`);
    return ref;
  }

  private decode(ref: TypeRef): TypeNode {
    const { unit, die } = this.dieOf(ref);
    const tag = die.abbrev.tag;
    const name = unit.name(die);
    switch (tag) {
      case DW_TAG.base_type:
        return this.baseType(unit, die, name ?? '');
      case DW_TAG.pointer_type:
      case DW_TAG.reference_type:
      case DW_TAG.rvalue_reference_type:
        return { kind: 'pointer', target: this.typeAttr(unit, die) };
      case DW_TAG.typedef:
        return { kind: 'typedef', name: name ?? '', target: this.typeAttr(unit, die) };
      case DW_TAG.const_type:
        return { kind: 'qualifier', qualifier: 'const', target: this.typeAttr(unit, die) };
      case DW_TAG.volatile_type:
        return { kind: 'qualifier', qualifier: 'volatile', target: this.typeAttr(unit, die) };
      case DW_TAG.restrict_type:
        return { kind: 'qualifier', qualifier: 'restrict', target: this.typeAttr(unit, die) };
      case DW_TAG.atomic_type:
        return { kind: 'qualifier', qualifier: 'atomic', target: this.typeAttr(unit, die) };
      case DW_TAG.structure_type:
      case DW_TAG.class_type:
      case DW_TAG.union_type: {
        const kind = tag === DW_TAG.union_type ? 'union' : 'struct';
        if (unit.flag(die, DW_AT.declaration) && this.completeDeclaration && name) return this.deferred(kind, name, ref, () => this.aggregate(unit, die, kind, name));
        return this.aggregate(unit, die, kind, name);
      }
      case DW_TAG.enumeration_type:
        if (unit.flag(die, DW_AT.declaration) && this.completeDeclaration && name) return this.deferred('enum', name, ref, () => this.enumeration(unit, die, name));
        return this.enumeration(unit, die, name);
      case DW_TAG.array_type:
        return this.array(unit, die);
      case DW_TAG.subroutine_type:
      case DW_TAG.subprogram:
        return this.functionType(unit, die);
      case DW_TAG.unspecified_type:
        return { kind: 'unknown', reason: `unspecified type ${name ?? ''}`.trim() };
      default:
        return { kind: 'unknown', reason: `DWARF tag 0x${tag.toString(16)} is not a type` };
    }
  }

  private baseType(unit: Unit, die: Die, name: string): TypeNode {
    const size = Number(unit.unsigned(die, DW_AT.byte_size) ?? 0n);
    const encoding = Number(unit.unsigned(die, DW_AT.encoding) ?? 0n);
    switch (encoding) {
      case DW_ATE.float:
      case DW_ATE.complex_float:
        return { kind: 'float', name, size };
      case DW_ATE.boolean:
        return { kind: 'int', name, size, encoding: 'bool' };
      case DW_ATE.signed:
        return { kind: 'int', name, size, encoding: 'signed' };
      case DW_ATE.signed_char:
        return { kind: 'int', name, size, encoding: 'signed-char' };
      case DW_ATE.unsigned_char:
        return { kind: 'int', name, size, encoding: 'unsigned-char' };
      case DW_ATE.unsigned:
      case DW_ATE.address:
      case DW_ATE.UTF:
        return { kind: 'int', name, size, encoding: 'unsigned' };
      default:
        return { kind: 'unknown', reason: `base type ${name} with encoding 0x${encoding.toString(16)}` };
    }
  }

  private aggregate(unit: Unit, die: Die, kind: 'struct' | 'union', name: string | undefined): TypeNode {
    if (unit.flag(die, DW_AT.declaration)) return { kind, name, size: undefined, members: [] };
    const size = unit.unsigned(die, DW_AT.byte_size);
    const members: Member[] = [];
    for (const child of unit.children(die)) {
      if (child.abbrev.tag !== DW_TAG.member) continue;
      members.push(this.member(unit, child));
    }
    return { kind, name, size: size === undefined ? undefined : Number(size), members };
  }

  private member(unit: Unit, die: Die): Member {
    const type = this.typeAttr(unit, die);
    const bitSize = unit.unsigned(die, DW_AT.bit_size);
    let bitOffset = 0;
    const dataBitOffset = unit.unsigned(die, DW_AT.data_bit_offset);
    if (dataBitOffset !== undefined) {
      bitOffset = Number(dataBitOffset);
    } else {
      const loc = unit.attr(die, DW_AT.data_member_location);
      let byteOffset = 0;
      if (loc?.kind === 'constant') byteOffset = Number(loc.value);
      else if (loc?.kind === 'block') byteOffset = locationConstant(loc.bytes);
      bitOffset = byteOffset * 8;
      // DWARF 2/3 bitfields: DW_AT_bit_offset counts from the most significant bit of the storage unit.
      const oldBitOffset = unit.unsigned(die, DW_AT.bit_offset);
      if (oldBitOffset !== undefined && bitSize !== undefined) {
        const storage = Number(unit.unsigned(die, DW_AT.byte_size) ?? 0n) * 8;
        bitOffset += this.dwarf.littleEndian ? storage - Number(oldBitOffset) - Number(bitSize) : Number(oldBitOffset);
      }
    }
    return { name: unit.name(die), type, bitOffset, bitSize: bitSize === undefined ? undefined : Number(bitSize) };
  }

  private enumeration(unit: Unit, die: Die, name: string | undefined): TypeNode {
    const size = Number(unit.unsigned(die, DW_AT.byte_size) ?? 4n);
    if (unit.flag(die, DW_AT.declaration)) return { kind: 'enum', name, size, signed: false, values: [], declaration: true };
    const underlying = this.typeAttr(unit, die);
    let signed: boolean | undefined;
    if (underlying !== VOID_REF) {
      const base = this.node(underlying);
      if (base.kind === 'int') signed = base.encoding === 'signed' || base.encoding === 'signed-char';
    }
    const values: Enumerator[] = [];
    for (const child of unit.children(die)) {
      if (child.abbrev.tag !== DW_TAG.enumerator) continue;
      const v = unit.attr(child, DW_AT.const_value);
      let value = v?.kind === 'constant' ? v.value : 0n;
      if (v?.kind === 'constant' && v.signed && value < 0n) signed ??= true;
      values.push({ name: unit.name(child) ?? '', value });
    }
    signed ??= false;
    if (signed) {
      // Unsigned data forms hold negative enumerators of a signed enum in two's complement.
      for (let i = 0; i < values.length; i++) values[i] = { name: values[i]!.name, value: BigInt.asIntN(size * 8, values[i]!.value) };
    }
    return { kind: 'enum', name, size, signed, values, declaration: false };
  }

  private array(unit: Unit, die: Die): TypeNode {
    const element = this.typeAttr(unit, die);
    const counts: (number | undefined)[] = [];
    for (const child of unit.children(die)) {
      if (child.abbrev.tag !== DW_TAG.subrange_type) continue;
      const count = unit.unsigned(child, DW_AT.count);
      const upper = unit.attr(child, DW_AT.upper_bound);
      if (count !== undefined) counts.push(Number(count));
      else if (upper?.kind === 'constant') counts.push(Number(upper.signed ? upper.value : BigInt.asIntN(64, upper.value)) + 1);
      else counts.push(undefined);
    }
    if (counts.length === 0) return { kind: 'array', element, count: undefined };
    if (counts.length === 1 && unit.flag(die, DW_AT.GNU_vector)) return { kind: 'array', element, count: counts[0], vector: true };
    // int a[2][3]: the first subrange is the outermost dimension.
    let inner = element;
    for (let i = counts.length - 1; i >= 1; i--) {
      const ref = typeRef(this.synthetic--);
      this.nodes.set(ref, { kind: 'array', element: inner, count: counts[i] });
      inner = ref;
    }
    return { kind: 'array', element: inner, count: counts[0] };
  }

  private functionType(unit: Unit, die: Die): TypeNode {
    // A concrete out-of-line instance (DW_AT_abstract_origin) lists its parameters without
    // types: the prototype is the abstract instance's. A definition completing an earlier
    // declaration (DW_AT_specification) may leave it to the declaration too.
    let source = die;
    let sourceUnit = unit;
    for (let hops = 0; hops < 4; hops++) {
      const origin = this.typeAttr(sourceUnit, source, DW_AT.abstract_origin);
      if (origin === VOID_REF) break;
      ({ unit: sourceUnit, die: source } = this.dieOf(origin));
    }
    const hasParams = (u: Unit, d: Die) =>
      u.children(d).some((c) => c.abbrev.tag === DW_TAG.formal_parameter || c.abbrev.tag === DW_TAG.unspecified_parameters);
    if (!hasParams(sourceUnit, source) && !sourceUnit.has(source, DW_AT.type)) {
      const spec = this.typeAttr(sourceUnit, source, DW_AT.specification);
      if (spec !== VOID_REF) ({ unit: sourceUnit, die: source } = this.dieOf(spec));
    }
    const params: Parameter[] = [];
    let variadic = false;
    for (const child of sourceUnit.children(source)) {
      if (child.abbrev.tag === DW_TAG.formal_parameter) {
        params.push({ name: sourceUnit.name(child), type: this.typeAttr(sourceUnit, child) });
      } else if (child.abbrev.tag === DW_TAG.unspecified_parameters) {
        variadic = true;
      }
    }
    return {
      kind: 'function',
      returns: this.typeAttr(sourceUnit, source),
      params,
      variadic,
      prototyped: sourceUnit.flag(source, DW_AT.prototyped),
    };
  }
}

const VOID: TypeNode = { kind: 'void' };

/** DW_AT_data_member_location as an expression: DW_OP_plus_uconst n (DWARF 2) or DW_OP_constu n. */
function locationConstant(bytes: Buffer): number {
  if (bytes.length === 0) return 0;
  const op = bytes[0];
  if (op !== DW_OP_plus_uconst && op !== DW_OP_constu) return 0;
  let result = 0;
  let shift = 0;
  for (let i = 1; i < bytes.length; i++) {
    const b = bytes[i]!;
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) break;
    shift += 7;
  }
  return result;
}
