import { copyFileSync, mkdtempSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { GATE_CASES } from './gate.js';

/** The commands the cases run, and the Debian package of each (the bench checks for them first). */
export const TOOLS: Readonly<Record<string, string>> = {
  '/usr/bin/time': 'time',
  nm: 'binutils',
  readelf: 'binutils',
  kmidiff: 'abigail-tools',
  abidw: 'abigail-tools',
  pahole: 'dwarves',
  bpftool: 'bpftool',
};

export interface BenchCase {
  readonly id: string;
  readonly title: string;
  readonly argv: readonly string[];
  /** Files that must exist. */
  readonly inputs: readonly string[];
  /** Runs after the warm-up (default BENCH_RUNS, 5); minutes-long peers run once, without warm-up. */
  readonly runs?: number;
  readonly target?: { readonly seconds: number; readonly rssMB: number };
  /** The relinkable case this peer is compared with. */
  readonly peerOf?: string;
  readonly peerNote?: string;
  /** The relinkable case must be this many times faster than this peer (1: faster at all). */
  readonly mustBeat?: number;
  /** Run in turn with the relinkable case (ours, peer, ours, …), so that a drifting machine slows both alike. */
  readonly interleaved?: boolean;
  /** A case of the typical gate (issue 9), listed in the gate's own table: what was checked against what. */
  readonly gate?: { readonly object: string; readonly kernel: string };
  /** What this case adds to another (its baseline): the difference of the medians must stay under maxSeconds. */
  readonly overhead?: { readonly baseline: string; readonly maxSeconds: number; readonly what: string };
}

const CACHE = process.env.RELINKABLE_CACHE ?? join(homedir(), '.cache', 'relinkable');
const corpus = (v: string) => join(CACHE, 'corpus', v);
const JITTER_61 = join(corpus('6.1.170'), 'usr/lib/debug/lib/modules/6.1.0-47-amd64/kernel/crypto/jitterentropy_rng.ko');
const SYMVERS_612 = join(corpus('6.12.117'), 'usr/src/linux-headers-6.12.117+deb12-amd64/Module.symvers');
const VMLINUX_61 = join(corpus('6.1.170'), 'usr/lib/debug/boot/vmlinux-6.1.0-47-amd64');
const VMLINUX_612 = join(corpus('6.12.117'), 'usr/lib/debug/boot/vmlinux-6.12.117+deb12-amd64');
const CLI = join('dist', 'relinkable.mjs');
const TREE_612 = join(CACHE, 'trees', '6.12.117', 'build');
const TREE_612_ARM64 = join(CACHE, 'trees', '6.12.117-arm64', 'build');
const check = (...extra: string[]) => [process.execPath, CLI, 'check', JITTER_61, '--kernel', corpus('6.12.117'), '--format', 'json', '--fail-on', 'never', '--output', '/dev/null', ...extra];
const sh = (command: string) => ['sh', '-c', command];

/** A catalogue holding only the config renames (which no detector reports on): the check without build primitives. */
function catalogueWithoutPrimitives(): string {
  const dir = mkdtempSync(join(tmpdir(), 'relinkable-bench-catalogue-'));
  for (const f of ['catalogue.json', 'config-renames.json']) copyFileSync(join('signatures', f), join(dir, f));
  return dir;
}
/** kmidiff's whitelist of the module's imports, and two empty module directories (it wants them). */
const KMIDIFF_SETUP = `d=$(mktemp -d) && mkdir $d/1 $d/2 && { echo '[abi_whitelist]'; nm -u '${JITTER_61}' | awk '{print "  "$2}'; } > $d/wl`;

export const CASES: readonly BenchCase[] = [
  // Issue 2: the link check alone.
  {
    id: 'check-symbols',
    title: 'check jitterentropy_rng.ko 6.1.170 vs Debian 6.12.117: link checks only (--type-source none)',
    argv: check('--type-source', 'none'),
    inputs: [JITTER_61, corpus('6.12.117')],
    target: { seconds: 0.5, rssMB: 200 },
  },
  {
    id: 'nm-grep',
    title: 'peer: nm -u jitterentropy_rng.ko, piped to grep -wF over Module.symvers',
    argv: sh(`nm -u '${JITTER_61}' | awk '{print $2}' | grep -wFf - '${SYMVERS_612}' >/dev/null`),
    inputs: [JITTER_61, SYMVERS_612],
    peerOf: 'check-symbols',
    peerNote: 'nm+grep only lists which imports are exported',
  },
  // Issue 3: the interface checks, through BTF and through DWARF.
  {
    id: 'check-btf',
    title: 'check jitterentropy_rng.ko vs Debian 6.12.117 through BTF (--type-source btf)',
    argv: check('--type-source', 'btf'),
    inputs: [JITTER_61, corpus('6.12.117')],
    target: { seconds: 0.3, rssMB: 200 },
  },
  // Issue 4: the build-primitive checks, as what they add to the BTF-path check.
  {
    id: 'check-btf-without-primitives',
    title: 'the same BTF-path check with a catalogue of no build primitives (only signatures/config-renames.json)',
    argv: check('--type-source', 'btf', '--signatures', catalogueWithoutPrimitives()),
    inputs: [JITTER_61, corpus('6.12.117')],
    runs: 21,
  },
  {
    id: 'check-btf-primitives',
    title: 'check through BTF with the full signatures/ catalogue (39 build primitives)',
    argv: check('--type-source', 'btf'),
    inputs: [JITTER_61, corpus('6.12.117')],
    runs: 21,
    overhead: { baseline: 'check-btf-without-primitives', maxSeconds: 0.1, what: 'the build-primitive checks (build facts, catalogue, 39 entries)' },
  },
  {
    id: 'check-dwarf',
    title: 'check jitterentropy_rng.ko vs Debian 6.12.117 through DWARF (--type-source dwarf)',
    argv: check('--type-source', 'dwarf'),
    inputs: [JITTER_61, corpus('6.12.117')],
    target: { seconds: 1.5, rssMB: 400 },
  },
  {
    id: 'kmidiff',
    title: 'peer: kmidiff --kmi-whitelist <its imports> --vmlinux1 6.1.170 --vmlinux2 6.12.117',
    argv: sh(`${KMIDIFF_SETUP} && kmidiff --kmi-whitelist $d/wl --vmlinux1 '${VMLINUX_61}' --vmlinux2 '${VMLINUX_612}' $d/1 $d/2 >/dev/null; rm -rf $d`),
    inputs: [JITTER_61, VMLINUX_61, VMLINUX_612],
    peerOf: 'check-dwarf',
    peerNote: '1,073 unranked lines for the same 15 imports',
  },
  {
    id: 'btf-parse',
    title: 'BTF of the 6.12 vmlinux parsed into the type model (every type)',
    argv: [process.execPath, join('dist', 'bench', 'btf-parse.js'), VMLINUX_612],
    inputs: [VMLINUX_612],
  },
  {
    id: 'bpftool',
    title: 'peer: bpftool btf dump file <6.12 vmlinux> format raw',
    argv: sh(`bpftool btf dump file '${VMLINUX_612}' format raw >/dev/null`),
    inputs: [VMLINUX_612],
    peerOf: 'btf-parse',
  },
  {
    id: 'dwarf-pass-612',
    title: 'full DWARF pass over the 6.12 vmlinux (every DIE, every attribute)',
    argv: [process.execPath, join('dist', 'bench', 'dwarf-pass.js'), VMLINUX_612],
    inputs: [VMLINUX_612],
    runs: 1,
  },
  {
    id: 'readelf-612',
    title: 'peer: readelf --debug-dump=info <6.12 vmlinux>',
    argv: sh(`readelf --debug-dump=info '${VMLINUX_612}' >/dev/null`),
    inputs: [VMLINUX_612],
    runs: 1,
    peerOf: 'dwarf-pass-612',
  },
  {
    id: 'pahole-612',
    title: 'peer: pahole <6.12 vmlinux>',
    argv: sh(`pahole '${VMLINUX_612}' >/dev/null`),
    inputs: [VMLINUX_612],
    runs: 1,
    peerOf: 'dwarf-pass-612',
  },
  {
    id: 'abidw-612',
    title: 'peer: abidw --noout <6.12 vmlinux>',
    argv: ['abidw', '--noout', VMLINUX_612],
    inputs: [VMLINUX_612],
    runs: 1,
    peerOf: 'dwarf-pass-612',
  },
  {
    id: 'dwarf-pass-61',
    title: 'full DWARF pass over the 6.1 vmlinux',
    argv: [process.execPath, join('dist', 'bench', 'dwarf-pass.js'), VMLINUX_61],
    inputs: [VMLINUX_61],
    runs: 1,
  },
  {
    id: 'abidw-61',
    title: 'peer: abidw --noout <6.1 vmlinux>',
    argv: ['abidw', '--noout', VMLINUX_61],
    inputs: [VMLINUX_61],
    runs: 1,
    peerOf: 'dwarf-pass-61',
    mustBeat: 1,
  },
  // Issue 9: the typical gate, side by side with kmidiff.
  ...GATE_CASES,
  // Issue 11: verify a crypto object against the 6.12 vmlinux it is linked into (the tree's
  // own drbg.o: 6 sections, 105 relocated fields, the patch tables). The linked file is read
  // lazily: its symbol table, the sections the object landed in, and the patch tables.
  {
    id: 'verify-612',
    title: 'verify crypto/drbg.o --linked <6.12.117 tree vmlinux>',
    argv: [process.execPath, CLI, 'verify', join(TREE_612, 'crypto', 'drbg.o'), '--linked', join(TREE_612, 'vmlinux'), '--format', 'json', '--output', '/dev/null'],
    inputs: [join(TREE_612, 'crypto', 'drbg.o'), join(TREE_612, 'vmlinux')],
    target: { seconds: 1, rssMB: 200 },
  },
  // The same object of the cross-built arm64 tree against its vmlinux: a -shared link, so the
  // 32,648 boot relocations of .rela.dyn are read too, and the sorted ftrace table.
  {
    id: 'verify-612-arm64',
    title: 'verify crypto/drbg.o --linked <6.12.117 arm64 tree vmlinux>',
    argv: [process.execPath, CLI, 'verify', join(TREE_612_ARM64, 'crypto', 'drbg.o'), '--linked', join(TREE_612_ARM64, 'vmlinux'), '--format', 'json', '--output', '/dev/null'],
    inputs: [join(TREE_612_ARM64, 'crypto', 'drbg.o'), join(TREE_612_ARM64, 'vmlinux')],
    target: { seconds: 1, rssMB: 200 },
  },
];
