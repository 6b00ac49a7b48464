import { DW_AT, DW_FORM } from './constants.js';

/**
 * Attribute classes (DWARF 5 §7.5.5, and what DWARF 2–4 allowed): which forms may encode an
 * attribute. A reader that takes DW_AT_name from a data4 form gets no name, and finds
 * nothing where the producer said something: a form outside its attribute's classes means
 * the abbreviation is not what the producer wrote, and the unit is refused.
 *
 * The pointer classes (lineptr, loclist, macptr, rnglist, their DWARF 5 bases and indexes,
 * addrptr, stroffsetsptr) are one class here: `offset`.
 */
export type AttributeClass = 'address' | 'block' | 'constant' | 'exprloc' | 'flag' | 'offset' | 'reference' | 'string';

const FORM_CLASSES = new Map<number, readonly AttributeClass[]>([
  [DW_FORM.addr, ['address']],
  [DW_FORM.addrx, ['address']],
  [DW_FORM.addrx1, ['address']],
  [DW_FORM.addrx2, ['address']],
  [DW_FORM.addrx3, ['address']],
  [DW_FORM.addrx4, ['address']],
  [DW_FORM.GNU_addr_index, ['address']],
  [DW_FORM.block, ['block']],
  [DW_FORM.block1, ['block']],
  [DW_FORM.block2, ['block']],
  [DW_FORM.block4, ['block']],
  [DW_FORM.data1, ['constant']],
  [DW_FORM.data2, ['constant']],
  // DWARF 2 and 3 used data4 and data8 for section offsets too.
  [DW_FORM.data4, ['constant', 'offset']],
  [DW_FORM.data8, ['constant', 'offset']],
  [DW_FORM.data16, ['constant']],
  [DW_FORM.sdata, ['constant']],
  [DW_FORM.udata, ['constant']],
  [DW_FORM.implicit_const, ['constant']],
  [DW_FORM.exprloc, ['exprloc']],
  [DW_FORM.flag, ['flag']],
  [DW_FORM.flag_present, ['flag']],
  [DW_FORM.sec_offset, ['offset']],
  [DW_FORM.loclistx, ['offset']],
  [DW_FORM.rnglistx, ['offset']],
  [DW_FORM.ref1, ['reference']],
  [DW_FORM.ref2, ['reference']],
  [DW_FORM.ref4, ['reference']],
  [DW_FORM.ref8, ['reference']],
  [DW_FORM.ref_udata, ['reference']],
  [DW_FORM.ref_addr, ['reference']],
  [DW_FORM.ref_sig8, ['reference']],
  [DW_FORM.ref_sup4, ['reference']],
  [DW_FORM.ref_sup8, ['reference']],
  [DW_FORM.GNU_ref_alt, ['reference']],
  [DW_FORM.string, ['string']],
  [DW_FORM.strp, ['string']],
  [DW_FORM.line_strp, ['string']],
  [DW_FORM.strp_sup, ['string']],
  [DW_FORM.strx, ['string']],
  [DW_FORM.strx1, ['string']],
  [DW_FORM.strx2, ['string']],
  [DW_FORM.strx3, ['string']],
  [DW_FORM.strx4, ['string']],
  [DW_FORM.GNU_str_index, ['string']],
  [DW_FORM.GNU_strp_alt, ['string']],
]);

/** The attributes relinkable reads, with the classes their forms may have. Others are not checked. */
const ATTRIBUTE_CLASSES = new Map<number, readonly AttributeClass[]>([
  [DW_AT.sibling, ['reference']],
  [DW_AT.location, ['exprloc', 'offset', 'block']],
  [DW_AT.name, ['string']],
  [DW_AT.byte_size, ['constant', 'exprloc', 'reference', 'block']],
  [DW_AT.bit_offset, ['constant', 'exprloc', 'reference', 'block']],
  [DW_AT.bit_size, ['constant', 'exprloc', 'reference', 'block']],
  [DW_AT.stmt_list, ['offset']],
  [DW_AT.low_pc, ['address']],
  [DW_AT.high_pc, ['address', 'constant']],
  [DW_AT.language, ['constant']],
  [DW_AT.comp_dir, ['string']],
  [DW_AT.const_value, ['block', 'constant', 'string']],
  [DW_AT.producer, ['string']],
  [DW_AT.prototyped, ['flag']],
  [DW_AT.upper_bound, ['constant', 'exprloc', 'reference', 'block']],
  [DW_AT.abstract_origin, ['reference']],
  [DW_AT.count, ['constant', 'exprloc', 'reference', 'block']],
  [DW_AT.data_member_location, ['constant', 'exprloc', 'offset', 'block']],
  [DW_AT.declaration, ['flag']],
  [DW_AT.encoding, ['constant']],
  [DW_AT.external, ['flag']],
  [DW_AT.specification, ['reference']],
  [DW_AT.type, ['reference']],
  [DW_AT.ranges, ['offset']],
  [DW_AT.data_bit_offset, ['constant']],
  [DW_AT.linkage_name, ['string']],
  [DW_AT.MIPS_linkage_name, ['string']],
  [DW_AT.str_offsets_base, ['offset']],
  [DW_AT.addr_base, ['offset']],
  [DW_AT.GNU_addr_base, ['offset']],
  [DW_AT.rnglists_base, ['offset']],
  [DW_AT.loclists_base, ['offset']],
  [DW_AT.dwo_name, ['string']],
  [DW_AT.GNU_dwo_name, ['string']],
  [DW_AT.noreturn, ['flag']],
  [DW_AT.alignment, ['constant']],
]);

/**
 * Whether `form` may encode attribute `at`: undefined when it may (or when the attribute or
 * the form is not one this table knows: vendor attributes, DW_FORM_indirect), else the
 * attribute's classes, for the error.
 */
export function formMismatch(at: number, form: number): readonly AttributeClass[] | undefined {
  const allowed = ATTRIBUTE_CLASSES.get(at);
  const classes = FORM_CLASSES.get(form);
  if (!allowed || !classes) return undefined;
  return classes.some((c) => allowed.includes(c)) ? undefined : allowed;
}
