export { Btf, type ParseOptions } from './btf.js';
export { BTF_KIND, KIND_NAMES, kindName, type BtfKindName } from './constants.js';
export { matchDistilledBase, relocateSplit, validateDistilledBase, type DistilledBaseMatch, type DistilledStatus } from './distilled.js';
export { btfGraph, readBtf, readDistilledBase, readModuleBtf, type ModuleBtf } from './file.js';
export { BtfTypeGraph, type BtfGraphOptions, type NamedTypeKind } from './type-graph.js';
export type { BtfHeader } from './header.js';
export { checkSplitBase, splitFacts, splitOwnTypes, type SplitOwnType, type SplitBaseCheck, type SplitBaseFinding, type SplitBaseProblem, type SplitFacts } from './split.js';
export { BtfStrings } from './strings.js';
export type { BtfEnumValue, BtfMember, BtfParam, BtfSecinfo, BtfType, BtfTypeKind, Linkage } from './types.js';
