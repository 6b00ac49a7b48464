// The typical gate (issue 9): the 13 crypto modules of Debian 6.1.170 a FIPS kernel
// certifies, checked with the default options against the next release of the same series
// (6.1.192) and against the next LTS (6.12.117), and a built-in object against a make O=
// tree; each side by side with kmidiff on the two vmlinux files, whitelisting the object's
// imports, run in turn with it (relinkable, kmidiff, relinkable, …) so that both meet the
// same machine.
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { BenchCase } from './cases.js';

const CACHE = process.env.RELINKABLE_CACHE ?? join(homedir(), '.cache', 'relinkable');
const ABI: Record<string, string> = { '6.1.170': '6.1.0-47-amd64', '6.1.192': '6.1.0-56-amd64', '6.12.117': '6.12.117+deb12-amd64' };
const corpus = (v: string) => join(CACHE, 'corpus', v);
const vmlinux = (v: string) => join(corpus(v), 'usr/lib/debug/boot', `vmlinux-${ABI[v]}`);
const tree = (v: string) => join(CACHE, 'trees', v, 'build');
const CLI = join('dist', 'relinkable.mjs');

/** The modules, as paths under the 6.1.170 package's kernel/ directory. */
export const GATE_MODULES = [
  'crypto/jitterentropy_rng',
  'crypto/drbg',
  'crypto/gcm',
  'crypto/ctr',
  'crypto/xts',
  'crypto/cmac',
  'crypto/ecb',
  'crypto/aes_ti',
  'crypto/sha512_generic',
  'arch/x86/crypto/aesni-intel',
  'arch/x86/crypto/sha256-ssse3',
  'arch/x86/crypto/sha512-ssse3',
  'arch/x86/crypto/ghash-clmulni-intel',
];
export const GATE_KERNELS = ['6.1.192', '6.12.117'];
/** The built-in object, from the 6.1.170 tree, and the trees it is checked against. */
const BUILT_IN = 'crypto/jitterentropy.o';
export const GATE_TREES = ['6.1.192', '6.12.117'];

/** Every module and tree case: under 0.5 s; each module at least 8× faster than kmidiff on the same module. */
const TARGET = { seconds: 0.5, rssMB: 400 };
const KMIDIFF_FACTOR = 8;

const sh = (command: string) => ['sh', '-c', command];
const check = (object: string, kernel: string) => [process.execPath, CLI, 'check', object, '--kernel', kernel, '--format', 'json', '--fail-on', 'never', '--output', '/dev/null'];

/** kmidiff comparing two vmlinux files on an object's imports (`nm -u`), with the two module directories it wants (empty). */
function kmidiff(object: string, vmlinux1: string, vmlinux2: string): string[] {
  return sh(
    `d=$(mktemp -d) && mkdir $d/1 $d/2 && { echo '[abi_whitelist]'; nm -u '${object}' | awk '{print "  "$2}'; } > $d/wl && ` +
      `kmidiff --kmi-whitelist $d/wl --vmlinux1 '${vmlinux1}' --vmlinux2 '${vmlinux2}' $d/1 $d/2 >/dev/null; rm -rf $d`,
  );
}

const short = (path: string) => path.replace(/^.*\//, '').replace(/\.(ko|o)$/, '');

function cases(): BenchCase[] {
  const out: BenchCase[] = [];
  for (const v of GATE_KERNELS) {
    for (const m of GATE_MODULES) {
      const ko = join(corpus('6.1.170'), 'usr/lib/debug/lib/modules', ABI['6.1.170']!, 'kernel', `${m}.ko`);
      const id = `gate-${short(m)}-${v}`;
      out.push({ id, title: `gate: ${short(m)}.ko 6.1.170 vs Debian ${v} (default options)`, argv: check(ko, corpus(v)), inputs: [ko, corpus(v)], target: TARGET, gate: { object: short(m), kernel: `Debian ${v}` } });
      out.push({
        id: `${id}-kmidiff`,
        title: `peer: kmidiff on ${short(m)}.ko's imports, vmlinux 6.1.170 vs ${v}`,
        argv: kmidiff(ko, vmlinux('6.1.170'), vmlinux(v)),
        inputs: [ko, vmlinux('6.1.170'), vmlinux(v)],
        peerOf: id,
        interleaved: true,
        mustBeat: KMIDIFF_FACTOR,
      });
    }
  }
  for (const v of GATE_TREES) {
    const object = join(tree('6.1.170'), BUILT_IN);
    const id = `gate-tree-${short(BUILT_IN)}-${v}`;
    out.push({ id, title: `gate: ${BUILT_IN} of the 6.1.170 tree vs the ${v} tree (make O=, default options)`, argv: check(object, tree(v)), inputs: [object, join(tree(v), 'vmlinux')], target: TARGET, gate: { object: `${BUILT_IN} (tree)`, kernel: `tree ${v}` } });
    out.push({
      id: `${id}-kmidiff`,
      title: `peer: kmidiff on ${BUILT_IN}'s imports, tree vmlinux 6.1.170 vs ${v}`,
      argv: kmidiff(object, join(tree('6.1.170'), 'vmlinux'), join(tree(v), 'vmlinux')),
      inputs: [object, join(tree('6.1.170'), 'vmlinux'), join(tree(v), 'vmlinux')],
      peerOf: id,
      interleaved: true,
      peerNote: 'a small tree: kmidiff reads a 45 MB vmlinux, not a 630 MB one; no ratio target',
    });
  }
  return out;
}

export const GATE_CASES: readonly BenchCase[] = cases();
