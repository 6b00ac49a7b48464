/**
 * Reading and parsing a (preprocessed) GNU ld linker script into the AST of ast.ts: a
 * hand-written scanner and recursive-descent parser; expressions are parsed, never evaluated.
 */
import { InputError } from '../../errors.js';
import { readInputLines } from '../../input-file.js';
import { LIMITS, overLimit } from '../../limits.js';
import { checkPatternLength } from './glob.js';
import type { InputSectionDescription, LinkerScript, SectionPattern, SymbolAssignment } from './ast.js';

export function readLinkerScript(path: string): LinkerScript {
  return parseLinkerScript(readInputLines(path, 'linker script', 'latin1'), path);
}

/** Parses a (preprocessed) GNU ld linker script. Errors are `InputError(file, 'line N: …')`. */
export function parseLinkerScript(text: string, file: string): LinkerScript {
  return new Parser(text, file).script();
}

const SECTION_TYPES = new Set(['NOLOAD', 'DSECT', 'COPY', 'INFO', 'OVERLAY', 'READONLY', 'TYPE']);
const SORTS = new Set(['SORT', 'SORT_BY_NAME', 'SORT_BY_ALIGNMENT', 'SORT_BY_INIT_PRIORITY', 'SORT_NONE', 'REVERSE']);
/** Top-level commands whose arguments do not matter for placement: skipped as a balanced group. */
const SKIPPED_COMMANDS = new Set([
  'TARGET', 'SEARCH_DIR', 'OUTPUT', 'STARTUP', 'INPUT', 'GROUP', 'NOCROSSREFS', 'NOCROSSREFS_TO', 'EXTERN',
  'REGION_ALIAS', 'LD_FEATURE', 'AS_NEEDED',
]);
const BARE_COMMANDS = new Set(['FORCE_COMMON_ALLOCATION', 'INHIBIT_COMMON_ALLOCATION', 'FORCE_GROUP_ALLOCATION']);
const DATA_COMMANDS = new Set(['BYTE', 'SHORT', 'LONG', 'QUAD', 'SQUAD', 'FILL']);
/** Characters that end a file or section name pattern: ( ) , ; { } " */
const PATTERN_STOP = new Set([...'(),;{}"'].map((c) => c.charCodeAt(0)));
const OPERATOR_START = new Set([...'|&=!<>^+-*/%'].map((c) => c.charCodeAt(0)));
const BINARY_PRECEDENCE: readonly (readonly [string, number])[] = [
  ['||', 1], ['&&', 2], ['==', 6], ['!=', 6], ['<=', 7], ['>=', 7], ['<<', 8], ['>>', 8],
  ['|', 3], ['^', 4], ['&', 5], ['<', 7], ['>', 7], ['+', 9], ['-', 9], ['*', 10], ['/', 10], ['%', 10],
];

interface MutableOutputSection {
  name: string;
  line: number;
  discard: boolean;
  address: string | undefined;
  type: string | undefined;
  lma: string | undefined;
  region: string | undefined;
  lmaRegion: string | undefined;
  phdrs: string[];
  fill: string | undefined;
  overlayLine: number | undefined;
  inputs: InputSectionDescription[];
  symbols: { symbol: string; beforeInput: number }[];
}

class Parser {
  private pos = 0;
  private readonly lineStarts: number[] = [0];
  private entry: string | undefined;
  private outputArch: string | undefined;
  private readonly outputFormat: string[] = [];
  private readonly phdrs: { name: string; type: string; line: number }[] = [];
  private readonly memory: { name: string; line: number }[] = [];
  private readonly sections: MutableOutputSection[] = [];
  private readonly assignments: SymbolAssignment[] = [];
  /** How deep the recursive descent is: held to LIMITS.LINKER_SCRIPT_NESTING. */
  private depth = 0;

  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.lineStarts.push(i + 1);
  }

  script(): LinkerScript {
    for (;;) {
      this.ws();
      if (this.pos >= this.text.length) break;
      this.topStatement();
    }
    return {
      file: this.file,
      entry: this.entry,
      outputFormat: this.outputFormat,
      outputArch: this.outputArch,
      phdrs: this.phdrs,
      memory: this.memory,
      outputSections: this.sections,
      assignments: this.assignments,
    };
  }

  // ── statements ──

  private topStatement(): void {
    if (this.eat(';')) return;
    const at = this.pos;
    if (this.isAssignment()) return this.assignment(undefined);
    const kw = this.peekKeyword();
    switch (kw) {
      case 'SECTIONS':
        this.advanceKeyword(kw);
        return this.sectionsBlock();
      case 'MEMORY':
        this.advanceKeyword(kw);
        return this.memoryBlock();
      case 'PHDRS':
        this.advanceKeyword(kw);
        return this.phdrsBlock();
      case 'OUTPUT_FORMAT':
        this.advanceKeyword(kw);
        this.outputFormat.push(...this.parenthesized('OUTPUT_FORMAT').split(',').map((s) => s.trim().replace(/^"|"$/g, '')));
        return;
      case 'OUTPUT_ARCH':
        this.advanceKeyword(kw);
        this.outputArch = this.parenthesized('OUTPUT_ARCH').trim();
        return;
      case 'VERSION':
        this.advanceKeyword(kw);
        this.expect('{', 'after VERSION');
        this.skipBalanced('{', '}', at);
        return;
      case 'INSERT':
        return this.fail('INSERT is not supported (it moves output sections, which changes first-match order)', at);
      default:
        break;
    }
    if (kw !== undefined && this.commonStatement(kw, undefined)) return;
    if (kw !== undefined && SKIPPED_COMMANDS.has(kw)) {
      this.advanceKeyword(kw);
      this.parenthesized(kw);
      return;
    }
    if (kw !== undefined && BARE_COMMANDS.has(kw)) {
      this.advanceKeyword(kw);
      return;
    }
    this.fail(`unexpected ${this.describeHere()} (expected a linker script command)`);
  }

  /** Statements valid at top level, in SECTIONS and in output sections. True if one was parsed. */
  private commonStatement(kw: string, os: MutableOutputSection | undefined): boolean {
    const at = this.pos;
    switch (kw) {
      case 'PROVIDE':
      case 'PROVIDE_HIDDEN':
      case 'HIDDEN': {
        this.advanceKeyword(kw);
        this.expect('(', `after ${kw}`);
        this.ws();
        const symbol = this.assignmentTarget();
        this.assignOperator();
        this.expression();
        this.expect(')', `to close ${kw}`);
        this.recordSymbol(symbol, at, kw, os);
        this.eat(';') || this.eat(',');
        return true;
      }
      case 'ASSERT':
        this.advanceKeyword(kw);
        this.expect('(', 'after ASSERT');
        this.expression();
        this.expect(',', 'between the ASSERT condition and its message');
        this.ws();
        if (this.peekChar() === '"') this.string();
        else this.expression();
        this.expect(')', 'to close ASSERT');
        this.eat(';') || this.eat(',');
        return true;
      case 'ENTRY':
        this.advanceKeyword(kw);
        this.entry = this.parenthesized('ENTRY').trim();
        return true;
      case 'INCLUDE':
        return this.fail('INCLUDE is not supported (kernel linker scripts are preprocessed; pass the generated vmlinux.lds)', at);
      default:
        return false;
    }
  }

  private sectionsBlock(): void {
    this.expect('{', 'after SECTIONS');
    const openedAt = this.pos - 1;
    for (;;) {
      this.ws();
      if (this.pos >= this.text.length) this.fail(`unterminated SECTIONS (its '{' opened at line ${this.lineOf(openedAt)})`);
      if (this.eat('}')) return;
      if (this.eat(';')) continue;
      if (this.isAssignment()) {
        this.assignment(undefined);
        continue;
      }
      const kw = this.peekKeyword();
      if (kw !== undefined && this.commonStatement(kw, undefined)) continue;
      if (kw === 'OVERLAY') {
        this.overlay();
        continue;
      }
      if (kw === 'INSERT') this.fail('INSERT is not supported (it moves output sections, which changes first-match order)');
      this.outputSection(undefined);
    }
  }

  private outputSection(overlayLine: number | undefined): void {
    const at = this.pos;
    const name = this.outputSectionName();
    const os: MutableOutputSection = {
      name,
      line: this.lineOf(at),
      discard: name === '/DISCARD/',
      address: undefined,
      type: undefined,
      lma: undefined,
      region: undefined,
      lmaRegion: undefined,
      phdrs: [],
      fill: undefined,
      overlayLine,
      inputs: [],
      symbols: [],
    };
    if (overlayLine === undefined) {
      this.ws();
      if (this.peekChar() === '{') this.fail(`expected ':' after output section name ${name}`);
      if (!this.isTypeParen() && this.peekChar() !== ':') os.address = this.expression();
      this.ws();
      if (this.isTypeParen()) {
        this.pos++;
        os.type = this.balancedText('(', ')', this.pos - 1).trim().replace(/\s+/g, ' ');
      }
      this.expect(':', `after output section name ${name}`);
      for (;;) {
        this.ws();
        const kw = this.peekKeyword();
        if (kw === 'AT' && !this.lookingAtAfterKeyword('AT', '>')) {
          this.advanceKeyword(kw);
          this.expect('(', 'after AT');
          os.lma = this.expression();
          this.expect(')', 'to close AT');
        } else if (kw === 'ALIGN' || kw === 'SUBALIGN') {
          this.advanceKeyword(kw);
          this.expect('(', `after ${kw}`);
          this.expression();
          this.expect(')', `to close ${kw}`);
        } else if (kw === 'ALIGN_WITH_INPUT') {
          this.advanceKeyword(kw);
        } else if (kw === 'ONLY_IF_RO' || kw === 'ONLY_IF_RW') {
          this.fail(`${kw} is not supported (whether ${name} exists depends on its input sections' flags)`);
        } else break;
      }
    }
    this.ws();
    const open = this.pos;
    if (!this.eat('{')) this.fail(`expected '{' to open output section ${name}, found ${this.describeHere()}`);
    this.sectionBody(os, open);
    this.sectionTail(os, overlayLine !== undefined);
    this.sections.push(os);
  }

  private sectionBody(os: MutableOutputSection, openedAt: number): void {
    for (;;) {
      this.ws();
      if (this.pos >= this.text.length) {
        this.fail(`unterminated output section ${os.name} (its '{' opened at line ${this.lineOf(openedAt)})`);
      }
      const c = this.peekChar();
      if (c === '}') {
        this.pos++;
        return;
      }
      if (c === ';') {
        this.pos++;
        continue;
      }
      if (this.isAssignment()) {
        this.assignment(os);
        continue;
      }
      const kw = this.peekKeyword();
      if (kw !== undefined) {
        if (this.commonStatement(kw, os)) continue;
        if (kw === 'CONSTRUCTORS' || kw === 'CREATE_OBJECT_SYMBOLS') {
          this.advanceKeyword(kw);
          continue;
        }
        if (SORTS.has(kw) && this.isSortedConstructors()) continue;
        if (DATA_COMMANDS.has(kw) && this.lookingAtAfterKeyword(kw, '(')) {
          this.advanceKeyword(kw);
          this.expect('(', `after ${kw}`);
          this.expression();
          this.expect(')', `to close ${kw}`);
          continue;
        }
        if (kw === 'INPUT_SECTION_FLAGS') {
          this.fail(`INPUT_SECTION_FLAGS is not supported (placement would depend on input section flags)`);
        }
      }
      os.inputs.push(this.inputDescription());
    }
  }

  private sectionTail(os: MutableOutputSection, inOverlay: boolean): void {
    for (;;) {
      this.ws();
      const c = this.peekChar();
      if (c === '>' && !inOverlay) {
        this.pos++;
        this.ws();
        os.region = this.symbolName('a memory region name after >');
      } else if (this.peekKeyword() === 'AT' && this.lookingAtAfterKeyword('AT', '>')) {
        this.advanceKeyword('AT');
        this.expect('>', 'after AT');
        this.ws();
        os.lmaRegion = this.symbolName('a memory region name after AT>');
      } else if (c === ':') {
        this.pos++;
        this.ws();
        os.phdrs.push(this.symbolName('a program header name after :'));
      } else if (c === '=' && this.text[this.pos + 1] !== '=') {
        this.pos++;
        os.fill = this.expression();
        this.ws();
        this.eat(',');
        return;
      } else {
        if (c === ',') this.pos++;
        return;
      }
    }
  }

  /** OVERLAY [start] : [NOCROSSREFS] [AT (ldaddr)] { secname { … } [:phdr…] [=fill] … } [>region] [:phdr…] [=fill] */
  private overlay(): void {
    const at = this.pos;
    this.advanceKeyword('OVERLAY');
    const line = this.lineOf(at);
    this.ws();
    if (this.peekChar() !== ':') this.expression();
    this.expect(':', 'after OVERLAY');
    for (;;) {
      this.ws();
      const kw = this.peekKeyword();
      if (kw === 'NOCROSSREFS') this.advanceKeyword(kw);
      else if (kw === 'AT') {
        this.advanceKeyword(kw);
        this.expect('(', 'after AT');
        this.expression();
        this.expect(')', 'to close AT');
      } else break;
    }
    this.expect('{', 'to open OVERLAY');
    const first = this.sections.length;
    for (;;) {
      this.ws();
      if (this.pos >= this.text.length) this.fail(`unterminated OVERLAY (opened at line ${line})`);
      if (this.eat('}')) break;
      this.outputSection(line);
    }
    // The tail of the OVERLAY applies to each member.
    const tail: MutableOutputSection = {
      name: 'OVERLAY', line, discard: false, address: undefined, type: undefined, lma: undefined, region: undefined,
      lmaRegion: undefined, phdrs: [], fill: undefined, overlayLine: line, inputs: [], symbols: [],
    };
    this.sectionTail(tail, false);
    for (const s of this.sections.slice(first)) {
      s.region ??= tail.region;
      s.lmaRegion ??= tail.lmaRegion;
      if (s.phdrs.length === 0) s.phdrs.push(...tail.phdrs);
      s.fill ??= tail.fill;
    }
  }

  private memoryBlock(): void {
    this.expect('{', 'after MEMORY');
    const openedAt = this.pos - 1;
    for (;;) {
      this.ws();
      if (this.pos >= this.text.length) this.fail(`unterminated MEMORY (its '{' opened at line ${this.lineOf(openedAt)})`);
      if (this.eat('}')) return;
      const at = this.pos;
      const name = this.symbolName('a memory region name');
      this.ws();
      if (this.eat('(')) this.balancedText('(', ')', this.pos - 1);
      this.expect(':', `after memory region ${name}`);
      for (const field of [['ORIGIN', 'org', 'o'], ['LENGTH', 'len', 'l']] as const) {
        this.ws();
        const kw = this.peekWord(/[A-Za-z]+/y);
        if (kw === undefined || !(field as readonly string[]).includes(kw)) this.fail(`expected ${field[0]} in memory region ${name}`);
        this.pos += kw.length;
        this.expect('=', `after ${kw}`);
        this.expression();
        if (field[0] === 'ORIGIN') this.expect(',', `after ORIGIN of memory region ${name}`);
      }
      this.memory.push({ name, line: this.lineOf(at) });
    }
  }

  private phdrsBlock(): void {
    this.expect('{', 'after PHDRS');
    const openedAt = this.pos - 1;
    for (;;) {
      this.ws();
      if (this.pos >= this.text.length) this.fail(`unterminated PHDRS (its '{' opened at line ${this.lineOf(openedAt)})`);
      if (this.eat('}')) return;
      const at = this.pos;
      const name = this.symbolName('a program header name');
      this.ws();
      const word = this.peekWord(/[A-Za-z_][A-Za-z_0-9]*/y);
      // PT_LOAD, PT_NOTE, …, or a number.
      const type = word ?? this.expression();
      if (word !== undefined) this.pos += word.length;
      for (;;) {
        this.ws();
        const kw = this.peekKeyword();
        if (kw === 'FILEHDR' || kw === 'PHDRS') this.advanceKeyword(kw);
        else if (kw === 'AT' || kw === 'FLAGS') {
          this.advanceKeyword(kw);
          this.expect('(', `after ${kw}`);
          this.expression();
          this.expect(')', `to close ${kw}`);
        } else break;
      }
      this.expect(';', `after program header ${name}`);
      this.phdrs.push({ name, type, line: this.lineOf(at) });
    }
  }

  // ── input section descriptions ──

  private inputDescription(): InputSectionDescription {
    const at = this.pos;
    let keep = false;
    if (this.peekKeyword() === 'KEEP' && this.lookingAtAfterKeyword('KEEP', '(')) {
      this.advanceKeyword('KEEP');
      this.expect('(', 'after KEEP');
      keep = true;
    }
    let fileExclude: string[] = [];
    this.ws();
    if (this.peekKeyword() === 'EXCLUDE_FILE') fileExclude = this.excludeFile();
    this.ws();
    let file: string;
    let fileSort: string | undefined;
    const kw = this.peekKeyword();
    if (kw !== undefined && SORTS.has(kw) && this.lookingAtAfterKeyword(kw, '(')) {
      this.advanceKeyword(kw);
      this.expect('(', `after ${kw}`);
      this.ws();
      file = this.pattern('a file name pattern').text;
      this.expect(')', `to close ${kw}`);
      fileSort = kw;
    } else {
      file = this.pattern('an input section description').text;
    }
    const sections: SectionPattern[] = [];
    this.ws();
    if (this.eat('(')) {
      const open = this.pos - 1;
      for (;;) {
        this.ws();
        if (this.pos >= this.text.length) this.fail(`unterminated section list (its '(' opened at line ${this.lineOf(open)})`);
        if (this.eat(')')) break;
        if (this.eat(',')) continue;
        this.sectionSpec(sections, [], undefined);
      }
    }
    if (keep) this.expect(')', 'to close KEEP');
    const text = this.text.slice(at, this.pos).replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\s+/g, ' ').replace(/\( /g, '(').replace(/ \)/g, ')');
    return { text, line: this.lineOf(at), keep, file, fileExclude, sections, fileSort };
  }

  private sectionSpec(out: SectionPattern[], exclude: readonly string[], sort: string | undefined): void {
    this.nested(() => this.sectionSpecLevel(out, exclude, sort));
  }

  private sectionSpecLevel(out: SectionPattern[], exclude: readonly string[], sort: string | undefined): void {
    this.ws();
    const kw = this.peekKeyword();
    if (kw === 'EXCLUDE_FILE') {
      const ex = this.excludeFile();
      // Applies to the one pattern (or sorted group) that follows.
      this.sectionSpec(out, ex, sort);
      return;
    }
    if (kw !== undefined && SORTS.has(kw) && this.lookingAtAfterKeyword(kw, '(')) {
      this.advanceKeyword(kw);
      this.expect('(', `after ${kw}`);
      const open = this.pos - 1;
      for (;;) {
        this.ws();
        if (this.pos >= this.text.length) this.fail(`unterminated ${kw} (its '(' opened at line ${this.lineOf(open)})`);
        if (this.eat(')')) break;
        if (this.eat(',')) continue;
        this.sectionSpec(out, exclude, sort === undefined ? kw : `${sort}/${kw}`);
      }
      return;
    }
    if (kw === 'INPUT_SECTION_FLAGS') this.fail('INPUT_SECTION_FLAGS is not supported (placement would depend on input section flags)');
    const p = this.pattern('a section name pattern');
    out.push({ pattern: p.text, quoted: p.quoted, exclude, sort });
  }

  private excludeFile(): string[] {
    this.advanceKeyword('EXCLUDE_FILE');
    this.expect('(', 'after EXCLUDE_FILE');
    const out: string[] = [];
    for (;;) {
      this.ws();
      if (this.pos >= this.text.length) this.fail('unterminated EXCLUDE_FILE');
      if (this.eat(')')) break;
      if (this.eat(',')) continue;
      out.push(this.pattern('a file name pattern').text);
    }
    if (out.length === 0) this.fail('empty EXCLUDE_FILE');
    return out;
  }

  /** A file or section name pattern: a quoted name, or characters up to a delimiter. */
  private pattern(what: string): { text: string; quoted: boolean } {
    if (this.peekChar() === '"') return { text: this.string(), quoted: true };
    const start = this.pos;
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c <= 32 || PATTERN_STOP.has(c)) break;
      if (c === 47 && t.charCodeAt(this.pos + 1) === 42 && this.pos > start) break; // '/*'
      this.pos++;
    }
    if (this.pos === start) this.fail(`expected ${what}, found ${this.describeHere()}`);
    const text = this.text.slice(start, this.pos);
    checkPatternLength(text, this.file, this.lineOf(start));
    return { text, quoted: false };
  }

  private isSortedConstructors(): boolean {
    const m = /[A-Z_]+\s*\(\s*CONSTRUCTORS\s*\)/y;
    m.lastIndex = this.pos;
    if (!m.test(this.text)) return false;
    this.pos = m.lastIndex;
    return true;
  }

  // ── assignments and expressions ──

  private isAssignment(): boolean {
    const re = /(?:[A-Za-z_.$][A-Za-z0-9_.$]*|"[^"\n]*")\s*(?:[-+*/%&|]|<<|>>)?=(?!=)/y;
    re.lastIndex = this.pos;
    return re.test(this.text);
  }

  private recordSymbol(symbol: string, at: number, kind: SymbolAssignment['kind'], os: MutableOutputSection | undefined): void {
    if (symbol === '.') return;
    this.assignments.push({ symbol, line: this.lineOf(at), kind, section: os?.name });
    os?.symbols.push({ symbol, beforeInput: os.inputs.length });
  }

  private assignment(os: MutableOutputSection | undefined): void {
    const at = this.pos;
    const symbol = this.assignmentTarget();
    this.assignOperator();
    this.expression();
    this.ws();
    if (!this.eat(';') && !this.eat(',')) this.fail(`expected ';' after the assignment to ${symbol}, found ${this.describeHere()}`);
    this.recordSymbol(symbol, at, 'assign', os);
  }

  private assignmentTarget(): string {
    if (this.peekChar() === '"') return this.string();
    return this.symbolName('a symbol name');
  }

  private assignOperator(): void {
    this.ws();
    const m = /(?:[-+*/%&|]|<<|>>)?=/y;
    m.lastIndex = this.pos;
    const r = m.exec(this.text);
    if (!r) this.fail(`expected '=' in assignment, found ${this.describeHere()}`);
    this.pos = m.lastIndex;
  }

  /** Parses an expression (never evaluated) and returns its source text. */
  private expression(): string {
    this.ws();
    const start = this.pos;
    this.ternary();
    return this.text.slice(start, this.pos).trim();
  }

  /** Runs one level of the recursive descent, refusing input nested past LIMITS.LINKER_SCRIPT_NESTING. */
  private nested<T>(parse: () => T): T {
    if (++this.depth > LIMITS.LINKER_SCRIPT_NESTING.value) this.fail(overLimit(LIMITS.LINKER_SCRIPT_NESTING, 'nested too deeply'));
    try {
      return parse();
    } finally {
      this.depth--;
    }
  }

  private ternary(): void {
    this.nested(() => this.ternaryLevel());
  }

  private ternaryLevel(): void {
    this.binary(1);
    this.ws();
    if (this.eat('?')) {
      this.ternary();
      this.expect(':', "in '?:'");
      this.ternary();
    }
  }

  private binary(min: number): void {
    this.unary();
    for (;;) {
      this.ws();
      const op = this.binaryOperator();
      if (op === undefined || op[1] < min) return;
      this.pos += op[0].length;
      this.binary(op[1] + 1);
    }
  }

  private binaryOperator(): readonly [string, number] | undefined {
    const t = this.text;
    const p = this.pos;
    if (!OPERATOR_START.has(t.charCodeAt(p))) return undefined;
    for (const op of BINARY_PRECEDENCE) {
      if (!t.startsWith(op[0], p)) continue;
      const next = t[p + op[0].length];
      // `a += …`, `a <<= …` are assignments, not `a + (= …)`; `x /DISCARD/` starts a statement.
      if (next === '=' && !['==', '!=', '<=', '>='].includes(op[0])) return undefined;
      if (op[0] === '/' && t.startsWith('/DISCARD/', p)) return undefined;
      if ((op[0] === '|' && next === '|') || (op[0] === '&' && next === '&')) continue;
      return op;
    }
    return undefined;
  }

  private unary(): void {
    this.ws();
    const c = this.peekChar();
    if (c === '-' || c === '!' || c === '~' || c === '+') {
      this.pos++;
      this.nested(() => this.unary());
      return;
    }
    this.primary();
  }

  private primary(): void {
    const c = this.peekChar();
    if (c === '(') {
      this.pos++;
      this.ternary();
      this.expect(')', 'to close a parenthesis');
      return;
    }
    if (c === '"') {
      this.string();
      return;
    }
    const num = /(?:0[xX][0-9a-fA-F]+|\$[0-9a-fA-F]+|[0-9][0-9a-fA-F]*[hHoObBdDxX]?)[KkMm]?(?![A-Za-z0-9_.$])/y;
    num.lastIndex = this.pos;
    if (num.test(this.text)) {
      this.pos = num.lastIndex;
      return;
    }
    if (c !== undefined && /[A-Za-z_.$]/.test(c)) {
      const name = this.symbolName('an expression');
      this.ws();
      if (this.peekChar() === '(' && /^[A-Z_][A-Z_0-9]*$/.test(name)) {
        this.pos++;
        this.ws();
        if (this.eat(')')) return;
        for (;;) {
          this.ternary();
          this.ws();
          if (this.eat(')')) return;
          this.expect(',', `between the arguments of ${name}`);
        }
      }
      return;
    }
    this.fail(`expected an expression, found ${this.describeHere()}`);
  }

  private symbolName(what: string): string {
    const m = /[A-Za-z_.$][A-Za-z0-9_.$]*/y;
    m.lastIndex = this.pos;
    const r = m.exec(this.text);
    if (!r) this.fail(`expected ${what}, found ${this.describeHere()}`);
    this.pos = m.lastIndex;
    return r[0];
  }

  private outputSectionName(): string {
    if (this.peekChar() === '"') return this.string();
    if (this.text.startsWith('/DISCARD/', this.pos)) {
      this.pos += '/DISCARD/'.length;
      return '/DISCARD/';
    }
    const m = /[A-Za-z0-9_.$@+\-\\[\]*?~!%^&|<>/]+/y;
    m.lastIndex = this.pos;
    const r = m.exec(this.text);
    if (!r || r[0].startsWith('/*')) this.fail(`expected an output section, an assignment or '}', found ${this.describeHere()}`);
    this.pos = m.lastIndex;
    return r[0];
  }

  private isTypeParen(): boolean {
    const m = /\(\s*([A-Z_]+)/y;
    m.lastIndex = this.pos;
    const r = m.exec(this.text);
    return r !== null && SECTION_TYPES.has(r[1]!);
  }

  // ── lexing ──

  /** Skips whitespace and C comments. */
  private ws(): void {
    const t = this.text;
    for (;;) {
      const c = t.charCodeAt(this.pos);
      if (c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11) {
        this.pos++;
      } else if (c === 47 && t.charCodeAt(this.pos + 1) === 42) {
        const end = t.indexOf('*/', this.pos + 2);
        if (end < 0) this.fail('unterminated comment');
        this.pos = end + 2;
      } else return;
    }
  }

  private peekChar(): string | undefined {
    return this.text[this.pos];
  }

  private eat(s: string): boolean {
    this.ws();
    if (!this.text.startsWith(s, this.pos)) return false;
    this.pos += s.length;
    return true;
  }

  private expect(s: string, context: string): void {
    if (!this.eat(s)) this.fail(`expected '${s}' ${context}, found ${this.describeHere()}`);
  }

  /** An upper-case identifier at the current position (not advanced), if one is there. */
  private peekKeyword(): string | undefined {
    const m = /[A-Z_][A-Z_0-9]*(?![A-Za-z0-9_.$])/y;
    m.lastIndex = this.pos;
    return m.exec(this.text)?.[0];
  }

  private peekWord(re: RegExp): string | undefined {
    re.lastIndex = this.pos;
    return re.exec(this.text)?.[0];
  }

  private advanceKeyword(kw: string): void {
    this.pos += kw.length;
  }

  /** Whether `kw` at the current position is followed (after whitespace) by `next`. */
  private lookingAtAfterKeyword(kw: string, next: string): boolean {
    const save = this.pos;
    this.pos += kw.length;
    this.ws();
    const ok = this.text.startsWith(next, this.pos);
    this.pos = save;
    return ok;
  }

  private string(): string {
    const start = this.pos;
    const end = this.text.indexOf('"', start + 1);
    if (end < 0) this.fail('unterminated string', start);
    this.pos = end + 1;
    return this.text.slice(start + 1, end);
  }

  /** `( … )` after a command: the text inside, balanced, strings and comments honoured. */
  private parenthesized(command: string): string {
    this.expect('(', `after ${command}`);
    return this.balancedText('(', ')', this.pos - 1);
  }

  /** From just after an opening `open`, to just after its matching `close`; returns the text between. */
  private balancedText(open: string, close: string, openedAt: number): string {
    const start = this.pos;
    this.skipBalanced(open, close, openedAt);
    return this.text.slice(start, this.pos - 1);
  }

  private skipBalanced(open: string, close: string, openedAt: number): void {
    let depth = 1;
    for (;;) {
      this.ws();
      const c = this.text[this.pos];
      if (c === undefined) this.fail(`unterminated '${open}' (opened at line ${this.lineOf(openedAt)})`);
      if (c === '"') {
        this.string();
        continue;
      }
      this.pos++;
      if (c === open) depth++;
      else if (c === close && --depth === 0) return;
    }
  }

  private describeHere(): string {
    if (this.pos >= this.text.length) return 'end of file';
    const m = /\S{1,24}/y;
    m.lastIndex = this.pos;
    const word = m.exec(this.text)?.[0] ?? this.text[this.pos]!;
    // Binary garbage stays printable and on one line.
    return `'${word.replace(/[^\x21-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}'`;
  }

  private lineOf(offset: number): number {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  private fail(problem: string, at: number = this.pos): never {
    throw new InputError(this.file, `line ${this.lineOf(at)}: ${problem.replace(/\s+/g, ' ')}`);
  }
}
