import { basename } from 'node:path';
import { InputError } from '../errors.js';
import { readInputLines } from '../input-file.js';

/** One input section as a GNU ld map file (-Map) lists it under its output section. */
export interface LinkMapEntry {
  readonly output: string;
  readonly section: string;
  /** Address in a final link; offset in the output section of a relocatable (ld -r) link. */
  readonly address: bigint;
  readonly size: number;
  /** The input as ld names it: a path, or `archive(member)`. */
  readonly input: string;
}

const OUTPUT = /^(\S+)(?:\s+0x([0-9a-f]+)\s+0x([0-9a-f]+))?\s*$/;
const INPUT = /^ (\S+)(?:\s+0x([0-9a-f]+)\s+0x([0-9a-f]+) (.+))?$/;
const WRAPPED = /^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+) (.+)$/;

/**
 * The input sections of a GNU ld map file, from its "Linker script and memory map" part: an
 * output section starts in column 0, an input section in column 1 with its address, size and
 * input file (a long name wraps the numbers onto the next line); symbol lines, fill and
 * script lines are skipped.
 */
export function readLinkMap(path: string): LinkMapEntry[] {
  const lines = readInputLines(path, 'linker map').split('\n');
  const start = lines.findIndex((l) => l.startsWith('Linker script and memory map'));
  if (start < 0) throw new InputError(path, 'no "Linker script and memory map" part: not a GNU ld map file (-Map)');
  const out: LinkMapEntry[] = [];
  let output: string | undefined;
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '' || line.startsWith('LOAD ') || line.startsWith('OUTPUT(')) continue;
    if (!line.startsWith(' ')) {
      const m = OUTPUT.exec(line);
      output = m ? m[1] : undefined;
      continue;
    }
    const m = INPUT.exec(line);
    if (!m || !output || m[1]!.startsWith('*') || m[1]!.startsWith('0x')) continue;
    let numbers: [string, string, string] | undefined = m[2] ? [m[2], m[3]!, m[4]!] : undefined;
    if (!numbers) {
      const next = WRAPPED.exec(lines[i + 1] ?? '');
      if (!next) continue;
      numbers = [next[1]!, next[2]!, next[3]!];
      i++;
    }
    out.push({ output, section: m[1]!, address: BigInt(`0x${numbers[0]}`), size: Number.parseInt(numbers[1], 16), input: numbers[2].trim() });
  }
  return out;
}

/** Whether ld's name of an input is the frozen object: the same path, or the same file name (as a path or an archive member). */
export function namesObject(input: string, object: string): boolean {
  if (input === object) return true;
  const member = /\(([^()]+)\)$/.exec(input)?.[1];
  return basename(member ?? input) === basename(object);
}
