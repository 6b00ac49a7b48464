/**
 * Kernel versions as the build-primitive catalogue and the detectors compare them: a release
 * string ("6.12.0-fixture", a vermagic, "v6.3" in a catalogue entry) read as major.minor and
 * the stable patch level, compared by series, since a stable series shares its conventions.
 */

/** A kernel version as far as a primitive cares: major.minor (and the stable patch level when known). */
export interface KernelVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number | undefined;
  readonly text: string;
}

export function parseKernelVersion(text: string | undefined): KernelVersion | undefined {
  const m = text ? /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(text) : null;
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: m[3] === undefined ? undefined : Number(m[3]), text: text! };
}

/** a < b: -1, equal: 0, a > b: 1 (major.minor only: a stable series shares its conventions). */
export function compareSeries(a: KernelVersion, b: KernelVersion): number {
  return Math.sign(a.major - b.major || a.minor - b.minor);
}

/** "v6.3" as a catalogue writes it. */
export function catalogueVersion(v: string): KernelVersion {
  const parsed = parseKernelVersion(v);
  if (!parsed) throw new Error(`not a kernel version: ${v}`);
  return parsed;
}
