import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ROOT } from './target.js';

/**
 * The engine is jazzer.js (libFuzzer in a Node addon, coverage from instrumenting the ESM
 * modules as they load). Its 4.0.0 prebuilt Linux addon asks for glibc 2.38 and GCC 13's
 * libstdc++ for three symbols; on an older system (Debian 12) this builds a small library
 * with them (fuzz/compat/jazzer-compat.cc) to preload, and marks those symbol versions weak
 * in the addon, so the dynamic loader takes the symbols from the preloaded library.
 */

const require = createRequire(import.meta.url);
export const JAZZER_CLI = require.resolve('@jazzer.js/core/dist/cli.js');
const ADDON = join(dirname(require.resolve('@jazzer.js/fuzzer/package.json')), 'prebuilds', `fuzzer-${process.platform}-${process.arch}.node`);
const MISSING_VERSIONS = ['GLIBC_2.38', 'GLIBCXX_3.4.32'];
const VER_FLG_WEAK = 0x2;
const SHT_GNU_VERNEED = 0x6ffffffe;

/** Why the addon does not load, bound at once (LD_BIND_NOW: once its versions are weak, a missing symbol shows only when called). */
function loadError(env: NodeJS.ProcessEnv): string | undefined {
  const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(ADDON)})`], { env: { ...env, LD_BIND_NOW: '1' }, encoding: 'utf8' });
  return r.status === 0 ? undefined : r.stderr.split('\n').find((l) => l.startsWith('Error:')) ?? r.stderr.trim();
}

/** Sets VER_FLG_WEAK on the addon's version needs named in `names` (a 64-bit little-endian ELF); how many it changed. */
function weakenVersionNeeds(file: string, names: readonly string[]): number {
  const b = readFileSync(file);
  const shoff = Number(b.readBigUInt64LE(0x28));
  const shentsize = b.readUInt16LE(0x3a);
  const header = (i: number) => shoff + i * shentsize;
  let changed = 0;
  for (let i = 0; i < b.readUInt16LE(0x3c); i++) {
    if (b.readUInt32LE(header(i) + 4) !== SHT_GNU_VERNEED) continue;
    const strtab = Number(b.readBigUInt64LE(header(b.readUInt32LE(header(i) + 0x28)) + 0x18));
    const name = (offset: number) => b.toString('latin1', strtab + offset, b.indexOf(0, strtab + offset));
    // Elf64_Verneed {vn_version, vn_cnt, vn_file, vn_aux, vn_next}; Elf64_Vernaux {vna_hash, vna_flags, vna_other, vna_name, vna_next}.
    let need = Number(b.readBigUInt64LE(header(i) + 0x18));
    for (let n = 0; n < b.readUInt32LE(header(i) + 0x2c); n++) {
      let aux = need + b.readUInt32LE(need + 8);
      for (let k = 0; k < b.readUInt16LE(need + 2); k++) {
        const flags = b.readUInt16LE(aux + 4);
        if (names.includes(name(b.readUInt32LE(aux + 8))) && !(flags & VER_FLG_WEAK)) {
          b.writeUInt16LE(flags | VER_FLG_WEAK, aux + 4);
          changed++;
        }
        aux += b.readUInt32LE(aux + 12);
      }
      need += b.readUInt32LE(need + 12);
    }
  }
  if (changed > 0) writeFileSync(file, b);
  return changed;
}

/** The environment the engine runs in: the caller's, plus LD_PRELOAD of the compatibility library where the addon needs it. */
export function engineEnvironment(workDir: string): NodeJS.ProcessEnv {
  const env = { ...process.env };
  const first = loadError(env);
  if (first === undefined) return env;
  if (!MISSING_VERSIONS.some((v) => first.includes(v))) throw new Error(`fuzz: the jazzer.js addon does not load: ${first}`);
  const source = join(ROOT, 'fuzz', 'compat', 'jazzer-compat.cc');
  const library = join(workDir, 'compat', 'libjazzer-compat.so');
  if (!existsSync(library) || statSync(library).mtimeMs < statSync(source).mtimeMs) {
    mkdirSync(dirname(library), { recursive: true });
    execFileSync('g++', ['-O2', '-shared', '-fPIC', '-o', library, source]);
  }
  weakenVersionNeeds(ADDON, MISSING_VERSIONS);
  env.LD_PRELOAD = [library, env.LD_PRELOAD].filter(Boolean).join(':');
  const second = loadError(env);
  if (second !== undefined) throw new Error(`fuzz: the jazzer.js addon does not load even with ${library} preloaded: ${second}`);
  return env;
}
