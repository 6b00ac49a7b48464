/**
 * x86 special sections of kernel objects, read as facts with evidence (section, offset):
 * entry sizes inferred from relocations (entries.ts), CPU feature numbers from a
 * cpufeatures.h (cpufeatures.ts), `.altinstructions` (alternatives.ts), `__ex_table` and
 * extable_fixup_types.h (extable.ts), ORC tables and `.orc_header` (orc.ts).
 */
export {
  X86_SPECIAL_SECTIONS,
  inferEntrySize,
  relocationsPerEntry,
  specialSection,
  specialSectionSizes,
  type EntryLayout,
  type EntrySize,
  type RelocationsPerEntry,
  type SpecialSection,
} from './entries.js';
export { CpuFeatures, parseCpufeatures, readCpufeatures, type CpuFeature, type HeaderText } from './cpufeatures.js';
export {
  decodeAlternatives,
  featureMeanings,
  inferAltEntrySize,
  type AltEntry,
  type AltEntrySize,
  type Alternatives,
  type FeatureChange,
  type FeatureMeaning,
} from './alternatives.js';
export {
  EXTABLE_ENTRY_SIZE,
  decodeExtable,
  extableCompositeNames,
  extableTypeNames,
  extableTypesUsed,
  parseExtableTypes,
  readExtableTypes,
  undefinedExtableTypes,
  type Extable,
  type ExtableEntry,
  type ExtableTypeUse,
} from './extable.js';
export { compareOrcHeaders, orcHashOfSource, orcTables, readOrcHeader, type OrcHeader, type OrcHeaderComparison, type OrcHeaders, type OrcTables } from './orc.js';
export { RelocatedSection, describeSite, type FieldRelocation, type FieldTarget, type Site } from '../sites.js';
