import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIXTURES = join(ROOT, 'fixtures');
export const ELF_FIXTURES = join(FIXTURES, 'elf');
export const NEW_KERNEL = join(FIXTURES, 'new-kernel');
export const OLD_KERNEL = join(FIXTURES, 'old-kernel');
export const FROZEN_DRIVER = join(FIXTURES, 'frozen', 'rng_driver.o');
export const FROZEN_MODULE = join(FIXTURES, 'frozen', 'rng_mod.ko');
/** The `relinkable` bin: the bundle npm run build writes. */
export const CLI = join(ROOT, 'dist', 'relinkable.mjs');
