import type { Candidate } from '../../findings/index.js';
import type { SymbolKind } from '../../facts/symbols.js';
import type { FunctionDecl, TypeRef } from '../../graph/type-graph.js';
import { typeName } from '../../model/cdecl.js';

/**
 * Possible new names of a symbol the new kernel no longer provides: the candidates an
 * undefined-symbol finding offers, scored by how kernel renames usually go and, for a
 * function, by whether the candidate takes and returns what the old one did (the frozen
 * object's DWARF declaration against the new kernel's BTF or DWARF).
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
  let prev = new Int32Array(b.length + 1);
  let cur = new Int32Array(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    const ai = a.charCodeAt(i - 1);
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (ai === b.charCodeAt(j - 1) ? 0 : 1));
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length]!;
}

/**
 * How alike two names are as a rename, whatever the score: kernel renames mostly add or
 * drop a qualifier around the old name (`__kmalloc` → `__kmalloc_noprof`, `foo` → `__foo`),
 * so a candidate that contains the whole old name as a run of tokens ranks above one that
 * is a single letter away (`__vmalloc`). Undefined for the same name, and for one whose score
 * cannot reach `floor`.
 */
function nameSimilarity(missing: string, candidate: string, floor = 0): { score: number; reason: string } | undefined {
  return similarityTo(missing)(candidate, floor);
}

/** nameSimilarity to one missing name, its parts worked out once for the thousands of candidates a kernel has. */
function similarityTo(missing: string): (candidate: string, floor?: number) => { score: number; reason: string } | undefined {
  const m = core(missing);
  const mt = tokens(missing);
  const distinct = new Set(mt);
  const asPrefix = `${m}_`;
  const asSuffix = `_${m}`;
  const lengthPenalty = (extra: number) => Math.min(0.1, extra * 0.005);
  return (candidate, floor = 0) => {
    if (missing === candidate) return undefined;
    const c = core(candidate);
    if (m === c) return { score: 0.95, reason: 'same name, different leading underscores' };
    if (c.startsWith(asPrefix)) {
      const added = c.slice(m.length + 1);
      return { score: 0.9 - 0.03 * (tokens(candidate).length - mt.length - 1) - lengthPenalty(added.length), reason: `adds the suffix _${added}` };
    }
    if (c.endsWith(asSuffix)) {
      const added = c.slice(0, c.length - m.length - 1);
      return { score: 0.87 - 0.03 * (tokens(candidate).length - mt.length - 1) - lengthPenalty(added.length), reason: `adds the prefix ${added}_` };
    }
    // m starts with `${c}_`, or ends with `_${c}` (without making the strings)
    if (m.length > c.length && m.charCodeAt(c.length) === 0x5f && m.startsWith(c)) return { score: 0.8, reason: `drops the suffix _${m.slice(c.length + 1)}` };
    if (m.length > c.length && m.charCodeAt(m.length - c.length - 1) === 0x5f && m.endsWith(c)) return { score: 0.78, reason: `drops the prefix ${m.slice(0, m.length - c.length - 1)}_` };
    const ct = tokens(candidate);
    const shared = mt.filter((t) => ct.includes(t)).length;
    let union = distinct.size;
    for (let i = 0; i < ct.length; i++) if (!distinct.has(ct[i]!) && ct.indexOf(ct[i]!) === i) union++;
    const jaccard = shared / union;
    // The edit distance is at least the difference in length: a name too far apart to reach
    // `floor` even at that distance is not measured (most of the thousands the filter passes).
    if (0.55 * (1 - Math.abs(m.length - c.length) / Math.max(m.length, c.length)) + 0.45 * jaccard < floor) return undefined;
    const distance = levenshtein(m, c);
    const similarity = 1 - distance / Math.max(m.length, c.length);
    const score = Math.min(0.75, 0.55 * similarity + 0.45 * jaccard);
    return { score, reason: shared ? `shares ${shared} of ${mt.length} name parts` : `${distance} character${distance === 1 ? '' : 's'} different` };
  };
}

/** Below this a name is not worth showing as a possible rename. */
const MIN_SCORE = 0.5;

/** Scores `candidate` as a rename of `missing` by the names alone; undefined below MIN_SCORE. */
export function renameScore(missing: string, candidate: string): { score: number; reason: string } | undefined {
  const r = nameSimilarity(missing, candidate);
  return r && r.score >= MIN_SCORE ? r : undefined;
}

/** A prototype written the way C writes its types: what two kernels' functions are compared by. */
export interface Signature {
  readonly returns: string;
  readonly params: readonly string[];
  readonly variadic: boolean;
}

/**
 * The signature of a declared or defined function; undefined for one declared without a
 * prototype. A qualifier on a parameter itself (`const void *const p`) is not part of the
 * function's type in C, so it is left out.
 */
export function signatureOf(decl: FunctionDecl): Signature | undefined {
  const graph = decl.graph;
  const node = graph.node(decl.type);
  if (node.kind !== 'function' || !node.prototyped) return undefined;
  const written = (ref: TypeRef): string => {
    let n = graph.node(ref);
    for (let hops = 0; n.kind === 'qualifier' && hops < 8; hops++) n = graph.node((ref = n.target));
    return typeName(graph, ref);
  };
  return { returns: written(node.returns), params: node.params.map((p) => written(p.type)), variadic: node.variadic };
}

/** `void *(struct kmem_cache *, gfp_t, size_t)` */
export function writeSignature(s: Signature): string {
  const params = [...s.params, ...(s.variadic ? ['...'] : [])];
  return `${s.returns}${s.returns.endsWith('*') ? '' : ' '}(${params.length ? params.join(', ') : 'void'})`;
}

/** How a candidate's prototype compares with the missing function's: the same, or the first difference and how much agrees. */
export function compareSignatures(old: Signature, now: Signature): { same: true } | { same: false; agreeing: number; of: number; difference: string } {
  const differences: string[] = [];
  if (old.params.length !== now.params.length) differences.push(`takes ${now.params.length} parameter${now.params.length === 1 ? '' : 's'}, not ${old.params.length}`);
  for (let i = 0; i < Math.min(old.params.length, now.params.length); i++) {
    if (old.params[i] !== now.params[i]) differences.push(`parameter ${i + 1} is ${now.params[i]}, not ${old.params[i]}`);
  }
  if (old.returns !== now.returns) differences.push(`returns ${now.returns}, not ${old.returns}`);
  if (old.variadic !== now.variadic) differences.push(now.variadic ? 'is variadic' : 'is not variadic');
  if (differences.length === 0) return { same: true };
  // Agreeing parts: each parameter in place and the return type, out of the longer list.
  let agreeing = old.returns === now.returns ? 1 : 0;
  for (let i = 0; i < Math.min(old.params.length, now.params.length); i++) if (old.params[i] === now.params[i]) agreeing++;
  return { same: false, agreeing, of: Math.max(old.params.length, now.params.length) + 1, difference: differences[0]! };
}

/** The prototypes to rank function candidates by: the missing function's, and a candidate's when the new kernel has it. */
export interface CandidatePrototypes {
  readonly missing: Signature;
  of(name: string): Signature | undefined;
}

/** Candidates with at least this name score have their prototypes looked up, the best PROTOTYPE_POOL of them. */
const PROTOTYPE_FLOOR = 0.3;
/** What keeping the old name's leading underscores adds to a candidate's score. */
const LEADING_BONUS = 0.02;
const PROTOTYPE_POOL = 32;

/**
 * The likeliest new names of a symbol that no longer exists, best first, each with why.
 * `kindOf` is asked only for the few names that pass the cheap filter (a kernel has ~30,000
 * exports), and `prototypes` only for the best of those. A candidate with the missing
 * function's very prototype (at least one parameter) closes half the gap between its name
 * score and 1, and is offered even when its name alone would not be (`kmalloc_trace` →
 * `__kmalloc_cache_noprof`); one with another prototype keeps 85–100 % of its name score by
 * how much of the prototype agrees (`strscpy` → `sized_strscpy`, the same prototype, above
 * `nla_strscpy`, whose second parameter is a `const struct nlattr *`). A name that keeps the
 * whole old name still outranks one that shares a part of it with the same prototype
 * (`kvmalloc_node` → `__kvmalloc_node_noprof`, which takes a bucket argument now, above
 * `__kmalloc_large_node_noprof`).
 */
export function renameCandidates(
  missing: string,
  kind: SymbolKind,
  names: Iterable<string>,
  kindOf: (name: string) => SymbolKind,
  limit = 3,
  prototypes?: CandidatePrototypes,
): Candidate[] {
  const m = core(missing);
  // A rename keeps the old name whole, or at least one of its parts.
  const parts = tokens(missing).filter((t) => t.length >= 3);
  const scored: { name: string; score: number; byName: number; reason: string }[] = [];
  const similarity = similarityTo(missing);
  const missingLeading = leading(missing);
  for (const name of names) {
    const c = core(name);
    if (!c.includes(m) && !m.includes(c) && !parts.some((t) => c.includes(t))) continue;
    // Below PROTOTYPE_FLOOR, even with the leading-underscore bonus, a name is neither offered nor worth a prototype.
    const r = similarity(name, PROTOTYPE_FLOOR - LEADING_BONUS);
    if (!r) continue;
    // Kernel names keep their leading underscores across renames (__kmalloc -> __kmalloc_noprof).
    scored.push({ name, score: r.score + (missingLeading === leading(name) ? LEADING_BONUS : 0), byName: r.score, reason: r.reason });
  }
  scored.sort(byScore);

  const out: Candidate[] = [];
  let asked = 0;
  for (const s of scored) {
    let { score, reason } = s;
    const wantsPrototype = prototypes !== undefined && score >= PROTOTYPE_FLOOR && asked < PROTOTYPE_POOL;
    // By its name alone, a candidate must reach MIN_SCORE before the leading-underscore bonus.
    let qualifies = s.byName >= MIN_SCORE;
    if (!qualifies && !wantsPrototype) continue;
    const candidateKind = kindOf(s.name);
    if (wantsPrototype && kind !== 'data' && candidateKind !== 'data') {
      asked++;
      const now = prototypes.of(s.name);
      if (now) {
        const cmp = compareSignatures(prototypes.missing, now);
        if (cmp.same && now.params.length > 0) {
          score += (1 - score) / 2;
          reason += `; same prototype ${writeSignature(now)}`;
          qualifies = true;
        } else if (cmp.same) {
          reason += `; same prototype ${writeSignature(now)}`;
        } else {
          score *= 0.85 + (0.15 * cmp.agreeing) / cmp.of;
          reason += `; but its prototype differs: ${cmp.difference}`;
        }
      }
    }
    if (!qualifies || score < MIN_SCORE) continue;
    if (kind !== 'unknown' && candidateKind !== 'unknown' && kind !== candidateKind) {
      score *= 0.5;
      reason += `; but it is ${candidateKind === 'function' ? 'a function' : 'data'}`;
    }
    out.push({ name: s.name, score: Math.round(score * 1000) / 1000, reason });
  }
  out.sort(byScore);
  return out.filter((c) => c.score >= MIN_SCORE).slice(0, limit);
}

function byScore(a: { name: string; score: number }, b: { name: string; score: number }): number {
  return b.score - a.score || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}
