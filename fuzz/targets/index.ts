import type { FuzzTarget } from '../target.js';
import { archiveTarget } from './archive.js';
import { btfTarget, splitBtfTarget } from './btf.js';
import { checkTarget } from './check.js';
import { compressedTarget } from './compressed.js';
import { dwarfTarget } from './dwarf.js';
import { elfTarget } from './elf.js';
import { notesTarget } from './notes.js';
import { certificatesTarget, signatureTarget } from './signature.js';
import { snapshotTarget } from './snapshot.js';
import { linkMapTarget, systemMapTarget, vmlinuzTarget, waiversTarget } from './more-inputs.js';
import { kconfigTarget, linkerScriptTarget, symversTarget } from './text.js';

/** One target per reader and text format, in the order `npm run fuzz` runs them. */
export const TARGETS: readonly FuzzTarget[] = [
  elfTarget,
  dwarfTarget,
  btfTarget,
  splitBtfTarget,
  compressedTarget,
  notesTarget,
  archiveTarget,
  symversTarget,
  kconfigTarget,
  linkerScriptTarget,
  systemMapTarget,
  vmlinuzTarget,
  linkMapTarget,
  waiversTarget,
  snapshotTarget,
  signatureTarget,
  certificatesTarget,
  checkTarget,
];
