import type { LinkMode } from '../facts/relink.js';
import type { Change, Exposure, TypeDelta } from '../graph/changes.js';

/** Words shared by the message templates: changes as a kernel engineer would say them, shortened lists. */

/** One change, in the words a kernel engineer would use. */
export function describeChange(c: Change): string {
  const where = c.path ? `${c.path}: ` : '';
  switch (c.kind) {
    case 'member-offset':
      return `${where}offset ${c.before} → ${c.after}`;
    case 'size':
      return `${where}size ${c.before} → ${c.after}`;
    case 'member-removed':
      return `${c.path} removed (was ${c.before})`;
    case 'member-added':
      return `${c.path} added ${c.after}`;
    case 'enumerator-value':
      return `${c.path} = ${c.before} → ${c.after}`;
    case 'enumerator-removed':
      return `${c.path} (= ${c.before}) removed`;
    case 'enumerator-added':
      return `${c.path} = ${c.after} added`;
    case 'param-count':
      return `${where}arguments ${c.before} → ${c.after}`;
    case 'array-length':
      return `${where}elements ${c.before} → ${c.after}`;
    default:
      return `${where}${c.before} → ${c.after}`;
  }
}

/** The first few changes, and how many more: the diff carries them all. */
export function summarizeChanges(changes: readonly Change[], shown = 4): string {
  const head = changes.slice(0, shown).map(describeChange).join('; ');
  return changes.length > shown ? `${head}; and ${changes.length - shown} more` : head;
}

/** Names, shortened for a message: "a, b, c and 4 more". */
export function someNames(names: readonly string[], max = 6): string {
  if (names.length <= max) return names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}` : (names[0] ?? '');
  return `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}

/** A count that may come out fractional (relocations per entry): whole, or to two decimals. */
export function ratio(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}

/** A modversions CRC as Module.symvers and __versions print it. */
export function crcHex(crc: number): string {
  return `0x${crc.toString(16).padStart(8, '0')}`;
}

/** Changed types, each with its first change and how many more: "struct s (size 40 → 32, +2 more)". */
export function summarizeTypes(deltas: readonly TypeDelta[], shown = 3): string {
  const head = deltas.slice(0, shown).map((d) => `${d.name} (${describeChange(d.changes[0]!)}${d.changes.length > 1 ? `, +${d.changes.length - 1} more` : ''})`);
  return `${head.join('; ')}${deltas.length > shown ? `; and ${deltas.length - shown} more types` : ''}`;
}

/** How a frozen object meets a changed type, in the order a reader should care. */
export const EXPOSURE_TEXT: Readonly<Record<Exposure, string>> = {
  owned: 'the frozen object owns storage of this type: it will be read with the new layout',
  'by-value': 'passed or returned by value',
  pointer: 'one pointer away from what the frozen object owns or calls: it breaks if the object reads a member that moved',
  closure: 'deeper in the type closure of what the frozen object owns or calls',
};

/** What makes a symbol available to the frozen objects: an export for a module, any global definition for a built-in object. */
export function provision(linkMode: LinkMode): string {
  return linkMode === 'module' ? 'exported by the new kernel' : 'defined in the new kernel';
}
