// npm run accuracy: for every vmlinux export of two kernels of one stable series, compare
// the prototype and type closure through BTF and tabulate against whether the kernel's own
// modversions CRC changed. Writes the table and samples of each cell (for docs/accuracy.md).
import { writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { btfGraph, readBtf } from '../src/btf/file.js';
import { ElfFile } from '../src/elf/index.js';
import { EM_X86_64 } from '../src/elf/constants.js';
import { callLayout, compareCalls } from '../src/model/abi.js';
import { ClosureComparison, type PairCache, type TypeDelta } from '../src/model/compare.js';
import { CLOSURE_HOPS } from '../src/graph/changes.js';
import { readModuleSymvers } from '../src/kernel/symvers.js';

const CACHE = process.env.RELINKABLE_CACHE ?? join(homedir(), '.cache', 'relinkable');
const [oldV, oldAbi, newV, newAbi] = process.argv.slice(2).length === 4 ? process.argv.slice(2) : ['6.1.170', '6.1.0-47-amd64', '6.1.192', '6.1.0-56-amd64'];
const vmlinux = (v: string, abi: string) => join(CACHE, 'corpus', v, 'usr/lib/debug/boot', `vmlinux-${abi}`);
const symvers = (v: string, abi: string) => join(CACHE, 'corpus', v, `usr/src/linux-headers-${abi}`, 'Module.symvers');

type Verdict = 'prototype' | 'felt' | 'deep' | 'beyond' | 'none' | 'not-in-btf';
const VERDICTS: Record<Verdict, string> = {
  prototype: 'prototype changed at the machine level',
  felt: 'a type passed, returned, or one pointer away changed',
  deep: `only the closure 2-${CLOSURE_HOPS} pointers away changed`,
  beyond: `only types more than ${CLOSURE_HOPS} pointers away changed`,
  none: 'no layout change anywhere in the closure',
  'not-in-btf': 'not in BTF (assembler function, or a non-per-CPU variable)',
};

const started = Date.now();
const oldElf = ElfFile.open(vmlinux(oldV!, oldAbi!));
const newElf = ElfFile.open(vmlinux(newV!, newAbi!));
const a = btfGraph(oldElf, readBtf(oldElf)!);
const b = btfGraph(newElf, readBtf(newElf)!);
const oldExports = readModuleSymvers(symvers(oldV!, oldAbi!));
const newExports = readModuleSymvers(symvers(newV!, newAbi!));
const shared: PairCache = new Map();
const deepShared: PairCache = new Map();

const rows: { name: string; crcChanged: boolean; verdict: Verdict; detail: string }[] = [];
for (const name of oldExports.names()) {
  const o = oldExports.get(name)!;
  const n = newExports.get(name);
  if (o.module !== 'vmlinux' || !n || n.module !== 'vmlinux') continue;
  const crcChanged = o.crc !== n.crc;
  const fa = a.functionByName(name) ?? a.variableByName(name);
  const fb = b.functionByName(name) ?? b.variableByName(name);
  if (!fa || !fb) {
    rows.push({ name, crcChanged, verdict: 'not-in-btf', detail: '' });
    continue;
  }
  const la = callLayout(a, fa.type, EM_X86_64);
  const lb = callLayout(b, fb.type, EM_X86_64);
  const calls = la && lb ? compareCalls(la, lb) : [];
  const deltas = new ClosureComparison(a, b, shared).run([{ label: name, before: fa.type, after: fb.type, owned: false }]);
  const first = (ds: TypeDelta[]) => (ds[0] ? `${ds[0].name}: ${ds[0].changes[0]!.path || '(itself)'} ${ds[0].changes[0]!.kind} ${ds[0].changes[0]!.before} → ${ds[0].changes[0]!.after}` : '');
  let verdict: Verdict;
  let detail: string;
  if (calls.length) {
    verdict = 'prototype';
    detail = calls.map((c) => `${c.what}: ${c.before} → ${c.after}`).join('; ');
  } else if (deltas.some((d) => d.reach.depth <= 1)) {
    verdict = 'felt';
    detail = first(deltas.filter((d) => d.reach.depth <= 1));
  } else if (deltas.length) {
    verdict = 'deep';
    detail = first(deltas);
  } else {
    const deeper = new ClosureComparison(a, b, deepShared, 64).run([{ label: name, before: fa.type, after: fb.type, owned: false }]);
    verdict = deeper.length ? 'beyond' : 'none';
    detail = deeper.length ? `${first(deeper)} (${deeper[0]!.reach.depth} pointers away)` : '';
  }
  rows.push({ name, crcChanged, verdict, detail });
}

const lines: string[] = [];
lines.push(`Exports of vmlinux in both ${oldV} and ${newV}: ${rows.length}; CRC changed for ${rows.filter((r) => r.crcChanged).length}.`);
lines.push('');
lines.push('| BTF says | CRC changed | CRC unchanged |');
lines.push('| --- | ---: | ---: |');
for (const v of Object.keys(VERDICTS) as Verdict[]) {
  const cell = (changed: boolean) => rows.filter((r) => r.verdict === v && r.crcChanged === changed).length;
  lines.push(`| ${VERDICTS[v]} | ${cell(true)} | ${cell(false)} |`);
}
lines.push('');
for (const v of Object.keys(VERDICTS) as Verdict[]) {
  for (const changed of [true, false]) {
    const sample = rows.filter((r) => r.verdict === v && r.crcChanged === changed).slice(0, 8);
    if (!sample.length) continue;
    lines.push(`- ${VERDICTS[v]}, CRC ${changed ? 'changed' : 'unchanged'}: ${sample.map((r) => `\`${r.name}\`${r.detail ? ` (${r.detail})` : ''}`).join('; ')}`);
  }
}
lines.push('');
lines.push(`(${((Date.now() - started) / 1000).toFixed(1)} s)`);
const out = process.env.ACCURACY_OUT ?? join('dist', 'accuracy.md');
writeFileSync(out, `${lines.join('\n')}\n`);
writeFileSync(out.replace(/\.md$/, '.json'), JSON.stringify(rows, null, 1));
console.log(lines.join('\n'));
