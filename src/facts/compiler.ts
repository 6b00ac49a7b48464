import type { ObjectConventions } from './object-conventions.js';

/**
 * Compiler identity and flags as DW_AT_producer ("GNU C11 12.2.0 -m64 -mno-red-zone …"), a
 * kbuild .cmd line ("gcc -Wp,-MMD,… -m64 …") or CONFIG_CC_VERSION_TEXT record them.
 */

export interface CompilerIdentity {
  readonly family: 'gcc' | 'clang' | 'unknown';
  /** "12.2.0" */
  readonly version: string | undefined;
}

export function flagTokens(text: string): string[] {
  return text.split(/\s+/).filter((t) => t.startsWith('-'));
}

/**
 * The effective setting of a flag family: the last token that matches one of `forms`
 * (a form ending in "=" matches by prefix, others exactly), as GCC lets the last one win.
 */
export function effectiveFlag(tokens: readonly string[], forms: readonly string[]): string | undefined {
  for (let i = tokens.length - 1; i >= 0; i--) {
    const t = tokens[i]!;
    if (forms.some((f) => (f.endsWith('=') ? t.startsWith(f) : t === f))) return t;
  }
  return undefined;
}

/** A producer without its flags: "GNU C11 12.2.0" of "GNU C11 12.2.0 -m64 -O2 …". */
export function producerName(text: string): string {
  return text.split(' -')[0] ?? text;
}

/** A C compiler's producer (GCC or clang), as opposed to an assembler's or another language's. */
export function isCCompiler(producer: string): boolean {
  return /^GNU C|clang/.test(producer);
}

/** From a producer ("GNU C11 12.2.0 …", "clang version 18.1.8 …") or CONFIG_CC_VERSION_TEXT ("gcc-12 (Debian 12.2.0-14) 12.2.0"). */
export function compilerIdentity(text: string): CompilerIdentity {
  const family = /^GNU |gcc|GCC/.test(text) ? 'gcc' : /clang/i.test(text) ? 'clang' : 'unknown';
  const head = producerName(text);
  const versions = head.match(/\b\d+\.\d+(\.\d+)?\b/g);
  return { family, version: versions ? versions[versions.length - 1] : undefined };
}

/** An assembler's producer ("GNU AS 2.40"): no compiler flags apply to what it assembled. */
export function isAssembler(producer: string): boolean {
  return /^GNU AS\b|^(LLVM|clang).*\bas\b/i.test(producer);
}

/** An object's main compiler producer: not the modpost .mod.c unit, not assembler units. */
export function mainProducer(build: ObjectConventions): string | undefined {
  const compiled = build.compiler.producers.filter((p) => !isAssembler(p.producer));
  const main = compiled.find((p) => p.units.length === 0 || !p.units.every((u) => u.endsWith('.mod.c')));
  return (main ?? compiled[0])?.producer;
}
