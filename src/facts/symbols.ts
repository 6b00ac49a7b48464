/** ELF symbol bindings and types as every reader names them. */
export type SymbolBinding = 'local' | 'global' | 'weak' | 'other';
export type SymbolType = 'notype' | 'object' | 'func' | 'section' | 'file' | 'common' | 'tls' | 'other';

/** A symbol a linked file (vmlinux) defines: what the model needs of it to resolve a name and cite it. */
export interface LinkedSymbol {
  readonly name: string;
  readonly value: bigint;
  readonly size: number;
  readonly binding: SymbolBinding;
  readonly type: SymbolType;
  /** Section index in the file that defines it. */
  readonly shndx: number;
}

/** What a symbol names, as far as linking and calling are concerned. */
export type SymbolKind = 'function' | 'data' | 'tls' | 'unknown';

export function kindOfSymbolType(type: SymbolType): SymbolKind {
  switch (type) {
    case 'func':
      return 'function';
    case 'object':
    case 'common':
      return 'data';
    case 'tls':
      return 'tls';
    default:
      return 'unknown';
  }
}
