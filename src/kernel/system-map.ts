import { readFileSync } from 'node:fs';
import { InputError } from '../errors.js';

export interface SystemMapEntry {
  readonly address: bigint;
  /** nm's type letter: T/t text, D/d data, B/b bss, R/r rodata, A absolute, W/w weak, V/v… */
  readonly type: string;
  readonly name: string;
}

/** System.map ("address type name" per line, as nm -n writes it). */
export function parseSystemMap(text: string, file: string): SystemMapEntry[] {
  const out: SystemMapEntry[] = [];
  let lineNo = 0;
  for (const line of text.split('\n')) {
    lineNo++;
    if (line === '') continue;
    const m = /^([0-9a-fA-F]{8,16}) ([A-Za-z?]) (\S+)/.exec(line);
    if (!m) throw new InputError(file, `line ${lineNo}: not a System.map line: ${line.slice(0, 60)}`);
    out.push({ address: BigInt(`0x${m[1]}`), type: m[2]!, name: m[3]! });
  }
  if (out.length === 0) throw new InputError(file, 'empty System.map');
  return out;
}

export function readSystemMap(path: string): SystemMapEntry[] {
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (err) {
    throw new InputError(path, `cannot read System.map (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return parseSystemMap(text, path);
}
