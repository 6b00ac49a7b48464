import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/report.js';
import { debianConfig, debianKernel, debianModule, debianSignedModule } from '../support/corpus.js';
import { checkJson, runCli } from '../support/run.js';

/**
 * One meaning per input: a .ko loaded as it is meets the new kernel's module loader, whose
 * gates the new .config decides; relinked, kbuild writes the module metadata anew. On Debian's
 * real packages: 6.1.170 (ABI 6.1.0-47) modules against 6.1.192 (6.1.0-56) of the same stable
 * series, and against their own kernel.
 */

const DRBG_DBG = () => debianModule('6.1.170', 'crypto/drbg.ko');
const DRBG_SIGNED = () => debianSignedModule('6.1.170', 'crypto/drbg.ko');

const ids = (r: Report, id: string) => r.findings.filter((f) => f.id === id);
const gate = (r: Report, id: string) => {
  const found = ids(r, id);
  expect(found).toHaveLength(1);
  return found[0]!;
};

/** The new kernel's .config with some options changed, for the gates it decides. */
function configWith(version: string, changes: Record<string, string>): string {
  let text = readFileSync(debianConfig(version), 'latin1');
  for (const [name, value] of Object.entries(changes)) {
    const line = value === 'n' ? `# CONFIG_${name} is not set` : `CONFIG_${name}=${value}`;
    const re = new RegExp(`^(# CONFIG_${name} is not set|CONFIG_${name}=.*)$`, 'm');
    expect(re.test(text)).toBe(true);
    text = text.replace(re, line);
  }
  const file = join(mkdtempSync(join(tmpdir(), 'relinkable-config-')), '.config');
  writeFileSync(file, text);
  return file;
}

describe('a .ko is loaded as is by default, an option relinks it', async () => {
  const asIs = await checkJson([DRBG_DBG(), '--kernel', debianKernel('6.1.192')]);
  const relinked = await checkJson([DRBG_DBG(), '--kernel', debianKernel('6.1.192'), '--relink']);

  it('states the use in the report', () => {
    expect([asIs.report.use, asIs.report.useFrom]).toEqual(['as-is', 'input']);
    expect([relinked.report.use, relinked.report.useFrom]).toEqual(['relinked', 'command line']);
  });

  it('as is, the 18 changed import CRCs are a load refusal; relinked, information', () => {
    // One root cause (the CRCs moved for nothing a caller can feel): one finding, each import a site.
    const refusal = gate(asIs.report, 'modversions-crc-changed');
    expect(refusal.severity).toBe('link');
    expect(refusal.sites).toHaveLength(18);
    expect(refusal.message).toBe(
      "the loader refuses the module: it disagrees about version of 18 symbols (their CRCs in __versions are not the new kernel's); no ABI-relevant change in their prototypes or type closures: the CRCs moved for something a caller cannot feel",
    );
    expect(refusal.sites.find((s) => s.symbol === 'crypto_alloc_base')!.detail).toBe('0xd1c04312 → 0xa9ed33bd');
    const info = gate(relinked.report, 'modversions-crc-changed');
    expect(info.sites.map((s) => s.symbol)).toEqual(refusal.sites.map((s) => s.symbol));
    expect(info.severity).toBe('info');
  });

  it('as is, the split BTF on 6.1.170 is dropped by the 6.1.192 loader (CONFIG_MODULE_ALLOW_BTF_MISMATCH=y): a warning', () => {
    const btf = gate(asIs.report, 'split-btf-mismatch');
    expect(btf.severity).toBe('warning');
    expect(btf.message).toMatch(/; the module loads without its BTF \(CONFIG_MODULE_ALLOW_BTF_MISMATCH=y\): BPF programs and tools cannot see its types$/);
    expect(btf.evidence.at(-2)).toMatchObject({ label: 'new kernel', detail: 'CONFIG_MODULE_ALLOW_BTF_MISMATCH=y' });
  });

  it('relinked, none of the loader gates apply: kbuild writes __versions, this_module, vermagic, BTF and the signature anew', () => {
    const gates = ['split-btf-mismatch', 'module-signature-rejected', 'module-struct-size', 'vermagic-mismatch', 'modversions-missing'];
    expect(relinked.report.findings.filter((f) => gates.includes(f.id))).toEqual([]);
    expect(relinked.report.findings.filter((f) => f.severity === 'link' || f.severity === 'runtime')).toEqual([]);
    expect(relinked.status).toBe(0);
    expect(asIs.status).toBe(1);
  });

  it('the -dbg copy carries no signature: refused under Secure Boot (Debian: lockdown in EFI Secure Boot), so a human decides', () => {
    const sig = gate(asIs.report, 'module-signature-rejected');
    expect(sig.severity).toBe('review');
    expect(sig.message).toBe(
      'the module carries no signature; booted with Secure Boot (lockdown) the loader refuses it, otherwise it loads and taints the kernel; a key in the machine keyring (MOK) may still be accepted',
    );
  });
});

describe('the signature of a .ko as Debian ships it, against the keys each vmlinux carries built in', async () => {
  it('6.1.170 drbg.ko on its own kernel: the signature verifies with the build key, no finding', async () => {
    const { report, status } = await checkJson([DRBG_SIGNED(), '--kernel', debianKernel('6.1.170')]);
    expect(report.findings).toEqual([]);
    expect([report.verdict, status]).toEqual(['relinkable', 0]);
  });

  it('6.1.170 drbg.ko on 6.1.192: signed by a build key 6.1.192 does not carry', async () => {
    const { report } = await checkJson([DRBG_SIGNED(), '--kernel', debianKernel('6.1.192')]);
    const sig = gate(report, 'module-signature-rejected');
    expect(sig.message).toMatch(/^the module was signed by CN=Build time autogenerated kernel key, serial [0-9a-f]{40}, which is none of the 1 keys the new vmlinux carries built in; booted with Secure Boot/);
    expect(sig.evidence[1]).toMatchObject({ label: 'new kernel', symbol: 'system_certificate_list', detail: 'CN=Build time autogenerated kernel key' });
  });

  it('with CONFIG_MODULE_SIG_FORCE=y the same module is refused outright', async () => {
    const config = configWith('6.1.192', { MODULE_SIG_FORCE: 'y' });
    const { report } = await checkJson([DRBG_SIGNED(), '--kernel', debianKernel('6.1.192'), '--config', config]);
    const sig = gate(report, 'module-signature-rejected');
    expect(sig.severity).toBe('link');
    expect(sig.message).toMatch(/; the loader refuses it \(signatures are enforced\)$/);
  });

  it('one changed byte after signing: the signature no longer verifies on its own kernel', async () => {
    const copy = join(mkdtempSync(join(tmpdir(), 'relinkable-sig-')), 'drbg.ko');
    copyFileSync(DRBG_SIGNED(), copy);
    const bytes = readFileSync(copy);
    bytes[0x100] = bytes[0x100]! ^ 0xff;
    writeFileSync(copy, bytes);
    const { report } = await checkJson([copy, '--kernel', debianKernel('6.1.170')]);
    expect(gate(report, 'module-signature-rejected').message).toMatch(
      /^the module's signature does not verify with the built-in key of its signer \(CN=Build time autogenerated kernel key\): the bytes were changed after signing; /,
    );
  });
});

describe('the gates follow the new kernel\'s .config', async () => {
  it('without CONFIG_MODULE_ALLOW_BTF_MISMATCH the foreign split BTF refuses the module', async () => {
    const config = configWith('6.1.192', { MODULE_ALLOW_BTF_MISMATCH: 'n' });
    const { report } = await checkJson([DRBG_DBG(), '--kernel', debianKernel('6.1.192'), '--config', config]);
    const btf = gate(report, 'split-btf-mismatch');
    expect(btf.severity).toBe('link');
    expect(btf.message).toMatch(/; the loader refuses the module \(CONFIG_MODULE_ALLOW_BTF_MISMATCH is not set\)$/);
  });

  it('a kernel that reads no module BTF ignores it', async () => {
    const config = configWith('6.1.192', { DEBUG_INFO_BTF_MODULES: 'n' });
    const { report } = await checkJson([DRBG_DBG(), '--kernel', debianKernel('6.1.192'), '--config', config]);
    expect(ids(report, 'split-btf-mismatch')).toEqual([]);
  });

  it('a kernel that does not check signatures does not look at them', async () => {
    const config = configWith('6.1.192', { MODULE_SIG: 'n' });
    const { report } = await checkJson([DRBG_DBG(), '--kernel', debianKernel('6.1.192'), '--config', config]);
    expect(ids(report, 'module-signature-rejected')).toEqual([]);
  });
});

describe('as is against the next major release: struct module, every gate at once', async () => {
  it('6.1.170 gcm.ko on 6.12.117: struct module 896 → 1280 bytes refuses it; relinked, it does not apply', async () => {
    const gcm = debianModule('6.1.170', 'crypto/gcm.ko');
    const asIs = await checkJson([gcm, '--kernel', debianKernel('6.12.117')]);
    expect(gate(asIs.report, 'module-struct-size')).toMatchObject({ severity: 'link', before: 'struct module: 896 bytes', after: 'struct module: 1280 bytes' });
    const relinked = await checkJson([gcm, '--kernel', debianKernel('6.12.117'), '--relink']);
    expect(ids(relinked.report, 'module-struct-size')).toEqual([]);
  });
});

describe('a use that cannot apply is an error', () => {
  it('--as-is on an object to relink', async () => {
    const r = await runCli(['check', 'fixtures/frozen/rng_driver.o', '--kernel', 'fixtures/new-kernel', '--as-is']);
    expect([r.status, r.stderr]).toEqual([2, 'relinkable: error: --as-is: fixtures/frozen/rng_driver.o is an object to relink, not a module (.ko) to load as it is\n']);
  });

  it('--as-is with --relink', async () => {
    const r = await runCli(['check', DRBG_DBG(), '--kernel', debianKernel('6.1.192'), '--as-is', '--relink']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("error: option '--as-is' cannot be used with option '--relink'\n");
  });
});
