import { readFileSync } from 'node:fs';
import { KernelConfig } from '../../src/kernel/kconfig.js';
import { outputSectionNames, placeSection, readLinkerScript } from '../../src/kernel/linker-script/index.js';
import { readModuleSymvers } from '../../src/kernel/symvers.js';
import { fixture, scratchFile, type FuzzTarget } from '../target.js';

/**
 * The kernel tree's text inputs, each read from a file through its reader (so through
 * src/input-file.ts: size and line-length limits included), then asked what a check asks.
 */

const seedsOf = (...paths: string[][]): Map<string, Buffer> => new Map(paths.map((p) => [p.join('-'), readFileSync(fixture(...p))]));

export const symversTarget: FuzzTarget = {
  name: 'symvers',
  input: 'a Module.symvers',
  seeds: () => seedsOf(['new-kernel', 'Module.symvers'], ['old-kernel', 'Module.symvers']),
  file: (data) => scratchFile('Module.symvers', data),
  read(_data, path) {
    const symvers = readModuleSymvers(path);
    for (const name of symvers.names()) symvers.ofModule(symvers.get(name)!.module);
  },
};

export const kconfigTarget: FuzzTarget = {
  name: 'kconfig',
  input: 'a kernel .config',
  seeds: () => seedsOf(['new-kernel', '.config'], ['new-kernel', '.config-cfi'], ['old-kernel', '.config']),
  file: (data) => scratchFile('.config', data),
  read(_data, path) {
    const config = KernelConfig.read(path);
    config.enabled('MODULES');
    void config.compilerVersionText;
    void config.kernelVersion;
  },
};

/** Sections a module or a built-in object brings, placed by name and by file as modpost and ld would. */
const PLACED = ['.text', '.text.unlikely.foo', '.init.text', '.exit.text', '.data', '.rodata.str1.1', '.bss', '__ksymtab', '__ksymtab_gpl', '.altinstructions', '__ex_table', '.discard.foo', '.modinfo'];

export const linkerScriptTarget: FuzzTarget = {
  name: 'linker-script',
  input: 'a preprocessed linker script (vmlinux.lds, module.lds)',
  seeds: () => seedsOf(['new-kernel', 'arch', 'x86', 'kernel', 'vmlinux.lds'], ['new-kernel', 'scripts', 'module.lds'], ['old-kernel', 'arch', 'x86', 'kernel', 'vmlinux.lds']),
  file: (data) => scratchFile('vmlinux.lds', data),
  read(_data, path) {
    const script = readLinkerScript(path);
    outputSectionNames(script);
    for (const section of PLACED) {
      placeSection(script, section);
      placeSection(script, section, { name: 'drivers/char/random.o', archive: 'vmlinux.a' });
    }
  },
};
