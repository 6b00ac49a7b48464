import { dirname, resolve } from 'node:path';
import { InputError, hex } from '../errors.js';
import type { ByteSource } from './source.js';

export interface ArchiveMember {
  /** Member name; for thin archives, the path of the member file relative to the archive. */
  readonly name: string;
  /** Offset of the member's data in the archive (regular archives only). */
  readonly dataOffset: number;
  readonly size: number;
}

export interface Archive {
  readonly thin: boolean;
  readonly members: readonly ArchiveMember[];
  /** The archive symbol index: symbol → name of the member that defines it. */
  readonly symbolIndex: ReadonlyMap<string, string>;
  /** Where a thin archive's member lives on disk. */
  memberPath(member: ArchiveMember): string;
}

const HEADER = 60;

/**
 * Reads a System V / GNU `ar` archive, regular (`!<arch>`) or thin (`!<thin>`, as kbuild
 * writes vmlinux.a and built-in.a since v6.1): member names through the `//` long-name table
 * and the `/` (32-bit) or `/SYM64/` (64-bit) symbol index.
 */
export function readArchive(source: ByteSource, archivePath: string): Archive {
  const magic = source.read(0, 8, 'archive magic').toString('latin1');
  if (magic !== '!<arch>\n' && magic !== '!<thin>\n') throw new InputError(source.name, 'not an ar archive');
  const thin = magic === '!<thin>\n';
  const members: ArchiveMember[] = [];
  let longNames: Buffer | undefined;
  let symbolTable: { data: Buffer; wide: boolean } | undefined;
  const symbolOffsets: number[] = [];
  const memberAtOffset = new Map<number, string>();

  let off = 8;
  while (off + HEADER <= source.size) {
    const h = source.read(off, HEADER, `archive member header at ${hex(off)}`).toString('latin1');
    if (h.slice(58, 60) !== '`\n') throw new InputError(source.name, `corrupt archive member header at ${hex(off)}`);
    const rawName = h.slice(0, 16).trimEnd();
    // ar_size is decimal digits padded with spaces; parseInt would take "0X" as 0.
    const sizeField = h.slice(48, 58).trim();
    const size = /^\d+$/.test(sizeField) ? Number(sizeField) : Number.NaN;
    if (!Number.isSafeInteger(size)) throw new InputError(source.name, `bad member size at ${hex(off)}`);
    const dataOffset = off + HEADER;
    const special = rawName === '/' || rawName === '/SYM64/' || rawName === '//';
    // Thin archives store only the index and name table inline; members live elsewhere.
    const inline = !thin || special;
    if (inline && dataOffset + size > source.size) {
      throw new InputError(source.name, `truncated: member at ${hex(off)} runs past the end of the archive`);
    }
    if (rawName === '/' || rawName === '/SYM64/') {
      symbolTable = { data: source.read(dataOffset, size, 'archive symbol index'), wide: rawName === '/SYM64/' };
    } else if (rawName === '//') {
      longNames = source.read(dataOffset, size, 'archive long-name table');
    } else {
      let name: string;
      if (rawName.startsWith('/')) {
        // "/<decimal offset>" into the "//" table: digits only (no sign), inside the table,
        // and the name ends at its "/\n" before the table does. GNU ar may end the field
        // with a "/" after the padding ("/3838          /", as in kbuild's thin vmlinux.a).
        const digits = /^\/(\d{1,10}) *\/?$/.exec(rawName)?.[1];
        const at = digits === undefined ? Number.NaN : Number(digits);
        if (!longNames) throw new InputError(source.name, `archive member header at ${hex(off)}: long name ${rawName} but no long-name table before it`);
        if (!Number.isSafeInteger(at) || at >= longNames.length) {
          throw new InputError(source.name, `archive member header at ${hex(off)}: bad long-name reference ${rawName} (the table has ${longNames.length} bytes)`);
        }
        const end = longNames.indexOf('\n', at);
        if (end < 0) throw new InputError(source.name, `archive member header at ${hex(off)}: long name at ${at} runs past the end of the long-name table`);
        name = longNames.toString('latin1', at, end).replace(/\/$/, '');
        if (name === '' || name.includes('\0')) throw new InputError(source.name, `archive member header at ${hex(off)}: empty or malformed long name at ${at}`);
      } else {
        name = rawName.replace(/\/$/, '');
      }
      members.push({ name, dataOffset, size });
      memberAtOffset.set(off, name);
    }
    const next = inline ? dataOffset + size : dataOffset;
    off = next + (next & 1);
  }

  const symbolIndex = new Map<string, string>();
  if (symbolTable) {
    const { data, wide } = symbolTable;
    const w = wide ? 8 : 4;
    if (data.length < w) throw new InputError(source.name, `corrupt archive symbol index: ${data.length} bytes, too short for its ${w}-byte symbol count`);
    const count = wide ? Number(data.readBigUInt64BE(0)) : data.readUInt32BE(0);
    if ((count + 1) * w > data.length) throw new InputError(source.name, 'corrupt archive symbol index');
    for (let i = 0; i < count; i++) {
      symbolOffsets.push(wide ? Number(data.readBigUInt64BE(w + i * w)) : data.readUInt32BE(w + i * w));
    }
    let s = (count + 1) * w;
    for (let i = 0; i < count; i++) {
      const end = data.indexOf(0, s);
      if (end < 0) throw new InputError(source.name, 'corrupt archive symbol index (unterminated name)');
      const sym = data.toString('latin1', s, end);
      const member = memberAtOffset.get(symbolOffsets[i]!);
      if (member !== undefined && !symbolIndex.has(sym)) symbolIndex.set(sym, member);
      s = end + 1;
    }
  }

  const base = dirname(archivePath);
  return {
    thin,
    members,
    symbolIndex,
    memberPath: (m) => resolve(base, m.name),
  };
}
