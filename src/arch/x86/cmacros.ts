/**
 * Just enough of the C preprocessor to read kernel headers that are tables of `#define`s
 * (cpufeatures.h, extable_fixup_types.h): the defines with their line, trailing comment and
 * enclosing `#if` conditions, and an evaluator for the integer expressions they expand to
 * (object-like and function-like macros, casts to integer types, the C operators).
 * Nothing is included; an identifier that no scanned header defines makes a value unknown.
 */

import { InputError } from '../../errors.js';
import { LIMITS, overLimit } from '../../limits.js';

export interface MacroDefinition {
  readonly name: string;
  /** Parameter names of a function-like macro; undefined for an object-like one. */
  readonly params: readonly string[] | undefined;
  readonly body: string;
  /** 1-based line of the `#define` in `file`. */
  readonly line: number;
  readonly file: string;
  /** The enclosing conditions (`CONFIG_X86_32`, `!CONFIG_FOO`, an `#if` expression), outermost first; include guards left out. */
  readonly conditions: readonly string[];
  /** The first comment on the `#define` line, without its delimiters. */
  readonly comment: string | undefined;
}

/** Tokens one evaluation may expand to (LIMITS.MACRO_EXPANSION): `#define A1 (A0+A0)` … `A40` would otherwise need 2^40; past it, the expression is not a constant. */
const MAX_EXPANSION = LIMITS.MACRO_EXPANSION.value;

/** The `#define`s of one header, in order. */
export function scanDefines(file: string, text: string): MacroDefinition[] {
  const { code, comments } = stripComments(text);
  const lines = code.split('\n');
  if (lines.length > LIMITS.HEADER_LINES.value) throw new InputError(file, overLimit(LIMITS.HEADER_LINES, 'header too long', lines.length));
  const out: MacroDefinition[] = [];
  // Each open conditional: its condition, and whether it is an include guard.
  const stack: { cond: string; guard: boolean }[] = [];
  let pendingGuard: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const first = i;
    let line = lines[i]!;
    while (line.endsWith('\\') && i + 1 < lines.length) line = line.slice(0, -1) + ' ' + lines[++i]!;
    const d = /^\s*#\s*(\w+)\s*(.*)$/.exec(line);
    if (!d) continue;
    const directive = d[1]!;
    const rest = d[2]!.trim();
    const guardCandidate = pendingGuard;
    pendingGuard = undefined;
    switch (directive) {
      case 'ifdef':
        stack.push({ cond: rest, guard: false });
        break;
      case 'ifndef':
        stack.push({ cond: `!${rest}`, guard: false });
        pendingGuard = rest;
        break;
      case 'if':
        stack.push({ cond: rest, guard: false });
        break;
      case 'elif': {
        const top = stack.pop();
        stack.push({ cond: top ? `!(${top.cond}) && (${rest})` : rest, guard: false });
        break;
      }
      case 'else': {
        const top = stack.pop();
        stack.push({ cond: top ? (top.cond.startsWith('!') && /^!\w+$/.test(top.cond) ? top.cond.slice(1) : `!(${top.cond})`) : 'else', guard: false });
        break;
      }
      case 'endif':
        stack.pop();
        break;
      case 'define': {
        const m = /^(\w+)(\(([^)]*)\))?\s*(.*)$/.exec(rest);
        if (!m) break;
        const name = m[1]!;
        // `#ifndef X` directly followed by `#define X`: an include guard, not a condition.
        if (guardCandidate === name && stack.length > 0) {
          stack[stack.length - 1]!.guard = true;
          break;
        }
        out.push({
          name,
          params: m[2] === undefined ? undefined : m[3]!.split(',').map((p) => p.trim()).filter((p) => p !== ''),
          body: m[4]!.trim(),
          line: first + 1,
          file,
          conditions: stack.filter((s) => !s.guard).map((s) => s.cond),
          comment: comments.get(first + 1),
        });
        break;
      }
      default:
        break;
    }
  }
  return out;
}

/** The text with comments replaced by spaces (newlines kept), and the first comment of each line. */
function stripComments(text: string): { code: string; comments: Map<number, string> } {
  const comments = new Map<number, string>();
  let code = '';
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : end;
      const body = text.slice(i + 2, stop);
      if (!comments.has(line)) comments.set(line, body.trim());
      for (const ch of body) if (ch === '\n') {
        code += '\n';
        line++;
      }
      code += ' ';
      i = end < 0 ? text.length : end + 2;
    } else if (c === '/' && text[i + 1] === '/') {
      const end = text.indexOf('\n', i);
      const stop = end < 0 ? text.length : end;
      if (!comments.has(line)) comments.set(line, text.slice(i + 2, stop).trim());
      i = stop;
    } else if (c === '"' || c === "'") {
      // Skip a literal so that a "/*" inside it does not open a comment.
      let j = i + 1;
      while (j < text.length && text[j] !== c && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
      code += text.slice(i, Math.min(j + 1, text.length));
      i = j + 1;
    } else {
      if (c === '\n') line++;
      code += c;
      i++;
    }
  }
  return { code, comments };
}

/** The macros visible to an evaluation: later definitions of a name replace earlier ones. */
export class MacroTable {
  private readonly byName = new Map<string, MacroDefinition>();

  constructor(definitions: Iterable<MacroDefinition> = []) {
    for (const d of definitions) this.byName.set(d.name, d);
  }

  add(d: MacroDefinition): void {
    this.byName.set(d.name, d);
  }

  get(name: string): MacroDefinition | undefined {
    return this.byName.get(name);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** The value of an integer expression after macro expansion; undefined when it uses something undefined or is not an integer expression. */
  evaluate(expression: string): bigint | undefined {
    try {
      const tokens = this.expand(tokenize(expression), new Set(), 0, { left: MAX_EXPANSION });
      const parser = new Parser(tokens);
      const value = parser.expression();
      if (!parser.done()) return undefined;
      return value;
    } catch (err) {
      if (err instanceof NotConstant) return undefined;
      throw err;
    }
  }

  /** evaluate(), as a JS number (for values that fit in 53 bits). */
  evaluateNumber(expression: string): number | undefined {
    const v = this.evaluate(expression);
    if (v === undefined || v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) return undefined;
    return Number(v);
  }

  private expand(tokens: string[], active: Set<string>, depth: number, budget: { left: number }): string[] {
    if (depth > 64) throw new NotConstant();
    const out: string[] = [];
    for (let i = 0; i < tokens.length; i++) {
      if (--budget.left < 0) throw new NotConstant();
      const t = tokens[i]!;
      const def = isIdentifier(t) && !active.has(t) ? this.byName.get(t) : undefined;
      if (!def) {
        out.push(t);
        continue;
      }
      const inner = new Set(active).add(t);
      if (def.params === undefined) {
        out.push(...this.expand(tokenize(def.body), inner, depth + 1, budget));
        continue;
      }
      // A function-like macro name not followed by '(' is not an invocation.
      if (tokens[i + 1] !== '(') {
        out.push(t);
        continue;
      }
      const args: string[][] = [[]];
      let level = 0;
      let j = i + 2;
      for (; j < tokens.length; j++) {
        const a = tokens[j]!;
        if (a === '(') level++;
        else if (a === ')') {
          if (level === 0) break;
          level--;
        } else if (a === ',' && level === 0) {
          args.push([]);
          continue;
        }
        args[args.length - 1]!.push(a);
      }
      if (j >= tokens.length) throw new NotConstant();
      if (def.params.length === 0 && args.length === 1 && args[0]!.length === 0) args.length = 0;
      if (args.length !== def.params.length) throw new NotConstant();
      const expandedArgs = args.map((a) => this.expand(a, active, depth + 1, budget));
      const body = tokenize(def.body).flatMap((b) => {
        const p = def.params!.indexOf(b);
        return p >= 0 ? ['(', ...expandedArgs[p]!, ')'] : [b];
      });
      out.push(...this.expand(body, inner, depth + 1, budget));
      i = j;
    }
    return out;
  }
}

class NotConstant extends Error {}

function isIdentifier(t: string): boolean {
  return /^[A-Za-z_]\w*$/.test(t);
}

const PUNCTUATORS = ['<<', '>>', '<=', '>=', '==', '!=', '&&', '||', '+', '-', '*', '/', '%', '&', '|', '^', '~', '!', '<', '>', '(', ')', ',', '?', ':'];

function tokenize(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const word = /^(0[xX][0-9a-fA-F]+|\d+)[uUlL]*|^[A-Za-z_]\w*/.exec(text.slice(i, i + 256));
    if (word) {
      out.push(word[0]);
      i += word[0].length;
      continue;
    }
    const p = PUNCTUATORS.find((q) => text.startsWith(q, i));
    if (!p) throw new NotConstant();
    out.push(p);
    i += p.length;
  }
  return out;
}

const CAST_TYPES: Record<string, { bits: number; signed: boolean }> = {
  int: { bits: 32, signed: true },
  'signed int': { bits: 32, signed: true },
  'unsigned int': { bits: 32, signed: false },
  unsigned: { bits: 32, signed: false },
  long: { bits: 64, signed: true },
  'unsigned long': { bits: 64, signed: false },
  'long long': { bits: 64, signed: true },
  'unsigned long long': { bits: 64, signed: false },
  short: { bits: 16, signed: true },
  'unsigned short': { bits: 16, signed: false },
  char: { bits: 8, signed: true },
  'unsigned char': { bits: 8, signed: false },
  s8: { bits: 8, signed: true },
  u8: { bits: 8, signed: false },
  s16: { bits: 16, signed: true },
  u16: { bits: 16, signed: false },
  s32: { bits: 32, signed: true },
  u32: { bits: 32, signed: false },
  s64: { bits: 64, signed: true },
  u64: { bits: 64, signed: false },
};

/** Precedence climbing over C's binary operators; values as bigint. */
class Parser {
  private pos = 0;

  constructor(private readonly tokens: string[]) {}

  done(): boolean {
    return this.pos >= this.tokens.length;
  }

  private peek(): string | undefined {
    return this.tokens[this.pos];
  }

  private next(): string {
    const t = this.tokens[this.pos++];
    if (t === undefined) throw new NotConstant();
    return t;
  }

  expression(): bigint {
    const cond = this.binary(0);
    if (this.peek() !== '?') return cond;
    this.pos++;
    const a = this.expression();
    if (this.next() !== ':') throw new NotConstant();
    const b = this.expression();
    return cond !== 0n ? a : b;
  }

  private static readonly LEVELS: readonly (readonly string[])[] = [
    ['||'],
    ['&&'],
    ['|'],
    ['^'],
    ['&'],
    ['==', '!='],
    ['<', '>', '<=', '>='],
    ['<<', '>>'],
    ['+', '-'],
    ['*', '/', '%'],
  ];

  private binary(level: number): bigint {
    if (level >= Parser.LEVELS.length) return this.unary();
    let left = this.binary(level + 1);
    for (;;) {
      const op = this.peek();
      if (op === undefined || !Parser.LEVELS[level]!.includes(op)) return left;
      this.pos++;
      const right = this.binary(level + 1);
      left = apply(op, left, right);
    }
  }

  private unary(): bigint {
    const t = this.next();
    switch (t) {
      case '-':
        return -this.unary();
      case '+':
        return this.unary();
      case '~':
        return ~this.unary();
      case '!':
        return this.unary() === 0n ? 1n : 0n;
      case '(': {
        // A cast: '(' type-words ')' operand.
        let j = this.pos;
        const words: string[] = [];
        while (j < this.tokens.length && isIdentifier(this.tokens[j]!)) words.push(this.tokens[j++]!);
        const cast = CAST_TYPES[words.join(' ')];
        if (cast && words.length > 0 && this.tokens[j] === ')') {
          this.pos = j + 1;
          const v = this.unary();
          return cast.signed ? BigInt.asIntN(cast.bits, v) : BigInt.asUintN(cast.bits, v);
        }
        const v = this.expression();
        if (this.next() !== ')') throw new NotConstant();
        return v;
      }
      default: {
        const num = /^(0[xX][0-9a-fA-F]+|\d+)[uUlL]*$/.exec(t);
        if (!num) throw new NotConstant();
        const digits = num[1]!;
        if (/^0\d/.test(digits)) return BigInt(`0o${digits.slice(1)}`);
        return BigInt(digits);
      }
    }
  }
}

const LIMIT = 1n << 128n;

/** Header constants are at most 64 bits; anything far larger is not a value this reader needs (and must not grow without bound). */
function apply(op: string, a: bigint, b: bigint): bigint {
  const v = applyUnchecked(op, a, b);
  if (v >= LIMIT || v <= -LIMIT) throw new NotConstant();
  return v;
}

function applyUnchecked(op: string, a: bigint, b: bigint): bigint {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      if (b === 0n) throw new NotConstant();
      return a / b;
    case '%':
      if (b === 0n) throw new NotConstant();
      return a % b;
    case '<<':
      if (b < 0n || b > 63n) throw new NotConstant();
      return a << b;
    case '>>':
      if (b < 0n || b > 63n) throw new NotConstant();
      return a >> b;
    case '&':
      return a & b;
    case '|':
      return a | b;
    case '^':
      return a ^ b;
    case '==':
      return a === b ? 1n : 0n;
    case '!=':
      return a !== b ? 1n : 0n;
    case '<':
      return a < b ? 1n : 0n;
    case '>':
      return a > b ? 1n : 0n;
    case '<=':
      return a <= b ? 1n : 0n;
    case '>=':
      return a >= b ? 1n : 0n;
    case '&&':
      return a !== 0n && b !== 0n ? 1n : 0n;
    case '||':
      return a !== 0n || b !== 0n ? 1n : 0n;
    default:
      throw new NotConstant();
  }
}
