import { execFileSync } from 'node:child_process';

/** readelf (binutils) is the oracle for what an ELF file contains. */
function readelf(args: string[]): string {
  return execFileSync('readelf', args, { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] });
}

export interface ReadelfSection {
  index: number;
  name: string;
  type: string;
  address: bigint;
  offset: number;
  size: number;
  entsize: number;
  flags: string;
  link: number;
  info: number;
  align: number;
}

// readelf's long names for section types, mapped to the gABI names relinkable prints.
const READELF_TYPE_NAMES: Record<string, string> = { 'SYMTAB SECTION INDICES': 'SYMTAB_SHNDX', 'GNU_ATTRIBUTES': 'GNU_ATTRIBUTES' };

export function readelfSections(path: string): ReadelfSection[] {
  const out: ReadelfSection[] = [];
  for (const line of readelf(['-SW', path]).split('\n')) {
    const m = /^\s*\[\s*(\d+)\]\s(.*)$/.exec(line);
    if (!m) continue;
    const rest = m[2]!;
    const index = Number(m[1]);
    // name, type (may be several words), then fixed columns: address offset size entsize flags link info align.
    const cols = /^\s*(\S*)\s+(.+?)\s+([0-9a-f]{8}|[0-9a-f]{16})\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([A-Za-z]*)\s+(\d+)\s+(\d+)\s+(\d+)$/.exec(
      index === 0 ? ` - ${rest}` : rest,
    );
    if (!cols) throw new Error(`cannot parse readelf section line: ${line}`);
    out.push({
      index,
      name: index === 0 ? '' : cols[1]!,
      type: READELF_TYPE_NAMES[cols[2]!] ?? cols[2]!,
      address: BigInt(`0x${cols[3]}`),
      offset: Number.parseInt(cols[4]!, 16),
      size: Number.parseInt(cols[5]!, 16),
      entsize: Number.parseInt(cols[6]!, 16),
      flags: cols[7]!,
      link: Number(cols[8]),
      info: Number(cols[9]),
      align: Number(cols[10]),
    });
  }
  return out;
}

export interface ReadelfSymbol {
  index: number;
  value: bigint;
  size: number;
  type: string;
  bind: string;
  vis: string;
  ndx: string;
  name: string;
}

export function readelfSymbols(path: string): ReadelfSymbol[] {
  const out: ReadelfSymbol[] = [];
  let inSymtab = false;
  for (const line of readelf(['-sW', path]).split('\n')) {
    if (line.startsWith("Symbol table '")) inSymtab = line.includes("'.symtab'");
    if (!inSymtab) continue;
    const m = /^\s*(\d+):\s+([0-9a-f]+)\s+(\d+|0x[0-9a-f]+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s?(.*)$/.exec(line);
    if (!m) continue;
    out.push({
      index: Number(m[1]),
      value: BigInt(`0x${m[2]}`),
      size: Number(m[3]),
      type: m[4]!,
      bind: m[5]!,
      vis: m[6]!,
      ndx: m[7]!,
      name: m[8]!.replace(/@.*$/, ''),
    });
  }
  return out;
}

export interface ReadelfRelocation {
  section: string;
  offset: bigint;
  type: string;
  symbol: string;
}

export function readelfRelocations(path: string): ReadelfRelocation[] {
  const out: ReadelfRelocation[] = [];
  let section = '';
  for (const line of readelf(['-rW', path]).split('\n')) {
    const header = /^Relocation section '([^']+)'/.exec(line);
    if (header) {
      section = header[1]!;
      continue;
    }
    const m = /^([0-9a-f]{8,16})\s+([0-9a-f]+)\s+(\S+)\s*(?:([0-9a-f]+)\s+(\S+))?/.exec(line);
    if (!m || !section) continue;
    out.push({ section, offset: BigInt(`0x${m[1]}`), type: m[3]!, symbol: m[5] ?? '' });
  }
  return out;
}

export interface ReadelfCompileUnit {
  offset: number;
  version: number;
  name: string | undefined;
  producer: string | undefined;
}

/** Compile units as `readelf --debug-dump=info` prints them (it applies .rela.debug_* in objects). */
export function readelfCompileUnits(path: string): ReadelfCompileUnit[] {
  const text = readelf(['--debug-dump=info', path]);
  const out: ReadelfCompileUnit[] = [];
  let current: ReadelfCompileUnit | undefined;
  let inRoot = false;
  for (const line of text.split('\n')) {
    const unit = /Compilation Unit @ offset (0x[0-9a-f]+|\d+):/.exec(line);
    if (unit) {
      current = { offset: Number(unit[1]), version: 0, name: undefined, producer: undefined };
      out.push(current);
      inRoot = false;
      continue;
    }
    if (!current) continue;
    const version = /^\s+Version:\s+(\d+)/.exec(line);
    if (version) current.version = Number(version[1]);
    if (/<0><[0-9a-f]+>: Abbrev Number: \d+ \(DW_TAG_(compile|partial)_unit\)/.test(line)) {
      inRoot = true;
      continue;
    }
    if (/<1><[0-9a-f]+>/.test(line)) inRoot = false;
    if (!inRoot) continue;
    const attr = /^\s+<[0-9a-f]+>\s+DW_AT_(name|producer)\s*:\s*(?:\([^)]*\):\s)?(.*)$/.exec(line);
    if (attr) current[attr[1] as 'name' | 'producer'] = attr[2]!.trim();
  }
  return out;
}

/** Names of the external subprogram/variable declarations at the top level of each unit. */
export function readelfDeclarations(path: string): string[] {
  const text = readelf(['--debug-dump=info', path]);
  const names: string[] = [];
  let block: string[] = [];
  const flush = () => {
    const head = block[0] ?? '';
    if (/<1><[0-9a-f]+>: Abbrev Number: \d+ \(DW_TAG_(subprogram|variable)\)/.test(head)) {
      const body = block.join('\n');
      const name = /DW_AT_name\s*:\s*(?:\([^)]*\):\s)?(\S+)/.exec(body)?.[1];
      if (name && /DW_AT_declaration/.test(body) && /DW_AT_external/.test(body)) names.push(name);
    }
    block = [];
  };
  for (const line of text.split('\n')) {
    if (/^\s*<\d+><[0-9a-f]+>: Abbrev Number/.test(line)) flush();
    block.push(line);
  }
  flush();
  return names.sort();
}
