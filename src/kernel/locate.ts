import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, UsageError } from '../errors.js';
import { optionalInput } from '../input-file.js';

export type KernelLayout = 'build-dir' | 'debian' | 'debian-image' | 'explicit';

/** Where each part of the new kernel was found. Only vmlinux is required. */
export interface KernelArtifacts {
  readonly layout: KernelLayout;
  /** The --kernel path, when one was given. */
  readonly root: string | undefined;
  /** Debian ABI name (e.g. 6.12.117+deb12-amd64) when the layout names one. */
  readonly abi: string | undefined;
  /** vmlinux, or (with `compressed`) the bzImage it is decompressed from. */
  readonly vmlinux: string;
  /** vmlinux is inside a compressed kernel image (vmlinuz): read in memory, its symbols from kallsyms. */
  readonly compressed?: boolean;
  readonly symvers: string | undefined;
  readonly config: string | undefined;
  readonly systemMap: string | undefined;
  /** Build directory only: arch/<arch>/kernel/vmlinux.lds. */
  readonly linkerScript: string | undefined;
  /** Build directory only: vmlinux.a (thin archive of every built-in object, v6.1+). */
  readonly vmlinuxArchive: string | undefined;
  /** Build directory only: archives linked with --start-group (lib/lib.a, arch/x86/lib/lib.a). */
  readonly libraryArchives: readonly string[];
  /** Where .ko files of the new kernel live (Debian: usr/lib/debug/lib/modules/<abi>; build dir: itself). */
  readonly modulesDir: string | undefined;
  /** modules.builtin: the modules compiled into vmlinux, as modprobe knows them. */
  readonly modulesBuiltin: string | undefined;
  /** Debian linux-headers-<abi> directory (Module.symvers, .config, arch headers). */
  readonly headersDir: string | undefined;
}

export interface LocateOptions {
  kernel?: string | undefined;
  vmlinux?: string | undefined;
  symvers?: string | undefined;
  config?: string | undefined;
  systemMap?: string | undefined;
  /** Debian layout with several kernels: which ABI. */
  release?: string | undefined;
}

const file = (p: string) => {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
};
/** An artifact found by looking: absent, a regular file, or an InputError when something else is there (a FIFO, a directory). */
const maybe = (p: string) => optionalInput(p);

export function locateKernel(opts: LocateOptions): KernelArtifacts {
  if (!opts.kernel) {
    if (!opts.vmlinux) throw new UsageError('give the new kernel with --kernel DIR, or at least --vmlinux FILE');
    if (opts.release) throw new UsageError(`--release ${opts.release} chooses a kernel of a Debian layout given with --kernel; there is none`);
    return {
      layout: 'explicit',
      root: undefined,
      abi: undefined,
      vmlinux: opts.vmlinux,
      symvers: opts.symvers,
      config: opts.config,
      systemMap: opts.systemMap,
      linkerScript: undefined,
      vmlinuxArchive: undefined,
      libraryArchives: [],
      modulesDir: undefined,
      modulesBuiltin: undefined,
      headersDir: undefined,
    };
  }
  const root = opts.kernel;
  let st;
  try {
    st = statSync(root);
  } catch {
    throw new InputError(root, 'no such directory');
  }
  if (!st.isDirectory()) throw new InputError(root, 'is not a directory (--kernel takes a build directory or an unpacked Debian kernel)');

  const buildDir = locateBuildDir(root);
  if (buildDir && opts.release) throw new UsageError(`--release ${opts.release} chooses a kernel of a Debian layout; ${root} is a build directory (one kernel)`);
  const found = buildDir ?? locateDebian(root, opts.release) ?? locateDebianImage(root, opts.release);
  if (!found) {
    throw new InputError(
      root,
      'not a kernel build: no vmlinux here (expected a make O= build directory, unpacked Debian linux-image-*-dbg with usr/lib/debug/boot/vmlinux-*, or an unpacked linux-image-* with boot/vmlinuz-*)',
    );
  }
  // An explicit --vmlinux is told apart (vmlinux or vmlinuz) by its first bytes.
  if (opts.vmlinux && found.compressed !== undefined) return { ...found, compressed: undefined, vmlinux: opts.vmlinux, symvers: opts.symvers ?? found.symvers, config: opts.config ?? found.config, systemMap: opts.systemMap };
  // Explicit files override what the layout offered.
  return {
    ...found,
    vmlinux: opts.vmlinux ?? found.vmlinux,
    symvers: opts.symvers ?? found.symvers,
    config: opts.config ?? found.config,
    systemMap: opts.systemMap ?? found.systemMap,
  };
}

function locateBuildDir(root: string): KernelArtifacts | undefined {
  const vmlinux = maybe(join(root, 'vmlinux'));
  if (!vmlinux) {
    // A build directory whose vmlinux is missing is still recognisable; say so precisely.
    if (file(join(root, 'vmlinux.a')) || file(join(root, 'Module.symvers')) && file(join(root, '.config')) && existsSync(join(root, 'include', 'generated'))) {
      throw new InputError(root, 'kernel build directory without a vmlinux (the build did not finish, or vmlinux was removed)');
    }
    return undefined;
  }
  let linkerScript: string | undefined;
  const archDir = join(root, 'arch');
  if (existsSync(archDir)) {
    for (const arch of readdirSync(archDir).sort()) {
      const lds = maybe(join(archDir, arch, 'kernel', 'vmlinux.lds'));
      if (lds) {
        linkerScript = lds;
        break;
      }
    }
  }
  const libraryArchives = ['lib/lib.a', ...(existsSync(archDir) ? readdirSync(archDir).sort().map((a) => `arch/${a}/lib/lib.a`) : [])]
    .map((p) => join(root, p))
    .filter((p) => maybe(p) !== undefined);
  return {
    layout: 'build-dir',
    root,
    abi: undefined,
    vmlinux,
    symvers: maybe(join(root, 'Module.symvers')),
    config: maybe(join(root, '.config')),
    systemMap: maybe(join(root, 'System.map')),
    linkerScript,
    vmlinuxArchive: maybe(join(root, 'vmlinux.a')),
    libraryArchives,
    modulesDir: root,
    modulesBuiltin: maybe(join(root, 'modules.builtin')),
    headersDir: undefined,
  };
}

/** One ABI among those a directory holds: the one asked for, or the only one. */
function chooseAbi(root: string, abis: readonly string[], release: string | undefined): string {
  if (release) {
    if (!abis.includes(release)) throw new InputError(root, `no kernel ${release} here (found: ${abis.join(', ')})`);
    return release;
  }
  if (abis.length === 1) return abis[0]!;
  throw new UsageError(`${root}: holds several kernels (${abis.join(', ')}); choose one with --release`);
}

/** The ABIs of the kernel files named `<prefix><abi>` in a boot directory ("vmlinux-6.1.0-47-amd64"), sorted. */
function abisIn(bootDir: string, prefix: string): string[] {
  return readdirSync(bootDir)
    .filter((n) => n.startsWith(prefix) && maybe(join(bootDir, n)) !== undefined)
    .map((n) => n.slice(prefix.length))
    .sort();
}

/**
 * An unpacked Debian linux-image-<abi>-amd64[-unsigned] (boot/vmlinuz-<abi>, boot/config-<abi>,
 * lib/modules/<abi>/) with linux-headers-<abi> (usr/src/linux-headers-<abi>/Module.symvers):
 * the light kernel. Its boot/System.map is a one-line placeholder pointing at the -dbg
 * package, so it is not taken; the symbols come from vmlinux's kallsyms.
 */
function locateDebianImage(root: string, release: string | undefined): KernelArtifacts | undefined {
  const bootDir = join(root, 'boot');
  if (!existsSync(bootDir)) return undefined;
  const abis = abisIn(bootDir, 'vmlinuz-');
  if (abis.length === 0) return undefined;
  const abi = chooseAbi(root, abis, release);
  const headersDir = [join(root, 'usr', 'src', `linux-headers-${abi}`)].find((d) => existsSync(d));
  const modulesDir = join(root, 'lib', 'modules', abi);
  // A vmlinux decompressed beside the vmlinuz (relinkable scan does it once, as it unpacks a .deb) is read in its place.
  const decompressed = maybe(join(bootDir, `vmlinux-${abi}`));
  return {
    layout: 'debian-image',
    root,
    abi,
    vmlinux: decompressed ?? join(bootDir, `vmlinuz-${abi}`),
    compressed: decompressed === undefined,
    systemMap: undefined,
    ...debianPackageArtifacts(headersDir, modulesDir, join(bootDir, `config-${abi}`)),
  };
}

/**
 * What the Debian layouts (-dbg and image) take alike from linux-headers-<abi> and the
 * modules directory: Module.symvers, .config (else the boot directory's config-<abi>), the
 * modules and modules.builtin; no linker script or archives.
 */
function debianPackageArtifacts(headersDir: string | undefined, modulesDir: string, bootConfig: string) {
  return {
    symvers: headersDir ? maybe(join(headersDir, 'Module.symvers')) : undefined,
    config: (headersDir ? maybe(join(headersDir, '.config')) : undefined) ?? maybe(bootConfig),
    linkerScript: undefined,
    vmlinuxArchive: undefined,
    libraryArchives: [],
    modulesDir: existsSync(modulesDir) ? modulesDir : undefined,
    modulesBuiltin: maybe(join(modulesDir, 'modules.builtin')),
    headersDir,
  };
}

function locateDebian(root: string, release: string | undefined): KernelArtifacts | undefined {
  const bootDir = join(root, 'usr', 'lib', 'debug', 'boot');
  if (!existsSync(bootDir)) return undefined;
  const abis = abisIn(bootDir, 'vmlinux-');
  if (abis.length === 0) return undefined;
  const abi = chooseAbi(root, abis, release);
  const headersDir = [join(root, 'usr', 'src', `linux-headers-${abi}`)].find((d) => existsSync(d));
  const modulesDir = join(root, 'usr', 'lib', 'debug', 'lib', 'modules', abi);
  return {
    layout: 'debian',
    root,
    abi,
    vmlinux: join(bootDir, `vmlinux-${abi}`),
    systemMap: maybe(join(bootDir, `System.map-${abi}`)) ?? maybe(join(root, 'boot', `System.map-${abi}`)),
    ...debianPackageArtifacts(headersDir, modulesDir, join(root, 'boot', `config-${abi}`)),
  };
}
