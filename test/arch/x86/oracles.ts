import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * objdump -d as the oracle for where a patch site is: per section, the symbol labels
 * objdump prints (`0000000000000035 <vmx_update_fb_clear_dis>:`) and every instruction start.
 */
export interface Disassembly {
  readonly labels: ReadonlyMap<string, readonly { address: number; name: string }[]>;
  readonly instructions: ReadonlyMap<string, ReadonlySet<number>>;
}

export function objdumpDisassembly(path: string): Disassembly {
  const text = execFileSync('objdump', ['-d', '--no-show-raw-insn', path], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const labels = new Map<string, { address: number; name: string }[]>();
  const instructions = new Map<string, Set<number>>();
  let section = '';
  for (const line of text.split('\n')) {
    const s = /^Disassembly of section (\S+):$/.exec(line);
    if (s) {
      section = s[1]!;
      labels.set(section, []);
      instructions.set(section, new Set());
      continue;
    }
    const l = /^([0-9a-f]+) <(.+)>:$/.exec(line);
    if (l) {
      labels.get(section)!.push({ address: Number.parseInt(l[1]!, 16), name: l[2]! });
      continue;
    }
    const i = /^\s+([0-9a-f]+):\t/.exec(line);
    if (i) instructions.get(section)!.add(Number.parseInt(i[1]!, 16));
  }
  return { labels, instructions };
}

/** The label objdump prints last at or before `offset` in `section`. */
export function objdumpLabelAt(d: Disassembly, section: string, offset: number): string | undefined {
  let best: string | undefined;
  for (const l of d.labels.get(section) ?? []) if (l.address <= offset) best = l.name;
  return best;
}

/**
 * gcc as the oracle for the value of every object-like macro whose name matches `pattern`
 * in `header`: `gcc -E -dM` lists them, a compiled program prints them.
 */
export function gccMacroValues(header: string, pattern: RegExp, defines: readonly string[] = []): Map<string, number> {
  const flags = defines.map((d) => `-D${d}`);
  const macros = execFileSync('gcc', ['-E', '-dM', ...flags, '-include', header, '-x', 'c', '/dev/null'], { encoding: 'utf8' });
  const names = [...macros.matchAll(/^#define (\w+) /gm)].map((m) => m[1]!).filter((n) => pattern.test(n)).sort();
  const dir = mkdtempSync(join(tmpdir(), 'relinkable-x86-'));
  try {
    const src = join(dir, 'values.c');
    writeFileSync(
      src,
      `#include <stdio.h>\n#include "${header}"\nint main(void) {\n${names.map((n) => `  printf("%s %lld\\n", "${n}", (long long)(${n}));`).join('\n')}\n  return 0;\n}\n`,
    );
    const exe = join(dir, 'values');
    execFileSync('gcc', ['-w', ...flags, '-o', exe, src]);
    const out = new Map<string, number>();
    for (const line of execFileSync(exe, { encoding: 'utf8' }).trim().split('\n')) {
      const [name, value] = line.split(' ');
      out.set(name!, Number(value));
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `pahole -C` as the oracle for a struct's size (its "size:" line); undefined when pahole does not know the struct. */
export function paholeSize(file: string, struct: string, format: 'dwarf' | 'btf' = 'btf'): number | undefined {
  let text: string;
  try {
    text = execFileSync('pahole', ['-F', format, '-C', struct, file], { encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch {
    return undefined;
  }
  const m = /\/\* size: (\d+),/.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** The addend column of `readelf -rW` ("Sym. Name + Addend") for one relocation section, by offset. */
export function readelfAddends(path: string, section: string): Map<number, number> {
  const out = new Map<number, number>();
  let inSection = false;
  for (const line of execFileSync('readelf', ['-rW', path], { encoding: 'utf8', maxBuffer: 1 << 28 }).split('\n')) {
    const h = /^Relocation section '([^']+)'/.exec(line);
    if (h) {
      inSection = h[1] === section;
      continue;
    }
    if (!inSection) continue;
    const m = /^([0-9a-f]{16})\s+\S+\s+\S+\s+[0-9a-f]+\s+\S+\s+([+-])\s+([0-9a-f]+)$/.exec(line);
    if (m) out.set(Number.parseInt(m[1]!, 16), (m[2] === '-' ? -1 : 1) * Number.parseInt(m[3]!, 16));
  }
  return out;
}
