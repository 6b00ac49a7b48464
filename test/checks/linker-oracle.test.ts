import { describe, expect, it } from 'vitest';
import { FROZEN_DRIVER, NEW_KERNEL, OLD_KERNEL } from '../support/paths.js';
import { relinkFixture } from '../support/oracle.js';
import { checkJson } from '../support/run.js';
import type { Report } from '../../src/report/report.js';

/** The link errors relinkable predicts, in the oracle's vocabulary. */
function predictedLinkErrors(report: Report): string[] {
  return report.findings
    .filter((f) => f.severity === 'link')
    .map((f) => (f.id === 'duplicate-definition' ? `multiple ${f.symbol}` : `undefined ${f.symbol}`))
    .sort();
}

describe('predicted link errors are exactly what GNU ld reports', () => {
  it.each([
    ['new kernel', NEW_KERNEL, false],
    ['its own old kernel', OLD_KERNEL, true],
  ])('frozen drivers/rng_driver.o relinked into the %s', async (_name, kernel, linksCleanly) => {
    const truth = relinkFixture(kernel, FROZEN_DRIVER, 'drivers/rng_driver.o');
    const { report } = await checkJson([FROZEN_DRIVER, '--kernel', kernel]);
    expect(truth.ok).toBe(linksCleanly);
    expect(predictedLinkErrors(report)).toEqual(truth.errors);
    if (!linksCleanly) expect(truth.errors.length).toBeGreaterThan(3);
  });
});
