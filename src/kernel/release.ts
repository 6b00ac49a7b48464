import { basename, dirname, join } from 'node:path';
import { InputError } from '../errors.js';
import { inputExists, readInputText } from '../input-file.js';
import { parseKernelVersion } from '../facts/kernel-version.js';

/**
 * Which kernel each part of the new kernel belongs to. vmlinux says it in its linux_banner
 * ("Linux version 6.1.0-56-amd64 (…) #1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2 (…)"); a
 * .config in its header comment ("# Linux/x86 6.1.192 Kernel Configuration", the kernel
 * version without the local version: KernelConfig.kernelVersion); a Module.symvers through what lies next to it: the
 * build's include/config/kernel.release and include/generated/utsrelease.h, or the Debian
 * directory it sits in (usr/src/linux-headers-<release>). A Module.symvers or .config of
 * another kernel than vmlinux is an InputError naming both releases: every export, CRC and
 * option would be judged against the wrong kernel.
 */

/** What vmlinux's linux_banner says. */
export interface VmlinuxRelease {
  readonly file: string;
  /** The first word after "Linux version": uname -r. */
  readonly release: string;
  /** The upstream version of a Debian kernel ("Debian 6.1.192-2" in the banner): 6.1.192. */
  readonly debianVersion: string | undefined;
  /** The banner's Debian package version, for messages ("6.1.192-2"). */
  readonly debianPackage: string | undefined;
}

export function vmlinuxRelease(file: string, banner: string): VmlinuxRelease | undefined {
  const release = /^Linux version (\S+)/.exec(banner)?.[1];
  if (!release) return undefined;
  // In the version part after "#" ("#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2 (2026-11-16)"),
  // not in the compiler's ("gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0").
  const debian = /\) #[^\n]*? Debian ((\d+\.\d+(?:\.\d+)?)\S*)/.exec(banner);
  return { file, release, debianVersion: debian?.[2], debianPackage: debian?.[1] };
}

function describeVmlinux(v: VmlinuxRelease): string {
  return v.debianPackage ? `${v.release} (Debian ${v.debianPackage})` : v.release;
}

/** The upstream version vmlinux is (major.minor.patch): the Debian one when the banner has it. */
function vmlinuxVersion(v: VmlinuxRelease): string {
  return v.debianVersion ?? v.release;
}

/** The release names a Module.symvers is known under, each with where it was read. */
export function symversReleases(file: string): { release: string; from: string }[] {
  const dir = dirname(file);
  const out: { release: string; from: string }[] = [];
  const read = (rel: string, pick: (text: string) => string | undefined) => {
    // Absent: nothing said. Present, it is read like any input (a FIFO or a directory there is an InputError).
    if (!inputExists(join(dir, rel))) return;
    const text = readInputText(join(dir, rel), 'kernel release file', 'latin1').slice(0, 4096);
    const release = pick(text);
    if (release) out.push({ release, from: join(dir, rel) });
  };
  read(join('include', 'config', 'kernel.release'), (t) => /^\s*(\S+)/.exec(t)?.[1]);
  read(join('include', 'generated', 'utsrelease.h'), (t) => /#define\s+UTS_RELEASE\s+"([^"]+)"/.exec(t)?.[1]);
  const headers = /^linux-headers-(.+)$/.exec(basename(dir))?.[1];
  if (headers) out.push({ release: headers, from: `its directory ${basename(dir)}` });
  return out;
}

/** Whether two versions name the same major.minor.patch (the patch compared only when both have it). */
function sameVersion(a: string, b: string): boolean {
  const x = parseKernelVersion(a);
  const y = parseKernelVersion(b);
  if (!x || !y) return true;
  return x.major === y.major && x.minor === y.minor && (x.patch === undefined || y.patch === undefined || x.patch === y.patch);
}

/**
 * Throws an InputError when a Module.symvers or .config belongs to another kernel than
 * vmlinux. What cannot tell its release (a Module.symvers alone in a directory, a .config
 * without its header) is taken as it is.
 */
export function checkSameRelease(vmlinux: VmlinuxRelease, parts: { symvers?: string | undefined; config?: { file: string; version: string | undefined } | undefined }): void {
  const names = new Set([vmlinux.release, ...(vmlinux.debianVersion ? [vmlinux.debianVersion] : [])]);
  const mixed = (file: string, release: string, from: string) =>
    new InputError(
      file,
      `belongs to kernel ${release} (${from}), but ${vmlinux.file} is ${describeVmlinux(vmlinux)}: give the vmlinux, Module.symvers and .config of one kernel build`,
    );
  if (parts.symvers) {
    const releases = symversReleases(parts.symvers);
    if (releases.length > 0 && !releases.some((r) => names.has(r.release))) throw mixed(parts.symvers, releases[0]!.release, releases[0]!.from);
  }
  if (parts.config) {
    const version = parts.config.version;
    if (version && !sameVersion(version, vmlinuxVersion(vmlinux))) throw mixed(parts.config.file, version, 'its header');
  }
}
