import type { SymbolType } from '../elf/index.js';

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
