import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { unpackCache } from './debian.js';
import { compareVersions } from './state.js';

/**
 * `scan --debian <series>`: the standard (light) kernel packages of a series the machine's
 * apt sources offer — linux-image-<abi>-amd64-unsigned with linux-headers-<abi>-amd64 and
 * -common — newest first, downloaded with `apt-get download` into the cache
 * ($RELINKABLE_CACHE/apt-debs, beside the unpacked kernels) when not there. apt-get checks
 * each download against the archive's hashes; the file name carries the version, and the
 * scan keys each kernel by the sha256 of its packages.
 */

function run(command: string, args: readonly string[], cwd?: string): string {
  const r = spawnSync(command, args, { encoding: 'utf8', cwd, maxBuffer: 64 * 1024 * 1024 });
  const err = r.error as NodeJS.ErrnoException | undefined;
  if (err?.code === 'ENOENT') throw new UsageError(`--debian needs apt (${command} was not found): give the kernels with --kernel or --kernels instead`);
  if (err) throw new UsageError(`--debian: ${command} failed: ${err.message}`);
  if (r.status !== 0) throw new UsageError(`--debian: ${command} ${args.join(' ')} failed: ${r.stderr.trim().split('\n').at(-1) ?? `exit ${r.status}`}`);
  return r.stdout;
}

export function aptCache(): string {
  return join(unpackCache(), '..', 'apt-debs');
}

/** The .deb paths of every kernel of the series apt offers, newest first; downloads what the cache lacks (said on `log`). */
export function debianKernelPackages(series: string, log: { write(text: string): unknown }): string[] {
  if (!/^\d+\.\d+$/.test(series)) throw new UsageError(`--debian ${series}: give a kernel series such as 6.1 or 6.12`);
  const escaped = series.replace('.', '\\.');
  const names = run('apt-cache', ['search', '--names-only', `^linux-image-${escaped}\\.[0-9][^ ]*-amd64-unsigned$`])
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => new RegExp(`^linux-image-${escaped}\\.[0-9][^-]*(-[0-9]+)?(\\+deb[0-9]+)?-amd64-unsigned$`).test(n));
  if (names.length === 0) throw new UsageError(`--debian ${series}: apt offers no linux-image-${series}.*-amd64-unsigned package (is the archive in the apt sources, and apt-get update run?)`);
  // One apt-cache call for every candidate version (one per package took seconds each on a busy machine).
  const versions = new Map<string, string>();
  for (const stanza of run('apt-cache', ['show', '--no-all-versions', ...names]).split(/\n\n+/)) {
    const name = /^Package: (\S+)$/m.exec(stanza)?.[1];
    const version = /^Version: (\S+)$/m.exec(stanza)?.[1];
    if (name && version) versions.set(name, version);
  }
  const kernels = names.map((image) => {
    const abi = image.replace(/^linux-image-/, '').replace(/-amd64-unsigned$/, '');
    const version = versions.get(image);
    if (!version) throw new UsageError(`--debian: apt-cache names no version of ${image}`);
    return { version, packages: [image, `linux-headers-${abi}-amd64`, `linux-headers-${abi}-common`] };
  });
  kernels.sort((a, b) => compareVersions(b.version, a.version));
  const dir = aptCache();
  mkdirSync(dir, { recursive: true });
  const out: string[] = [];
  for (const k of kernels) {
    for (const pkg of k.packages) {
      const file = join(dir, `${pkg}_${k.version.replace(/:/g, '%3a')}_${pkg.endsWith('-common') ? 'all' : 'amd64'}.deb`);
      if (!existsSync(file)) {
        log.write(`relinkable scan: downloading ${pkg}=${k.version}\n`);
        // Through a directory of its own, so an interrupted download never looks cached.
        const partial = join(dir, '.partial');
        rmSync(partial, { recursive: true, force: true });
        mkdirSync(partial);
        run('apt-get', ['download', `${pkg}=${k.version}`], partial);
        const got = readdirSync(partial).filter((f) => f.endsWith('.deb'));
        if (got.length !== 1) throw new UsageError(`--debian: apt-get download ${pkg}=${k.version} gave ${got.length} files`);
        renameSync(join(partial, got[0]!), file);
      }
      out.push(file);
    }
  }
  return out;
}
