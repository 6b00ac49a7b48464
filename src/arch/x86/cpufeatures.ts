import { basename, dirname, join } from 'node:path';
import { inputExists, readInputText } from '../../input-file.js';
import { InputError } from '../../errors.js';
import type { CpuFeatureTable } from '../../facts/x86-headers.js';
import { MacroTable, scanDefines, type MacroDefinition } from './cmacros.js';

/**
 * x86 CPU feature and bug numbers from a kernel's `arch/x86/include/asm/cpufeatures.h`:
 * `#define X86_FEATURE_FPU ( 0*32+ 0)` and `#define X86_BUG_F00F X86_BUG(0)`, where
 * `X86_BUG(x)` is `NCAPINTS*32 + (x)`. Objects carry only the numbers (in
 * `.altinstructions`, in `static_cpu_has` tests); what a number means depends on the header
 * of the kernel it is read against.
 */

export interface CpuFeature {
  /** The macro name: `X86_FEATURE_CLEAR_CPU_BUF`, `X86_BUG_SRSO`. */
  readonly name: string;
  readonly kind: 'feature' | 'bug';
  /** word*32 + bit: the number alternatives and `cpu_has()` use. */
  readonly number: number;
  readonly word: number;
  readonly bit: number;
  readonly file: string;
  readonly line: number;
  /** Enclosing preprocessor conditions (e.g. `CONFIG_X86_32` for X86_BUG_ESPFIX), outermost first. */
  readonly conditions: readonly string[];
  /** The /proc/cpuinfo name when the comment starts with a quoted string (`""`: not shown). */
  readonly cpuinfoName: string | undefined;
  /** Set when the body is another feature macro (`#define X86_FEATURE_A X86_FEATURE_B`). */
  readonly aliasOf: string | undefined;
}

export interface UnresolvedDefine {
  readonly name: string;
  readonly line: number;
  readonly body: string;
}

export class CpuFeatures implements CpuFeatureTable {
  readonly byName: ReadonlyMap<string, CpuFeature>;
  readonly byNumber: ReadonlyMap<number, readonly CpuFeature[]>;

  constructor(
    /** The header the features were read from. */
    readonly file: string,
    /** Words of feature bits (NCAPINTS) and of bug bits (NBUGINTS), with where each was defined. */
    readonly ncapints: number | undefined,
    readonly nbugints: number | undefined,
    readonly features: readonly CpuFeature[],
    /** X86_FEATURE_/X86_BUG_ defines whose value could not be computed. */
    readonly unresolved: readonly UnresolvedDefine[],
  ) {
    const byName = new Map<string, CpuFeature>();
    const byNumber = new Map<number, CpuFeature[]>();
    for (const f of features) {
      byName.set(f.name, f);
      const list = byNumber.get(f.number);
      if (list) list.push(f);
      else byNumber.set(f.number, [f]);
    }
    this.byName = byName;
    this.byNumber = byNumber;
  }

  /** The feature named `name`: the macro name, or short (`CLEAR_CPU_BUF` for a feature, `BUG_SRSO` for a bug). */
  get(name: string): CpuFeature | undefined {
    return this.byName.get(name) ?? this.byName.get(`X86_FEATURE_${name}`) ?? (name.startsWith('BUG_') ? this.byName.get(`X86_${name}`) : undefined);
  }

  number(name: string): number | undefined {
    return this.get(name)?.number;
  }

  /** Every macro name with this number (aliases share one), in header order. */
  names(number: number): string[] {
    return (this.byNumber.get(number) ?? []).map((f) => f.name);
  }

  /** Numbers that more than one name shares. */
  aliases(): Map<number, string[]> {
    const out = new Map<number, string[]>();
    for (const [n, list] of this.byNumber) if (list.length > 1) out.set(n, list.map((f) => f.name));
    return out;
  }
}

export interface HeaderText {
  readonly file: string;
  readonly text: string;
}

/**
 * Parse a cpufeatures.h. `others` are headers whose defines it relies on (NCAPINTS,
 * NBUGINTS and X86_BUG() live in cpufeature.h in some versions); the main header's own
 * definitions win.
 */
export function parseCpufeatures(header: HeaderText, others: readonly HeaderText[] = []): CpuFeatures {
  const table = new MacroTable();
  for (const o of others) for (const d of scanDefines(o.file, o.text)) table.add(d);
  const own = scanDefines(header.file, header.text);
  for (const d of own) table.add(d);

  const ncapints = table.has('NCAPINTS') ? table.evaluateNumber('NCAPINTS') : undefined;
  const nbugints = table.has('NBUGINTS') ? table.evaluateNumber('NBUGINTS') : undefined;
  if (table.has('NCAPINTS') && (ncapints === undefined || ncapints <= 0 || ncapints > 1024)) {
    throw new InputError(table.get('NCAPINTS')!.file, `line ${table.get('NCAPINTS')!.line}: NCAPINTS is not a usable number (${table.get('NCAPINTS')!.body})`);
  }

  const features: CpuFeature[] = [];
  const unresolved: UnresolvedDefine[] = [];
  const isFeatureMacro = (d: MacroDefinition) => d.params === undefined && /^X86_(FEATURE|BUG)_\w+$/.test(d.name);
  const candidates = own.filter(isFeatureMacro);
  if (candidates.length === 0) throw new InputError(header.file, 'no X86_FEATURE_ or X86_BUG_ defines: not a cpufeatures.h');
  const bugsUseNcapints = candidates.some((d) => d.name.startsWith('X86_BUG_') && /\bX86_BUG\s*\(|\bNCAPINTS\b/.test(d.body));
  if (bugsUseNcapints && ncapints === undefined) {
    throw new InputError(header.file, `X86_BUG_* are numbered after NCAPINTS, which neither ${basename(header.file)} nor ${others.map((o) => basename(o.file)).join(', ') || 'any other header given'} defines`);
  }
  for (const d of candidates) {
    const value = table.evaluateNumber(d.body);
    if (value === undefined || value < 0 || value > 0xffff) {
      unresolved.push({ name: d.name, line: d.line, body: d.body });
      continue;
    }
    const quoted = d.comment ? /^"([^"]*)"/.exec(d.comment) : null;
    const alias = /^\(?\s*(X86_(?:FEATURE|BUG)_\w+)\s*\)?$/.exec(d.body);
    features.push({
      name: d.name,
      kind: d.name.startsWith('X86_BUG_') ? 'bug' : 'feature',
      number: value,
      word: value >> 5,
      bit: value & 31,
      file: d.file,
      line: d.line,
      conditions: d.conditions,
      cpuinfoName: quoted ? quoted[1] : undefined,
      aliasOf: alias ? alias[1] : undefined,
    });
  }
  return new CpuFeatures(header.file, ncapints, nbugints, features, unresolved);
}

function readText(path: string): string {
  return readInputText(path, 'C header', 'latin1');
}

/**
 * Read `.../asm/cpufeatures.h` (or an old kernel's `cpufeature.h`); when it does not define
 * NCAPINTS itself, the sibling `cpufeature.h` / `cpufeatures.h` is read for it.
 */
export function readCpufeatures(path: string): CpuFeatures {
  const text = readText(path);
  const others: HeaderText[] = [];
  if (!/^\s*#\s*define\s+NCAPINTS\b/m.test(text)) {
    for (const sibling of ['cpufeature.h', 'cpufeatures.h']) {
      const p = join(dirname(path), sibling);
      if (p !== path && inputExists(p)) others.push({ file: p, text: readText(p) });
    }
  }
  return parseCpufeatures({ file: path, text }, others);
}
