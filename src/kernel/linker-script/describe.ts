/**
 * Placements in prose, for findings and reports: one placement, and how a section's
 * placement differs between two scripts.
 */
import type { LinkerScript } from './ast.js';
import { placeSection, type InputFile, type Placement } from './place.js';

export interface PlacementChange {
  readonly section: string;
  readonly before: Placement | undefined;
  readonly after: Placement;
  /** Kind, output section or bracketing ranges differ (another rule with the same effect is no change). */
  readonly changed: boolean;
  readonly summary: string;
}

export function describePlacement(p: Placement): string {
  switch (p.kind) {
    case 'placed':
      return `placed in ${p.output} by ${p.rule} (line ${p.line})${p.ranges.length > 0 ? `, inside ${p.ranges.join(', ')}` : ''}`;
    case 'discarded':
      return `discarded by ${p.rule} (line ${p.line})`;
    case 'orphan':
      return 'an orphan (no rule matches)';
  }
}

/** How the placement of `sectionName` differs between an old script (if known) and the new one. */
export function describePlacementChange(
  oldScript: LinkerScript | undefined,
  newScript: LinkerScript,
  sectionName: string,
  file?: string | InputFile,
): PlacementChange {
  const after = placeSection(newScript, sectionName, file);
  const before = oldScript === undefined ? undefined : placeSection(oldScript, sectionName, file);
  const changed =
    before !== undefined &&
    (before.kind !== after.kind ||
      (before.kind === 'placed' && after.kind === 'placed' && (before.output !== after.output || before.ranges.join() !== after.ranges.join())));
  const summary =
    before === undefined
      ? `${sectionName}: ${describePlacement(after)}`
      : changed
        ? `${sectionName}: was ${describePlacement(before)}; now ${describePlacement(after)}`
        : `${sectionName}: unchanged, ${describePlacement(after)}`;
  return { section: sectionName, before, after, changed, summary };
}
