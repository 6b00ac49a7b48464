// elfy ships no types. Only the pieces relinkable uses are declared: the header decoder and the
// per-entry section decoder (see src/elf/table.ts for which of their fields are trusted).
declare module 'elfy' {
  export interface ElfyHeader {
    class: '32' | '64';
    endian: 'lsb' | 'msb';
    type: string | undefined;
    machine: string | undefined;
    entry: number;
    phoff: number;
    shoff: number;
    flags: number;
    ehsize: number;
    phentsize: number;
    phnum: number;
    shentsize: number;
    shnum: number;
    shstrndx: number;
  }
  export interface ElfySection {
    name: number;
    type: string | number;
    flags: Record<string, boolean>;
    addr: number;
    off: number;
    size: number;
    link: number;
    info: number;
    addralign: number;
    entsize: number;
    data: Buffer;
  }
  export class Parser {
    parseHeader(buf: Buffer): ElfyHeader;
    parseSection(entry: Buffer, header: ElfyHeader, file: Buffer): ElfySection;
  }
  const elfy: { Parser: typeof Parser; parse(buf: Buffer): unknown };
  export default elfy;
}
