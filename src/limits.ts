/**
 * The bounds relinkable puts on what it reads, as data: each limit has a name (the one an
 * error names when input goes past it), a value, a unit and the reason for the value. A
 * limit is set well above anything a real kernel or object needs, and low enough that input
 * past it cannot exhaust memory, the stack or time. docs/robustness.md lists where each is
 * checked.
 */

export interface Limit {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly why: string;
}

const limit = (name: string, value: number, unit: string, why: string): Limit => ({ name, value, unit, why });

const MiB = 1024 * 1024;

export const LIMITS = {
  // ── files ──
  /** Text inputs read whole: Module.symvers, .config, System.map, modules.order, .mod, .cmd files, headers, linker scripts. */
  TEXT_FILE_SIZE: limit('TEXT_FILE_SIZE', 256 * MiB, 'bytes', "a distribution kernel's System.map is ~8 MB and Module.symvers ~2 MB; 256 MiB stays well under V8's longest string (~512 MiB)"),
  /** JSON inputs read whole: ABI snapshots and catalogue entries. */
  JSON_FILE_SIZE: limit('JSON_FILE_SIZE', 64 * MiB, 'bytes', 'the snapshot of the largest Debian module with its types is ~2 MB; JSON.parse holds several times the text in memory'),
  /** One line of a line-oriented text input. */
  TEXT_LINE_LENGTH: limit('TEXT_LINE_LENGTH', 1 * MiB, 'characters', "the longest real lines (a preprocessed vmlinux.lds macro, a large module's .mod) are tens of KB"),

  // ── ELF ──
  /** Entries of an ELF section table (e_shnum, or section 0's sh_size with extended numbering). */
  SECTION_COUNT: limit('SECTION_COUNT', 1 << 24, 'sections', 'a -ffunction-sections vmlinux.o has ~500,000 sections; 2^24 table entries are 1 GiB of section headers'),
  /** A section's size after decompression (SHF_COMPRESSED, .zdebug). */
  DECOMPRESSED_SECTION_SIZE: limit('DECOMPRESSED_SECTION_SIZE', 2 ** 31 - 1, 'bytes', ".debug_info of a distribution vmlinux is ~220 MB; 2 GiB is the largest Buffer every Node 20 platform allocates"),
  /** Separate byte ranges one prefetched read of a build-directory object may ask for. */
  PREFETCH_ROUNDS: limit('PREFETCH_ROUNDS', 32, 'ranges', 'reading an object up to its symbol table takes a handful of ranges; more means the reader is being led around'),

  // ── compressed kernel images ──
  /** A bzImage (vmlinuz) read whole to find and decompress its payload. */
  KERNEL_IMAGE_SIZE: limit('KERNEL_IMAGE_SIZE', 256 * MiB, 'bytes', "Debian's vmlinuz is 8 MB (6.1) to 12 MB (6.12)"),
  /** The vmlinux decompressed out of a bzImage, held in memory. */
  DECOMPRESSED_KERNEL_SIZE: limit('DECOMPRESSED_KERNEL_SIZE', 1024 * MiB, 'bytes', "Debian's stripped vmlinux is 58 MB (6.12.117) to 66 MB (6.1.170); the whole image is held in memory while it is read"),
  /** Symbols a kallsyms table may declare (kallsyms_num_syms). */
  KALLSYMS_COUNT: limit('KALLSYMS_COUNT', 4_000_000, 'symbols', "Debian's kernels have ~150,000 (6.1) to ~200,000 (6.12); an allyesconfig kernel under a million"),

  // ── DWARF ──
  /** Nesting of a unit's DIE tree. */
  DIE_DEPTH: limit('DIE_DEPTH', 4096, 'levels', 'C nests a few dozen levels (lexical blocks in macros); the walk is iterative, so this bounds only nonsense'),

  // ── linker scripts ──
  /** Nesting of parentheses, unary operators, ?: and sorted or excluded section lists in a linker script. */
  LINKER_SCRIPT_NESTING: limit('LINKER_SCRIPT_NESTING', 256, 'levels', "the kernel's vmlinux.lds nests expressions under 20 deep; the parser recurses, so depth costs stack"),
  /** A file or section name pattern of a linker script. */
  GLOB_PATTERN_LENGTH: limit('GLOB_PATTERN_LENGTH', 4096, 'characters', "the kernel's section and file patterns are under 100 characters; matching costs pattern × name"),

  // ── C headers ──
  /** Lines of one C header read for its #defines (cpufeatures.h, extable_fixup_types.h). */
  HEADER_LINES: limit('HEADER_LINES', 1_000_000, 'lines', 'cpufeatures.h has ~500 lines'),
  /** Tokens one macro expansion may produce. */
  MACRO_EXPANSION: limit('MACRO_EXPANSION', 100_000, 'tokens', 'the feature and fixup-type macros expand to a few dozen tokens; a self-multiplying macro would grow without end'),

  // ── the type model ──
  /** Nesting of one type in another: by value (members, array elements, parameters compared in place), as declarators, as array dimensions. */
  TYPE_NESTING: limit('TYPE_NESTING', 64, 'levels', "the kernel nests types by value under 12 deep (sk_buff's unnamed unions) and declarators a few deep; the comparison, the C declarations and the calling-convention classifier recurse, so depth costs stack, and a type that holds itself by value never ends"),

  // ── messages ──
  /** An error line as printed: the problem, its file name and any quoted input. */
  ERROR_LINE_LENGTH: limit('ERROR_LINE_LENGTH', 2000, 'characters', 'one readable line in a terminal or a CI log; a quoted excerpt of hostile input is cut, not printed whole'),
  /** Type ids a BTF reference-loop error lists before it says how many more there are. */
  LOOP_IDS_SHOWN: limit('LOOP_IDS_SHOWN', 8, 'type ids', 'enough to find the loop with bpftool; a loop over 100,000 types must not become a 1 MB line'),
} as const satisfies Record<string, Limit>;

/** The words of an error for input past a limit: what, how much, and which limit. */
export function overLimit(l: Limit, what: string, actual?: number | bigint): string {
  const amount = actual === undefined ? `more than ${l.value}` : `${actual}`;
  return `${what}: ${amount} ${l.unit}, over the limit ${l.name} (${l.value})`;
}
