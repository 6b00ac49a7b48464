/**
 * Where ld places an input section under a parsed script: first matching input section
 * description in script order, /DISCARD/ included, else an orphan; with the symbol ranges
 * that bracket the matching rule.
 */
import type { InputSectionDescription, LinkerScript, OutputSection, SectionPattern } from './ast.js';
import { globMatch, globTester, isWildcard } from './glob.js';

export type Placement =
  | {
      readonly kind: 'placed';
      readonly output: string;
      /** The input section description that matched, as written. */
      readonly rule: string;
      /** The section pattern in it that matched (`.text.unlikely.*`), or `*` for a file-only description. */
      readonly pattern: string;
      readonly line: number;
      /**
       * The symbol pairs of the same output section that bracket the rule, innermost first:
       * `__start_once..__end_once`, `__noinstr_text_start..__noinstr_text_end`. Code finds
       * its sections through these (clear_warn_once walks __start_once..__end_once).
       */
      readonly ranges: readonly string[];
    }
  | { readonly kind: 'discarded'; readonly rule: string; readonly pattern: string; readonly line: number }
  | { readonly kind: 'orphan' };

export interface InputFile {
  /** The object's name as the linker sees it (command-line path, or archive member name). */
  readonly name: string;
  /** The archive it is a member of, as named on the command line. */
  readonly archive?: string;
}

/**
 * Where ld puts input section `sectionName` of `file` under `script`: the first output section
 * statement, in script order, with a matching input section description wins, /DISCARD/
 * included; no match is an orphan (ld places it by heuristics and warns under
 * --orphan-handling=warn). `file` defaults to an object that only file patterns matching
 * every name (`*`) select; EXCLUDE_FILE never excludes it.
 *
 * The caller passes sections ld places through the script: not relocation sections, the
 * symbol and string tables, `.group`, or SHF_EXCLUDE sections such as `.note.GNU-stack`.
 */
export function placeSection(script: LinkerScript, sectionName: string, file?: string | InputFile): Placement {
  const input: InputFile | undefined = typeof file === 'string' ? { name: file } : file;
  for (const rule of compiled(script)) {
    const hit = matchRule(rule, sectionName, input);
    if (hit === undefined) continue;
    const { os, desc } = rule;
    if (os.discard) return { kind: 'discarded', rule: desc.text, pattern: hit, line: desc.line };
    return { kind: 'placed', output: os.name, rule: desc.text, pattern: hit, line: desc.line, ranges: rangesAround(os, rule.index) };
  }
  return { kind: 'orphan' };
}

/**
 * Pairs of symbols assigned before and after input description `index` of `os` that name one
 * range by the kernel's conventions: __start_X/__stop_X, __start_X/__end_X, X_start/X_end,
 * X_start/X_stop, X_begin/X_end, __X/__X_end, _sX/_eX. Innermost (latest start) first.
 */
function rangesAround(os: OutputSection, index: number): string[] {
  const before = os.symbols.filter((s) => s.beforeInput <= index).map((s) => s.symbol);
  const after = new Set(os.symbols.filter((s) => s.beforeInput > index).map((s) => s.symbol));
  const out: string[] = [];
  for (let i = before.length - 1; i >= 0; i--) {
    const start = before[i]!;
    for (const end of rangeEnds(start)) {
      if (after.has(end)) {
        out.push(`${start}..${end}`);
        break;
      }
    }
  }
  return [...new Set(out)];
}

function rangeEnds(start: string): string[] {
  const ends: string[] = [];
  let m = /^__start_(.+)$/.exec(start);
  if (m) ends.push(`__stop_${m[1]}`, `__end_${m[1]}`);
  m = /^(.+)_start$/.exec(start);
  if (m) ends.push(`${m[1]}_end`, `${m[1]}_stop`);
  m = /^(.+)_begin$/.exec(start);
  if (m) ends.push(`${m[1]}_end`);
  m = /^_s(.+)$/.exec(start);
  if (m) ends.push(`_e${m[1]}`);
  if (start.startsWith('__')) ends.push(`${start}_end`);
  return ends;
}

interface CompiledRule {
  readonly os: OutputSection;
  readonly index: number;
  readonly desc: InputSectionDescription;
  readonly tests: readonly { readonly sp: SectionPattern; readonly test: (name: string) => boolean }[];
}

const compiledScripts = new WeakMap<LinkerScript, readonly CompiledRule[]>();

/** The script's descriptions in order, each section pattern compiled once. */
function compiled(script: LinkerScript): readonly CompiledRule[] {
  let rules = compiledScripts.get(script);
  if (rules === undefined) {
    rules = script.outputSections.flatMap((os) =>
      os.inputs.map((desc, index) => ({
        os,
        index,
        desc,
        tests: desc.sections.map((sp) => ({ sp, test: sp.quoted ? (n: string) => n === sp.pattern : globTester(sp.pattern) })),
      })),
    );
    compiledScripts.set(script, rules);
  }
  return rules;
}

/** The names of the output sections the script can emit (not /DISCARD/), in order, unique. */
export function outputSectionNames(script: LinkerScript): string[] {
  return [...new Set(script.outputSections.filter((s) => !s.discard).map((s) => s.name))];
}

function matchRule(rule: CompiledRule, section: string, file: InputFile | undefined): string | undefined {
  const { desc } = rule;
  if (!fileMatches(desc.file, file)) return undefined;
  if (desc.fileExclude.length > 0 && excluded(desc.fileExclude, file)) return undefined;
  if (desc.sections.length === 0) return '*';
  for (const { sp, test } of rule.tests) {
    if (!test(section)) continue;
    if (sp.exclude.length > 0 && excluded(sp.exclude, file)) continue;
    return sp.pattern;
  }
  return undefined;
}

/** ld's walk_wild: `*` is every file; `archive:member`; a wildcard pattern; else the exact command-line name. */
function fileMatches(pattern: string, file: InputFile | undefined): boolean {
  if (pattern === '*') return true;
  if (file === undefined) return false;
  const sep = archiveSeparator(pattern);
  if (sep >= 0) {
    const member = pattern.slice(sep + 1);
    const archive = pattern.slice(0, sep);
    if (member !== '' && !globMatch(member, file.name)) return false;
    // `archive:member` only matches archive members, `:member` only files outside archives.
    if ((archive !== '') !== (file.archive !== undefined)) return false;
    return archive === '' || globMatch(archive, file.archive!);
  }
  if (isWildcard(pattern)) return globMatch(pattern, file.name);
  // A plain name is looked up among the command-line files (lookup_name), never archive members.
  return file.archive === undefined && pattern === file.name;
}

function excluded(patterns: readonly string[], file: InputFile | undefined): boolean {
  if (file === undefined) return false;
  return patterns.some((p) => (archiveSeparator(p) >= 0 ? fileMatches(p, file) : globMatch(p, file.name)));
}

function archiveSeparator(pattern: string): number {
  const i = pattern.indexOf(':');
  // `C:\…` is a drive letter, as ld's archive_path allows.
  if (i === 1 && /^[A-Za-z]:[\\/]/.test(pattern)) return pattern.indexOf(':', 2);
  return i;
}
