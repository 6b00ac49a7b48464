/**
 * GNU ld linker scripts: the AST (ast.ts), reading and parsing (parse.ts), ld's wildcard
 * matching (glob.ts), where ld places an input section (place.ts) and placements in prose
 * (describe.ts).
 */
export type { InputSectionDescription, LinkerScript, OutputSection, SectionPattern, SymbolAssignment } from './ast.js';
export { parseLinkerScript, readLinkerScript } from './parse.js';
export { globMatch } from './glob.js';
export { outputSectionNames, placeSection, type InputFile, type Placement } from './place.js';
export { describePlacement, describePlacementChange, type PlacementChange } from './describe.js';
