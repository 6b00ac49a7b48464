import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { InputError, UsageError } from '../errors.js';
import { inputExists, readInputText } from '../input-file.js';
import { FileSource, sha256Of } from '../elf/source.js';
import { decompressVmlinuzAsync, decompressWholeAsync } from '../kernel/vmlinuz.js';

/**
 * Debian kernel packages given as .deb files, unpacked into a cache outside the repository
 * (`$RELINKABLE_CACHE/unpacked`, default ~/.cache/relinkable), only the members a check
 * reads: a kernel directory any `check` layout accepts.
 *
 * The .deb is read with the tools that ship with dpkg: `dpkg-deb --fsys-tarfile` (the ar
 * container and data.tar.xz/.zst, whichever the package uses) piped into `tar -x` with the
 * member patterns. In-process, the ar container is simple, but data.tar is xz or zstd, which
 * Node cannot decompress (src/decompress-tool.ts), and tar's wildcards pick the few members
 * out of a 400 MB tree as it streams by.
 */

export interface DebianPackage {
  readonly path: string;
  readonly name: string;
  readonly version: string;
  readonly sha256: string;
  readonly role: 'image' | 'dbg' | 'headers' | 'headers-common';
  /** The kernel release the package is for ("6.1.0-47-amd64"; for -common the ABI "6.1.0-47"). */
  readonly abi: string;
}

/** Where unpacked kernels go: $RELINKABLE_CACHE/unpacked, else ~/.cache/relinkable/unpacked. */
export function unpackCache(): string {
  return join(process.env.RELINKABLE_CACHE ?? join(homedir(), '.cache', 'relinkable'), 'unpacked');
}

function tool(command: string, args: readonly string[], what: string, input?: string): string {
  const run = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, input });
  const err = run.error as NodeJS.ErrnoException | undefined;
  if (err?.code === 'ENOENT') throw new UsageError(`${what}: the ${command} tool is needed (Debian's dpkg and tar packages)`);
  if (err) throw new InputError(what, `${command} failed: ${err.message}`);
  if (run.status !== 0) throw new InputError(what, `${command} ${args[0]} failed: ${run.stderr.trim().split('\n')[0] ?? `exit ${run.status}`}`);
  return run.stdout;
}

/**
 * A .deb's package name, version and role (an image, -dbg, headers or headers-common kernel
 * package), read with dpkg-deb, and its sha256. Both are remembered in the cache under the
 * file's size, mtime and inode: a nightly scan does not hash 1.3 GB of unchanged packages again.
 */
export function readDebianPackage(path: string, cache = unpackCache()): DebianPackage {
  if (!inputExists(path)) throw new InputError(path, 'no such file');
  const st = statSync(path);
  const identity = `${st.size} ${st.mtimeMs} ${st.ino}`;
  const stamp = join(cache, '.packages', `${basename(path)}.json`);
  if (inputExists(stamp)) {
    const known = JSON.parse(readInputText(stamp, 'package stamp')) as { identity: string; name: string; version: string; sha256: string };
    if (known.identity === identity) return described(path, known.name, known.version, known.sha256);
  }
  const fields = tool('dpkg-deb', ['--show', '--showformat=${Package}\\t${Version}\\n', path], path).trim();
  const [name, version] = fields.split('\t');
  if (!name || !version) throw new InputError(path, 'dpkg-deb names no package and version');
  const source = FileSource.open(path);
  let sha256: string;
  try {
    sha256 = sha256Of(source);
  } finally {
    source.close();
  }
  const described_ = described(path, name, version, sha256);
  mkdirSync(join(cache, '.packages'), { recursive: true });
  writeFileSync(stamp, `${JSON.stringify({ identity, name, version, sha256 })}\n`);
  return described_;
}

function described(path: string, name: string, version: string, sha256: string): DebianPackage {
  let role: DebianPackage['role'];
  let abi: string;
  let m: RegExpExecArray | null;
  if ((m = /^linux-image-(.+?)-dbg$/.exec(name))) [role, abi] = ['dbg', m[1]!];
  else if ((m = /^linux-image-(.+?)(?:-unsigned)?$/.exec(name)) && !/^linux-image-[a-z]/.test(name)) [role, abi] = ['image', m[1]!];
  else if ((m = /^linux-headers-(.+)-common$/.exec(name))) [role, abi] = ['headers-common', m[1]!];
  else if ((m = /^linux-headers-(.+)$/.exec(name)) && !/^linux-headers-[a-z]/.test(name)) [role, abi] = ['headers', m[1]!];
  else throw new InputError(path, `${name} is not a Debian kernel image, -dbg or headers package`);
  return { path, name, version, role, abi, sha256 };
}

/** The .debs of one kernel: an image or -dbg package and its headers, grouped by kernel release. */
export function groupKernelPackages(packages: readonly DebianPackage[]): DebianPackage[][] {
  const byRelease = new Map<string, DebianPackage[]>();
  for (const p of packages) {
    if (p.role === 'headers-common') continue;
    const group = byRelease.get(p.abi) ?? [];
    group.push(p);
    byRelease.set(p.abi, group);
  }
  const out: DebianPackage[][] = [];
  for (const [release, group] of [...byRelease].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const images = group.filter((p) => p.role === 'image' || p.role === 'dbg');
    if (images.length === 0) throw new UsageError(`linux-headers-${release}: no linux-image-${release} package given with it`);
    // linux-headers-6.1.0-47-amd64 goes with linux-headers-6.1.0-47-common (the ABI without the flavour).
    const common = packages.filter((p) => p.role === 'headers-common' && release.startsWith(`${p.abi}-`));
    out.push([...group, ...common]);
  }
  const used = new Set(out.flat());
  const stray = packages.find((p) => !used.has(p));
  if (stray) throw new UsageError(`${stray.path}: ${stray.name} belongs to no kernel image package given`);
  return out;
}

/** tar patterns of a module's file, whatever its directory, - or _ in its name, and compression. */
function modulePatterns(prefix: string, module: string): string {
  const name = module.replace(/[-_]/g, '[-_]');
  return `${prefix}/*/${name}.ko*`;
}

function membersOf(p: DebianPackage, modules: readonly string[]): string[] {
  switch (p.role) {
    case 'image':
      return ['./boot/vmlinuz-*', './boot/config-*', './lib/modules/*/modules.builtin', './lib/modules/*/modules.order', ...modules.map((m) => modulePatterns('./lib/modules/*/kernel', m))];
    case 'dbg':
      return [
        './usr/lib/debug/boot/vmlinux-*',
        './usr/lib/debug/boot/System.map-*',
        // 6.12's -dbg package lists the built-in modules beside its modules (6.1's has none: then nothing is found).
        './usr/lib/debug/lib/modules/*/modules.builtin',
        './usr/lib/debug/lib/modules/*/modules.order',
        ...modules.map((m) => modulePatterns('./usr/lib/debug/lib/modules/*/kernel', m)),
      ];
    case 'headers':
    case 'headers-common':
      // Small (2–11 MB packages): whole, for Module.symvers, .config and the headers the build-primitive detectors read.
      return ['./usr/src/*'];
  }
}

/**
 * Unpacks one kernel's packages (once; keyed by their sha256) with the modules named, and
 * returns its directory. Modules asked for later are added to it; a module the package does
 * not have is remembered as absent, not searched for again.
 */
export async function unpackKernel(group: readonly DebianPackage[], modules: readonly string[], cache = unpackCache()): Promise<string> {
  const key = createHash('sha256')
    .update(group.map((p) => p.sha256).sort().join('\n'))
    .digest('hex')
    .slice(0, 16);
  const image = group.find((p) => p.role === 'image' || p.role === 'dbg')!;
  const dir = join(cache, `${image.abi}-${key}`);
  const marker = join(dir, '.unpacked.json');
  const wanted = [...new Set(modules)].sort();
  let done: string[] | undefined;
  if (existsSync(marker)) {
    done = (JSON.parse(readInputText(marker, 'unpack marker')) as { modules: string[] }).modules;
    if (wanted.every((m) => done!.includes(m))) return dir;
  }
  if (done === undefined) {
    // First time: everything but modules into a temporary directory, moved into place whole.
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    for (const p of group) await extract(p, membersOf(p, wanted), tmp);
    if (image.role === 'image') await decompressImage(tmp);
    await decompressModules(tmp);
    writeMarker(join(tmp, '.unpacked.json'), group, wanted);
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    return dir;
  }
  const missing = wanted.filter((m) => !done!.includes(m));
  for (const p of group) if (p.role === 'image' || p.role === 'dbg') await extract(p, membersOf(p, missing).filter((m) => m.includes('.ko')), dir);
  await decompressModules(dir);
  writeMarker(marker, group, [...new Set([...done, ...missing])].sort());
  return dir;
}

function writeMarker(file: string, group: readonly DebianPackage[], modules: readonly string[]): void {
  const packages = group.map((p) => ({ name: p.name, version: p.version, sha256: p.sha256, file: basename(p.path) }));
  writeFileSync(file, `${JSON.stringify({ packages, modules }, null, 2)}\n`);
}

function extract(p: DebianPackage, members: readonly string[], into: string): Promise<void> {
  if (members.length === 0) return Promise.resolve();
  // --ignore-failed-read is not for members: a pattern that matches nothing (a module the
  // package lacks) makes tar exit 2 with "Not found in archive"; that alone is not a failure.
  const script = 'dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" --wildcards --wildcards-match-slash "${@:3}" 2>&1 | grep -v -e "Not found in archive" -e "Exiting with failure status due to previous errors" >&2; test "${PIPESTATUS[0]}" = 0';
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script, 'unpack', p.path, into, ...members], { stdio: ['ignore', 'ignore', 'pipe'] });
    let said = '';
    child.stderr.on('data', (chunk: Buffer) => (said += chunk.toString('utf8')));
    child.on('error', (err) => reject(new InputError(p.path, `unpacking failed: ${err.message}`)));
    child.on('close', (status) => (status === 0 ? resolve() : reject(new InputError(p.path, `dpkg-deb --fsys-tarfile failed: ${said.trim().split('\n')[0] ?? `exit ${status}`}`))));
  });
}

/**
 * boot/vmlinux-<abi> beside boot/vmlinuz-<abi>: the image decompressed once, when the
 * package is unpacked, so that a later scan reads only the sections it needs from a file
 * instead of decompressing 60 MB again (xz: 0.6–1 s a kernel).
 */
async function decompressImage(root: string): Promise<void> {
  const boot = join(root, 'boot');
  for (const name of readdirSync(boot).filter((n) => n.startsWith('vmlinuz-'))) {
    writeFileSync(join(boot, name.replace(/^vmlinuz-/, 'vmlinux-')), (await decompressVmlinuzAsync(join(boot, name))).bytes);
  }
}

/** Modules Debian ships compressed (6.12: .ko.xz) decompressed once, as they are unpacked, and the compressed file removed. */
async function decompressModules(root: string): Promise<void> {
  const modules = join(root, 'lib', 'modules');
  if (!existsSync(modules)) return;
  const stack = [modules];
  while (stack.length) {
    const dir = stack.pop()!;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) stack.push(path);
      const packed = /\.ko\.(xz|zst)$/.exec(entry.name)?.[1];
      if (entry.isFile() && packed) {
        writeFileSync(path.replace(/\.(xz|zst)$/, ''), await decompressWholeAsync(path, packed === 'xz' ? 'xz' : 'zstd'));
        rmSync(path);
      }
    }
  }
}
