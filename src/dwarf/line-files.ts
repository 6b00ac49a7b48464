import { posix } from 'node:path';
import { DW_FORM } from './constants.js';
import type { DwarfFile } from './file.js';
import { Cursor } from './reader.js';
import { readInitialLength } from './unit.js';

/** DW_LNCT content types of a DWARF 5 directory or file entry. */
const DW_LNCT_path = 0x1;
const DW_LNCT_directory_index = 0x2;

/**
 * The file table of one line program (.debug_line at a unit's DW_AT_stmt_list): what
 * DW_AT_decl_file indexes. Only the header is read, not the line program.
 */
export interface LineFiles {
  /** The full path of file index `i` (absolute when the producer gave absolute directories); undefined when there is no such index. */
  file(index: number): string | undefined;
  /** Every file path of the table. */
  readonly paths: readonly string[];
}

/**
 * Reads the file table of the line program at `offset` of .debug_line (DWARF 2-5); undefined
 * when the file has no .debug_line. `compDir` is the unit's DW_AT_comp_dir: directory 0 of
 * DWARF 4 and before.
 */
export function readLineFiles(dwarf: DwarfFile, offset: number, compDir: string | undefined): LineFiles | undefined {
  const bytes = dwarf.sectionBytes('.debug_line');
  if (!bytes) return undefined;
  const c = new Cursor(bytes, offset, dwarf.littleEndian, dwarf.file, '.debug_line');
  const { length, offsetSize } = readInitialLength(c);
  const end = c.pos + length;
  if (end > bytes.length) c.fail(`line program of ${length} bytes runs past the section`);
  const version = c.u16();
  if (version < 2 || version > 5) c.fail(`line program version ${version}`);
  if (version >= 5) {
    c.u8(); // address_size
    c.u8(); // segment_selector_size
  }
  c.offset(offsetSize, 'header length');
  c.u8(); // minimum_instruction_length
  if (version >= 4) c.u8(); // maximum_operations_per_instruction
  c.u8(); // default_is_stmt
  c.u8(); // line_base
  c.u8(); // line_range
  const opcodeBase = c.u8();
  c.skip(Math.max(0, opcodeBase - 1)); // standard_opcode_lengths

  const dirs: string[] = [];
  const files: string[] = [];
  const join = (dir: string | undefined, name: string) => (posix.isAbsolute(name) || !dir ? name : posix.join(dir, name));
  if (version >= 5) {
    const entries = (what: string): { path: string | undefined; dir: number | undefined }[] => {
      const formats: [number, number][] = [];
      const formatCount = c.u8();
      for (let i = 0; i < formatCount; i++) formats.push([c.uleb(), c.uleb()]);
      const count = c.uleb();
      if (count > end - c.pos) c.fail(`${count} ${what} entries in ${end - c.pos} bytes`);
      const out: { path: string | undefined; dir: number | undefined }[] = [];
      for (let i = 0; i < count; i++) {
        let path: string | undefined;
        let dir: number | undefined;
        for (const [type, form] of formats) {
          const v = readForm(c, form, offsetSize, dwarf);
          if (type === DW_LNCT_path && typeof v === 'string') path = v;
          else if (type === DW_LNCT_directory_index && typeof v === 'number') dir = v;
        }
        out.push({ path, dir });
      }
      return out;
    };
    for (const d of entries('directory')) dirs.push(d.path ?? '');
    for (const f of entries('file')) files.push(f.path === undefined ? '' : join(dirs[f.dir ?? 0], f.path));
  } else {
    dirs.push(compDir ?? '');
    for (let d = c.cstring(); d !== ''; d = c.cstring()) dirs.push(join(compDir, d));
    // File indexes start at 1 before DWARF 5.
    files.push('');
    for (let name = c.cstring(); name !== ''; name = c.cstring()) {
      const dir = c.uleb();
      c.skipLeb(); // modification time
      c.skipLeb(); // length
      files.push(join(dirs[dir], name));
    }
  }
  const paths = files.map((f) => (f ? posix.normalize(f) : ''));
  return { file: (index) => paths[index] || undefined, paths: paths.filter(Boolean) };
}

/** One value of a DWARF 5 entry format: a string, a number, or undefined for what a file table does not need (MD5). */
function readForm(c: Cursor, form: number, offsetSize: 4 | 8, dwarf: DwarfFile): string | number | undefined {
  switch (form) {
    case DW_FORM.string:
      return c.cstring();
    case DW_FORM.line_strp:
    case DW_FORM.strp: {
      const at = c.offset(offsetSize);
      return dwarf.stringAt(form === DW_FORM.line_strp ? '.debug_line_str' : '.debug_str', at) ?? c.fail(`string form without its section`);
    }
    case DW_FORM.udata:
      return c.uleb();
    case DW_FORM.data1:
      return c.u8();
    case DW_FORM.data2:
      return c.u16();
    case DW_FORM.data4:
      return c.u32();
    case DW_FORM.data8:
      return c.u64Number('line table value');
    case DW_FORM.data16:
      c.skip(16);
      return undefined;
    case DW_FORM.block:
      c.skip(c.uleb());
      return undefined;
    default:
      return c.fail(`line table entry in form 0x${form.toString(16)}`);
  }
}
