import { execFileSync } from 'node:child_process';

export interface PaholeMember {
  name: string;
  offset: number;
  size: number;
  bitfield?: { offset: number; size: number };
}

/** pahole -C: a struct's members with byte offsets and sizes, and its size: the oracle for layouts. */
export function paholeStruct(file: string, name: string, format: 'dwarf' | 'btf' = 'dwarf'): { size: number; members: PaholeMember[] } {
  const text = execFileSync('pahole', ['-F', format, '-C', name, file], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (!text.trim()) throw new Error(`pahole found no struct ${name} in ${file}`);
  const members: PaholeMember[] = [];
  let size = -1;
  let depth = 0;
  for (const line of text.split('\n')) {
    if (/\{\s*$/.test(line)) depth++;
    if (/^\s*\}/.test(line)) depth--;
    // Only the struct's own members (depth 1), not those of nested anonymous aggregates.
    const m = /^\t(.*);\s+\/\*\s+(\d+)(?::\s*(\d+))?\s+(\d+)\s+\*\/$/.exec(line);
    if (m && depth === 1) {
      const decl = m[1]!;
      // "int (*generate)(void *, ...)" names the pointer inside parentheses; else the last identifier.
      const name = /\(\*\s*(\w+)\)/.exec(decl)?.[1] ?? /(\w+)\s*(?:\[\d*\])*\s*(?::\s*\d+)?\s*$/.exec(decl)?.[1];
      if (!name) throw new Error(`cannot read pahole member line: ${line}`);
      const bits = /:\s*(\d+)\s*$/.exec(decl);
      const member: PaholeMember = { name, offset: Number(m[2]), size: Number(m[4]) };
      if (bits) member.bitfield = { offset: Number(m[3] ?? 0), size: Number(bits[1]) };
      members.push(member);
    }
    const s = /\/\* size: (\d+)/.exec(line);
    if (s && size < 0) size = Number(s[1]);
  }
  return { size, members };
}
