import type { Candidate } from '../../findings/index.js';
import type { SymbolKind } from '../../facts/symbols.js';

/**
 * Possible new names of a symbol the new kernel no longer provides: the candidates an
 * undefined-symbol finding offers, scored by how kernel renames usually go.
 */

/** How many underscores a name starts with (a loop, not a regex: it runs over every export). */
function leading(name: string): number {
  let i = 0;
  while (i < name.length && name.charCodeAt(i) === 0x5f) i++;
  return i;
}
const core = (name: string) => name.slice(leading(name));
const tokens = (name: string) => core(name).split('_').filter((t) => t !== '');

function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * Scores `candidate` as a rename of `missing`. Kernel renames mostly add or drop a
 * qualifier around the old name (`__kmalloc` → `__kmalloc_noprof`, `foo` → `__foo`), so a
 * candidate that contains the whole old name as a run of tokens ranks above one that is a
 * single letter away (`__vmalloc`).
 */
export function renameScore(missing: string, candidate: string): { score: number; reason: string } | undefined {
  if (missing === candidate) return undefined;
  const m = core(missing);
  const c = core(candidate);
  if (m === c) return { score: 0.95, reason: 'same name, different leading underscores' };
  const mt = tokens(missing);
  const ct = tokens(candidate);
  const lengthPenalty = (extra: number) => Math.min(0.1, extra * 0.005);
  if (c.startsWith(`${m}_`)) {
    const added = c.slice(m.length + 1);
    return { score: 0.9 - 0.03 * (ct.length - mt.length - 1) - lengthPenalty(added.length), reason: `adds the suffix _${added}` };
  }
  if (c.endsWith(`_${m}`)) {
    const added = c.slice(0, c.length - m.length - 1);
    return { score: 0.87 - 0.03 * (ct.length - mt.length - 1) - lengthPenalty(added.length), reason: `adds the prefix ${added}_` };
  }
  if (m.startsWith(`${c}_`)) return { score: 0.8, reason: `drops the suffix _${m.slice(c.length + 1)}` };
  if (m.endsWith(`_${c}`)) return { score: 0.78, reason: `drops the prefix ${m.slice(0, m.length - c.length - 1)}_` };
  const distance = levenshtein(m, c);
  const similarity = 1 - distance / Math.max(m.length, c.length);
  const shared = mt.filter((t) => ct.includes(t)).length;
  const jaccard = shared / new Set([...mt, ...ct]).size;
  const score = Math.min(0.75, 0.55 * similarity + 0.45 * jaccard);
  if (score < 0.5) return undefined;
  return { score, reason: shared ? `shares ${shared} of ${mt.length} name parts` : `${distance} character${distance === 1 ? '' : 's'} different` };
}

/** Below this a name is not worth showing as a possible rename. */
const MIN_SCORE = 0.5;

/**
 * The likeliest new names of a symbol that no longer exists, best first. `kindOf` is asked
 * only for the few names that pass the cheap filter (a kernel has ~30,000 exports).
 */
export function renameCandidates(
  missing: string,
  kind: SymbolKind,
  names: Iterable<string>,
  kindOf: (name: string) => SymbolKind,
  limit = 3,
): Candidate[] {
  const m = core(missing);
  // A rename keeps the old name whole, or at least one of its parts.
  const parts = tokens(missing).filter((t) => t.length >= 3);
  const out: Candidate[] = [];
  for (const name of names) {
    const c = core(name);
    if (!c.includes(m) && !m.includes(c) && !parts.some((t) => c.includes(t))) continue;
    const r = renameScore(missing, name);
    if (!r) continue;
    let score = r.score;
    let reason = r.reason;
    // Kernel names keep their leading underscores across renames (__kmalloc -> __kmalloc_noprof).
    if (leading(missing) === leading(name)) score += 0.02;
    if (score < MIN_SCORE) continue;
    const candidateKind = kindOf(name);
    if (kind !== 'unknown' && candidateKind !== 'unknown' && kind !== candidateKind) {
      score *= 0.5;
      reason += `; but it is ${candidateKind === 'function' ? 'a function' : 'data'}`;
    }
    out.push({ name, score: Math.round(score * 1000) / 1000, reason });
  }
  out.sort((a, b) => b.score - a.score || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return out.filter((c) => c.score >= MIN_SCORE).slice(0, limit);
}
