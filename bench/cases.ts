import { homedir } from 'node:os';
import { join } from 'node:path';

export interface BenchCase {
  readonly id: string;
  readonly title: string;
  readonly argv: readonly string[];
  /** Files that must exist. */
  readonly inputs: readonly string[];
  readonly target?: { readonly seconds: number; readonly rssMB: number };
  /** The relinkable case this peer is compared with. */
  readonly peerOf?: string;
  readonly peerNote?: string;
}

const CACHE = process.env.RELINKABLE_CACHE ?? join(homedir(), '.cache', 'relinkable');
const corpus = (v: string) => join(CACHE, 'corpus', v);
const JITTER_61 = join(corpus('6.1.170'), 'usr/lib/debug/lib/modules/6.1.0-47-amd64/kernel/crypto/jitterentropy_rng.ko');
const SYMVERS_612 = join(corpus('6.12.117'), 'usr/src/linux-headers-6.12.117+deb12-amd64/Module.symvers');
const CLI = join('dist', 'src', 'cli', 'main.js');

export const CASES: readonly BenchCase[] = [
  {
    id: 'check-ko-symbols',
    title: 'relinkable check jitterentropy_rng.ko (6.1.170) --kernel Debian 6.12.117',
    argv: [process.execPath, CLI, 'check', JITTER_61, '--kernel', corpus('6.12.117'), '--format', 'json', '--fail-on', 'never', '--output', '/dev/null'],
    inputs: [JITTER_61, corpus('6.12.117')],
    target: { seconds: 0.5, rssMB: 200 },
  },
  {
    id: 'nm-grep',
    title: 'peer: nm -u jitterentropy_rng.ko, piped to grep -wF over Module.symvers',
    argv: ['sh', '-c', `nm -u '${JITTER_61}' | awk '{print $2}' | grep -wFf - '${SYMVERS_612}' >/dev/null`],
    inputs: [JITTER_61, SYMVERS_612],
    peerOf: 'check-ko-symbols',
    peerNote: 'nm+grep only lists which imports are exported; no CRCs, GPL, namespaces, renames, or built-in detection',
  },
];
