import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE, debianKernel, debianModule, debianVmlinux } from '../../support/corpus.js';

export { debianModule, debianVmlinux };

export const VERSIONS = ['6.1.170', '6.1.192', '6.12.117'] as const;
export type Version = (typeof VERSIONS)[number];

/** The linux-headers-<abi>-common directory name of each Debian kernel. */
const COMMON_ABI: Record<Version, string> = { '6.1.170': '6.1.0-47', '6.1.192': '6.1.0-56', '6.12.117': '6.12.117+deb12' };

function need(path: string): string {
  // A missing corpus is a failure, not a skip: the suite must not pass without real kernels.
  if (!existsSync(path)) throw new Error(`${path} is missing: run npm run corpus (scripts/corpus/prepare.sh) first`);
  return path;
}

/** arch/x86/include/asm/<file> from the Debian linux-headers-*-common package. */
export function debianAsmHeader(version: Version, file: string): string {
  return need(join(debianKernel(version), 'usr', 'src', `linux-headers-${COMMON_ABI[version]}-common`, 'arch', 'x86', 'include', 'asm', file));
}

/** A file of Debian's linux-source tree unpacked for the built tree. */
export function treeSource(version: Version, relPath: string): string {
  return need(join(CACHE, 'trees', version, 'src', relPath));
}

/** An object of the small kernel built from that source. */
export function treeObject(version: Version, relPath: string): string {
  return need(join(CACHE, 'trees', version, 'build', relPath));
}

export const kvm = (version: Version, name: 'kvm' | 'kvm-intel' | 'kvm-amd') => debianModule(version, `arch/x86/kvm/${name}.ko`);
export const MODULES = ['arch/x86/kvm/kvm.ko', 'arch/x86/kvm/kvm-intel.ko', 'arch/x86/kvm/kvm-amd.ko', 'crypto/gcm.ko', 'arch/x86/crypto/aesni-intel.ko'] as const;
