import { describe, expect, it } from 'vitest';
import { FROZEN_DRIVER, NEW_KERNEL } from '../support/paths.js';
import { checkJson, summary } from '../support/run.js';

const interfaceIds = new Set(['prototype-changed', 'layout-changed', 'enum-changed', 'variable-type-changed']);

describe('the frozen driver against the new fixture kernel: what changed in its interface', async () => {
  const viaBtf = (await checkJson([FROZEN_DRIVER, '--kernel', NEW_KERNEL, '--type-source', 'btf'])).report;
  const viaDwarf = (await checkJson([FROZEN_DRIVER, '--kernel', NEW_KERNEL, '--type-source', 'dwarf'])).report;
  const auto = (await checkJson([FROZEN_DRIVER, '--kernel', NEW_KERNEL])).report;
  const find = (id: string, symbol: string) => auto.findings.find((f) => f.id === id && f.symbol === symbol)!;

  it('BTF and DWARF answer every question both can answer the same way', () => {
    const comparable = (r: typeof auto) => r.findings.filter((f) => interfaceIds.has(f.id) && f.id !== 'variable-type-changed');
    const shape = (r: typeof auto) => comparable(r).map((f) => [f.id, f.symbol, f.severity, f.rank, f.message, f.before, f.after]);
    expect(shape(viaBtf)).toEqual(shape(viaDwarf));
    expect(comparable(viaBtf).length).toBe(6);
  });

  it('BTF has no variables (pahole emits per-CPU ones only): it says so, and DWARF answers', () => {
    expect(viaBtf.coverage.variables.notCompared).toContainEqual({ object: viaBtf.frozen[0]!.path, name: 'rng_threshold', why: 'not found in vmlinux BTF' });
    expect(summary(viaDwarf)).toContain('runtime variable-type-changed rng_threshold');
    expect(auto.coverage.sources).toEqual(['vmlinux BTF', 'vmlinux DWARF']);
  });

  it('owned storage first: the rate-limit state the object defines and passes to ratelimit_check', () => {
    const rs = find('layout-changed', 'struct rate_state');
    expect([rs.severity, rs.rank]).toEqual(['runtime', 0]);
    expect(rs.message).toBe(
      'struct rate_state changed: size 24 → 16; printed: offset 8 → 12; flags: offset 16 → 8; flags: long unsigned int (8 bytes) → unsigned int (4 bytes) (the frozen object owns storage of this type: it will be read with the new layout)',
    );
    expect(rs.evidence[0]).toEqual({ label: 'owned storage', file: FROZEN_DRIVER, symbol: 'rs', detail: 'defined by the object' });
    expect(rs.diff).toContain('-\tlong unsigned int flags; /* 16 8 */');
    expect(rs.diff).toContain('+\tunsigned int flags; /* 8 4 */');
    expect(summary(auto).indexOf('runtime layout-changed struct rate_state at rs, ratelimit_check')).toBe(5); // first after the link failures
  });

  it('prototypes: moved and widened arguments, a count change in both directions, and nothing for a renamed typedef', () => {
    expect(find('prototype-changed', 'log_event').message).toBe(
      'the frozen object calls log_event with the old prototype; at the machine level argument count: 1 → 2; argument 1: rdi, 4 bytes → rdi, 8 bytes',
    );
    expect(find('prototype-changed', 'rng_submit').message).toBe(
      'the frozen object calls rng_submit with the old prototype; at the machine level argument 1: rdi+rsi, 16 bytes → stack+0, 24 bytes',
    );
    expect(find('prototype-changed', 'rng_driver_init').message).toBe(
      "the new kernel calls the frozen object's rng_driver_init with another prototype; at the machine level argument count: 0 → 1",
    );
    expect([find('prototype-changed', 'log_event').before, find('prototype-changed', 'log_event').after]).toEqual(['void log_event(int)', 'void log_event(long int code, int level)']);
    expect(auto.findings.some((f) => f.symbol === 'rng_len')).toBe(false);
  });

  it('enumerators the object compiled in, and an imported variable that widened', () => {
    expect(find('enum-changed', 'enum rng_mode').message).toBe('enum rng_mode: RNG_SAFE = 2 → 3; the frozen object uses the old values as constants');
    expect(find('variable-type-changed', 'rng_threshold').message).toBe('rng_threshold: int (4 bytes) → long int (8 bytes)');
    expect(find('layout-changed', 'struct rng_req').rank).toBe(1);
  });

  it('names the source of each new-kernel view', () => {
    const rs = find('layout-changed', 'struct rate_state');
    expect(rs.evidence.find((e) => e.label === 'new kernel')).toMatchObject({ detail: 'vmlinux BTF', location: expect.stringMatching(/^BTF id \d+ \(vmlinux\)$/) });
    const v = find('variable-type-changed', 'rng_threshold');
    expect(v.evidence.find((e) => e.label === 'new kernel')).toMatchObject({ detail: 'vmlinux DWARF', location: expect.stringMatching(/^DIE 0x[0-9a-f]+ in compile unit kernel\/core\.c$/) });
  });
});

describe('a reference object is preferred over vmlinux', () => {
  it('uses the new tree build of the same source for the new side', async () => {
    const { report } = await checkJson([FROZEN_DRIVER, '--kernel', NEW_KERNEL, '--reference', `${NEW_KERNEL}/drivers/rng_driver.o`]);
    const rs = report.findings.find((f) => f.id === 'layout-changed' && f.symbol === 'struct rate_state')!;
    expect(rs.evidence.find((e) => e.label === 'new kernel')!.detail).toBe(`reference object ${NEW_KERNEL}/drivers/rng_driver.o (DWARF)`);
    expect(report.coverage.sources[0]).toBe(`reference object ${NEW_KERNEL}/drivers/rng_driver.o (DWARF)`);
  });
});
