import type { Cpucaps } from '../arch/arm64/cpucaps.js';
import type { ElfFile } from '../elf/file.js';
import type { LinkerScript } from '../kernel/linker-script/index.js';
import type { ObjectVerification } from '../facts/verify.js';
import { compareSections } from './compare.js';
import type { LinkMapEntry } from './link-map.js';
import { placeByReferences, placeSections } from './placement.js';
import { patchSitesIn } from './patch-sites.js';
import { pairOrcTables, searchPlacements } from './search.js';
import { judgeSortedTables } from './sorted-tables.js';

/** What the link is read with besides the linked file: its linker script, an ld map, the build's arm64 cpucap names. */
export interface LinkContext {
  readonly script: LinkerScript | undefined;
  readonly map?: readonly LinkMapEntry[] | undefined;
  readonly capabilities?: Cpucaps | undefined;
}

/**
 * One frozen object against the linked file it went into: where its sections are, and
 * whether the linked bytes are the certified bytes with the relocations applied.
 */
export function verifyObject(frozen: ElfFile, linked: ElfFile, { script, map, capabilities }: LinkContext): ObjectVerification {
  const placements = placeSections(frozen, linked, script, map);
  searchPlacements(frozen, linked, placements, script);
  placeByReferences(frozen, linked, placements);
  pairOrcTables(frozen, linked, placements);
  const sorted = judgeSortedTables(frozen, linked, placements);
  const comparison = compareSections(frozen, linked, placements.placed);
  const patches = patchSitesIn(frozen, linked, placements.placed, capabilities);
  return {
    object: frozen.name,
    target: linked.isRelocatable ? 'module' : 'built-in',
    sections: placements.sections,
    compared: [...comparison.compared, ...sorted],
    differences: comparison.differences,
    unverified: comparison.unverified,
    padding: comparison.padding,
    patchTables: patches?.tables,
    patchSites: patches?.sites,
  };
}
