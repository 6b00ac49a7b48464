import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FROZEN_DRIVER, FROZEN_MODULE, NEW_KERNEL, OLD_KERNEL } from '../support/paths.js';
import { runCli } from '../support/run.js';

/** An option that cannot apply, or a single-valued option given twice, is a usage error (exit 2), never ignored. */
describe('options that cannot apply are refused', () => {
  const usage = (message: string) => ({ status: 2, stdout: '', stderr: `relinkable: error: ${message}\n` });

  it('a repeated single-valued option names both values instead of taking the last', async () => {
    expect(await runCli(['check', FROZEN_DRIVER, '--kernel', OLD_KERNEL, '--kernel', NEW_KERNEL])).toEqual(
      usage(`--kernel given twice (${OLD_KERNEL}, then ${NEW_KERNEL}): it takes one value`),
    );
    expect(await runCli(['check', FROZEN_DRIVER, '--kernel', NEW_KERNEL, '--format', 'json', '--format', 'text'])).toEqual(usage('--format given twice (json, then text): it takes one value'));
    expect(await runCli(['check', FROZEN_DRIVER, '--kernel', NEW_KERNEL, '--fail-on=link', '--fail-on', 'never'])).toEqual(usage('--fail-on given twice (link, then never): it takes one value'));
    const config = join(NEW_KERNEL, '.config');
    expect(await runCli(['check', FROZEN_DRIVER, '--kernel', NEW_KERNEL, '--config', config, '--config', config])).toEqual(usage(`--config given twice (${config}, then ${config}): it takes one value`));
    expect(await runCli(['extract', FROZEN_DRIVER, '-o', 'a.json', '--output', 'b.json'])).toEqual(usage('--output given twice (a.json, then b.json): it takes one value'));
  });

  it('the options given once per object or reference may repeat', async () => {
    const r = await runCli(['check', FROZEN_DRIVER, '--kernel', NEW_KERNEL, '--replaces', 'drivers/rng_driver.o', '--replaces', 'drivers/other.o']);
    expect(r).toEqual(usage('--replaces given 2 times for 1 object(s)'));
  });

  it('--replaces for a module (.ko): a module replaces the module of its own name', async () => {
    expect(await runCli(['check', FROZEN_MODULE, '--kernel', NEW_KERNEL, '--replaces', 'drivers/rng_mod.o'])).toEqual(
      usage(`--replaces drivers/rng_mod.o: ${FROZEN_MODULE} is a module (.ko), which replaces the module of its own name (rng_mod); --replaces names what an object (.o) replaces`),
    );
  });

  it('--release without a Debian layout to choose from', async () => {
    expect(await runCli(['check', FROZEN_DRIVER, '--kernel', NEW_KERNEL, '--release', '6.12.0'])).toEqual(
      usage(`--release 6.12.0 chooses a kernel of a Debian layout; ${NEW_KERNEL} is a build directory (one kernel)`),
    );
    expect(await runCli(['check', FROZEN_DRIVER, '--vmlinux', join(NEW_KERNEL, 'vmlinux'), '--release', '6.12.0'])).toEqual(
      usage('--release 6.12.0 chooses a kernel of a Debian layout given with --kernel; there is none'),
    );
  });
});
