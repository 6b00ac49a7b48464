import { InputError } from '../errors.js';
import { FINDING_KINDS, isWaivable, type Finding, type FindingId } from '../findings/index.js';
import { hashInput } from '../input-file.js';
import { globMatch } from '../kernel/linker-script/glob.js';
import type { WaiversFile } from '../waivers/read.js';
import type { Waiver, WaiversRecord } from './record.js';

/**
 * Which finding each waiver accepts, at `now`. A waiver applies to a finding when its id is
 * the finding's and every glob it has matches (fnmatch, as ld matches names):
 *
 * - `object`: the frozen object's path as given, or its file name;
 * - `symbol`: the finding's symbol, or — for a finding with sites — every site's symbol, so a
 *   waiver written for some imports does not accept a finding that also covers others;
 * - `type`: the type a finding is about (`struct ratelimit_state`), its symbol when that names a type;
 * - `section`: a section named in the finding's evidence or its sites'.
 *
 * A waiver past its expiry (the end of its `expires` day, UTC) applies to nothing and is
 * listed as expired; one in force that matched nothing is listed as stale. The first waiver
 * of the file that applies is the one recorded. An id that is not a finding id, or a finding
 * that cannot be waived (a check that could not run), is an error in the file: an input the
 * run could not judge is never accepted by a waiver.
 */
export function applyWaivers(findings: readonly Finding[], file: WaiversFile, now: Date): WaiversRecord {
  const expired = file.waivers.flatMap((w, i) => (expiresBefore(w, now) ? [i] : []));
  const inForce = file.waivers.map((w, i) => i).filter((i) => !expired.includes(i));
  const used = new Set<number>();
  const applied = findings.map((f) => {
    const i = inForce.find((i) => waives(file.waivers[i]!, f));
    if (i === undefined) return null;
    used.add(i);
    return i;
  });
  return {
    path: file.path,
    sha256: hashInput(file.path).sha256,
    waivers: file.waivers,
    applied,
    expired,
    stale: inForce.filter((i) => !used.has(i)),
  };
}

/** Each waiver names a finding id that can be waived: checked before the run, so a bad file costs no check. */
export function checkWaiverIds(file: WaiversFile): WaiversFile {
  for (const w of file.waivers) {
    if (!(w.id in FINDING_KINDS)) throw new InputError(file.path, `line ${w.line}: \`${w.id}\` is not a finding id (relinkable explain lists them)`);
    if (!isWaivable(w.id as FindingId)) {
      throw new InputError(file.path, `line ${w.line}: ${w.id} cannot be waived: it says a check could not run, and what was not checked cannot be accepted`);
    }
  }
  return file;
}

/** Past the end of the waiver's `expires` day, UTC. */
function expiresBefore(w: Waiver, now: Date): boolean {
  return now.getTime() >= Date.parse(`${w.expires}T00:00:00Z`) + 86_400_000;
}

const TYPE_NAME = /^(struct|union|enum) /;

function waives(w: Waiver, f: Finding): boolean {
  if (w.id !== f.id) return false;
  if (w.object !== null && !globMatch(w.object, f.object) && !globMatch(w.object, f.object.replace(/^.*\//, ''))) return false;
  if (w.symbol !== null) {
    const sites = f.sites ?? [];
    const bySymbol = f.symbol !== undefined && globMatch(w.symbol, f.symbol);
    const bySites = sites.length > 0 && sites.every((s) => globMatch(w.symbol!, s.symbol));
    if (!bySymbol && !bySites) return false;
  }
  if (w.type !== null && !(f.symbol !== undefined && TYPE_NAME.test(f.symbol) && globMatch(w.type, f.symbol))) return false;
  if (w.section !== null) {
    const evidence = [...f.evidence, ...(f.sites ?? []).flatMap((s) => s.evidence)];
    if (!evidence.some((e) => e.section !== undefined && globMatch(w.section!, e.section))) return false;
  }
  return true;
}
