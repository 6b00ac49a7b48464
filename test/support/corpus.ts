import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where scripts/corpus/prepare.sh keeps the real Debian kernels and the built trees. */
export const CACHE = process.env.RELINKABLE_CACHE ?? join(homedir(), '.cache', 'relinkable');

const ABI: Record<string, string> = {
  '6.1.170': '6.1.0-47-amd64', '6.1.192': '6.1.0-56-amd64', '6.12.117': '6.12.117+deb12-amd64',
  // Debian's arm64 packages, extracted by fetch.sh beside the amd64 ones (corpus key <v>-arm64)
  '6.1.170-arm64': '6.1.0-47-arm64', '6.12.117-arm64': '6.12.117+deb12-arm64',
};

function need(path: string): string {
  // A missing corpus is a failure, not a skip: the suite must not pass without real kernels.
  if (!existsSync(path)) throw new Error(`${path} is missing: run npm run corpus (scripts/corpus/prepare.sh) first`);
  return path;
}

/** An unpacked Debian kernel (-dbg + headers), usable as --kernel. */
export function debianKernel(version: string): string {
  return need(join(CACHE, 'corpus', version));
}

export function debianVmlinux(version: string): string {
  return need(join(debianKernel(version), 'usr', 'lib', 'debug', 'boot', `vmlinux-${ABI[version]}`));
}

export function debianSymvers(version: string): string {
  return need(join(debianKernel(version), 'usr', 'src', `linux-headers-${ABI[version]}`, 'Module.symvers'));
}

export function debianModule(version: string, relPath: string): string {
  return need(join(debianKernel(version), 'usr', 'lib', 'debug', 'lib', 'modules', ABI[version]!, 'kernel', relPath));
}

/** A small kernel built from Debian's linux-source, as a make O= build directory (key <v> for x86-64, <v>-arm64 cross-built). */
export function builtTree(version: string): string {
  return need(join(CACHE, 'trees', version, 'build'));
}

/** A module as Debian's signed image package ships it (signature appended), for the versions the manifest pins one for. */
export function debianSignedModule(version: string, relPath: string): string {
  return need(join(CACHE, 'signed', version, 'lib', 'modules', ABI[version]!, 'kernel', relPath));
}

/** The .config of an unpacked Debian kernel. */
export function debianConfig(version: string): string {
  return need(join(debianKernel(version), 'usr', 'src', `linux-headers-${ABI[version]}`, '.config'));
}

/** A light kernel of the scan corpus (scripts/corpus/light.tsv): its image and headers .debs, by Debian ABI ("6.1.0-47", "6.12.117+deb12"). */
export function lightKernelDebs(abi: string): string[] {
  const rows = readFileSync(join(__dirname, '..', '..', 'scripts', 'corpus', 'light.tsv'), 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split('\t'));
  const names = [`linux-image-${abi}-amd64-unsigned`, `linux-headers-${abi}-amd64`, `linux-headers-${abi}-common`];
  return names.map((name) => {
    const row = rows.find((r) => r[0] === name);
    if (!row) throw new Error(`scripts/corpus/light.tsv pins no ${name}`);
    return need(join(CACHE, 'debs', `${name}_${row[1]!.replace(/:/g, '%3a')}_${name.endsWith('-common') ? 'all' : 'amd64'}.deb`));
  });
}

/** Every light kernel the scan corpus pins, each as its .debs, oldest first. */
export function allLightKernelDebs(): string[][] {
  const abis = readFileSync(join(__dirname, '..', '..', 'scripts', 'corpus', 'light.tsv'), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('linux-image-'))
    .map((l) => l.split('\t')[0]!.replace(/^linux-image-/, '').replace(/-amd64-unsigned$/, ''));
  return abis.map(lightKernelDebs);
}
