export { DwarfFile, type CompileUnitSummary } from './file.js';
export { Unit, skipForm, type Die, type Attribute, type AttrValue } from './die.js';
export { AddressRanges } from './aranges.js';
export { DW_AT, DW_FORM, DW_TAG } from './constants.js';
export type { UnitHeader } from './unit.js';
