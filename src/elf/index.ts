export { ElfFile } from './file.js';
export { readArchive, type Archive, type ArchiveMember } from './archive.js';
export { FileSource, BufferSource, SliceSource, type ByteSource } from './source.js';
export { RelocationTable, relocationTypeName, type Relocation } from './relocations.js';
export { relocationKind, relocationWidth, type RelocationKind } from './relocation-types.js';
export { isDefined, isUndefinedReference, type ElfSymbol, type SymbolBinding, type SymbolType } from './symbols.js';
export { sectionTypeName, type ElfHeader, type ElfSection } from './table.js';
export type { ElfNote, GnuProperties } from './notes.js';
export * as elfConstants from './constants.js';
