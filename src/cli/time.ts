import { UsageError } from '../errors.js';
import type { TimeRecord } from '../run/record.js';

/**
 * Where time enters a run, the one place: `--now` (tests, re-running an old judgement), else
 * the SOURCE_DATE_EPOCH environment variable (reproducible-builds.org: seconds since the
 * epoch), else — only when something needs a time (waiver expiry, the attestation, the
 * documents) — the system clock. Whole seconds, UTC: two runs on the same inputs with the
 * same SOURCE_DATE_EPOCH write the same bytes.
 */
export function runTime(now: string | undefined, env: NodeJS.ProcessEnv, needed: boolean, clock: () => Date = () => new Date()): TimeRecord | undefined {
  if (now !== undefined) {
    const t = Date.parse(now);
    if (Number.isNaN(t)) throw new UsageError(`--now ${now}: not a date (ISO 8601: 2026-12-03 or 2026-12-03T10:00:00Z)`);
    return { at: isoSeconds(t), source: '--now' };
  }
  const epoch = env.SOURCE_DATE_EPOCH;
  if (epoch !== undefined && epoch !== '') {
    if (!/^\d{1,12}$/.test(epoch)) throw new UsageError(`SOURCE_DATE_EPOCH=${epoch}: not a number of seconds since 1970-01-01`);
    return { at: isoSeconds(Number(epoch) * 1000), source: 'SOURCE_DATE_EPOCH' };
  }
  return needed ? { at: isoSeconds(clock().getTime()), source: 'clock' } : undefined;
}

function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
