import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VerifyReport } from '../../src/report/verify.js';
import { FIXTURES } from '../support/paths.js';
import { checkJson, runCli } from '../support/run.js';
import { parseJunit, statementErrors } from '../support/evidence.js';

/**
 * The vendor integrity schemes on fixtures built the way each scheme's build does it, from
 * our own sources (fixtures/integrity/build.sh, with ld, objcopy and openssl as the build
 * uses them): a positive case, and a case changed after the build.
 */
const KEY = 'The quick brown fox jumps over the lazy dog while the sphinx of black quartz judges my vow';
const MODULE = join(FIXTURES, 'frozen', 'rng_mod.ko');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'relinkable-integrity-'));
  execFileSync(join(FIXTURES, 'integrity', 'build.sh'), [dir], { stdio: 'pipe' });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function verify(args: string[]): Promise<{ status: number; report: VerifyReport }> {
  const r = await runCli(['verify', ...args, '--format', 'json']);
  if (r.stderr) throw new Error(`unexpected stderr: ${r.stderr}`);
  return { status: r.status, report: JSON.parse(r.stdout) as VerifyReport };
}

/** A copy of `file` with the byte at `offset` inverted. */
function changed(file: string, offset: number, name: string): string {
  const bytes = readFileSync(file);
  bytes[offset] = bytes[offset]! ^ 0xff;
  const out = join(dir, name);
  writeFileSync(out, bytes);
  return out;
}

/** A section's file offset, from readelf. */
function sectionOffset(file: string, name: string): number {
  const m = new RegExp(`\\]\\s+${name.replace('.', '\\.')}\\s+\\S+\\s+[0-9a-f]+\\s+([0-9a-f]+)`).exec(execFileSync('readelf', ['-SW', file], { encoding: 'utf8' }))!;
  return Number.parseInt(m[1]!, 16);
}

const results = (r: VerifyReport) => r.integrity.flatMap((c) => c.items.map((i) => `${c.scheme} ${i.ok ? 'agrees' : 'differs'}: ${i.what.split(':')[0]}`));

describe('embedded fips140.ko (Amazon Linux CONFIG_CRYPTO_FIPS140_EXTMOD)', () => {
  it('the embedded module is the certified one and its HMAC, keyed by the .config key, is the embedded digest', async () => {
    const config = join(dir, 'config');
    writeFileSync(config, `CONFIG_CRYPTO_FIPS140_EXTMOD=y\nCONFIG_CRYPTO_FIPS140_HMAC_KEY="${KEY}"\n`);
    const { status, report } = await verify(['--linked', join(dir, 'embedded-vmlinux'), '--fips140-embedded', '--certified', MODULE, '--config', config]);
    expect(report.findings).toEqual([]);
    expect(status).toBe(0);
    expect(results(report)).toEqual([
      `embedded-fips140 agrees: sha256 of the embedded module (${readFileSync(MODULE).length} bytes) against the certified ${MODULE}`,
      'embedded-fips140 agrees: HMAC-SHA256 of the embedded module, keyed by CONFIG_CRYPTO_FIPS140_HMAC_KEY, against the embedded digest',
    ]);
    // The digest is the one openssl computed for the build.
    expect(report.integrity[0]!.items[1]!.expected).toBe(readFileSync(join(dir, 'fips140.hmac')).toString('hex'));
  });

  it('one byte of the embedded module changed: neither the certified digest nor the HMAC agree', async () => {
    const vmlinux = join(dir, 'embedded-vmlinux');
    const copy = changed(vmlinux, sectionOffset(vmlinux, '.fips140_embedded') + 100, 'embedded-changed');
    const { status, report } = await verify(['--linked', copy, '--fips140-embedded', '--certified', MODULE, '--hmac-key', KEY]);
    expect(status).toBe(1);
    expect(report.findings.map((f) => [f.id, f.symbol])).toEqual([
      ['integrity-mismatch', 'embedded-fips140'],
      ['integrity-mismatch', 'embedded-fips140'],
    ]);
  });

  it('another key: the HMAC does not agree', async () => {
    const { report } = await verify(['--linked', join(dir, 'embedded-vmlinux'), '--fips140-embedded', '--hmac-key', 'Sphinx of black quartz, judge my vow']);
    expect(results(report)).toEqual(['embedded-fips140 differs: HMAC-SHA256 of the embedded module, keyed by CONFIG_CRYPTO_FIPS140_HMAC_KEY, against the embedded digest']);
  });
});

describe("Android's fips140.ko", () => {
  it('the HMAC of .text and .rodata between the markers is fips140_integ_hmac_digest', async () => {
    const { status, report } = await verify(['--android-fips140', join(dir, 'fips140.ko')]);
    expect(report.findings).toEqual([]);
    expect(status).toBe(0);
    // Both are the digest openssl computed over the dd'd ranges in the build.
    const built = readFileSync(join(dir, 'fips140.ko.digest')).toString('hex');
    expect([report.integrity[0]!.items[0]!.expected, report.integrity[0]!.items[0]!.found]).toEqual([built, built]);
  });

  it('one byte of .text changed after the digest was written: the digest does not agree', async () => {
    const ko = join(dir, 'fips140.ko');
    const { report } = await verify(['--android-fips140', changed(ko, sectionOffset(ko, '.text') + 4, 'fips140-changed.ko')]);
    expect(report.findings.map((f) => f.id)).toEqual(['integrity-mismatch']);
  });

  it('in the evidence formats: the scheme a JUnit suite with a case per value recomputed, the module the attestation\'s subject', async () => {
    const ko = changed(join(dir, 'fips140.ko'), sectionOffset(join(dir, 'fips140.ko'), '.text') + 4, 'fips140-changed-junit.ko');
    const junit = await runCli(['verify', '--android-fips140', ko, '--format', 'junit', '--now', '2026-12-03']);
    expect(junit.status).toBe(1);
    const parsed = parseJunit(junit.stdout);
    expect(parsed.suites.map((x) => [x.name.replace(dir, 'DIR'), x.cases.map((c) => [c.classname, c.failure?.type ?? 'passed'])])).toEqual([
      ['android-fips140: DIR/fips140-changed-junit.ko', [['android-fips140', 'integrity-mismatch']]],
    ]);
    const good = await runCli(['verify', '--android-fips140', join(dir, 'fips140.ko'), '--format', 'intoto', '--now', '2026-12-03']);
    const statement = JSON.parse(good.stdout);
    expect(statementErrors(statement)).toEqual([]);
    const sha256 = execFileSync('sha256sum', [join(dir, 'fips140.ko')], { encoding: 'utf8' }).split(' ')[0];
    expect([statement.subject, statement.predicate.verificationResult, statement.predicate.timeVerified]).toEqual([[{ name: 'fips140.ko', digest: { sha256 } }], 'PASSED', '2026-12-03T00:00:00Z']);
  });

  it('a relocation the reverter does not know, in .text: the load would BUG before hashing', async () => {
    const { status, report } = await verify(['--android-fips140', join(dir, 'fips140-refused.ko')]);
    expect(status).toBe(1);
    expect(report.findings.map((f) => [f.id, f.message, f.sites.map((s) => `${s.symbol} ${s.detail}`)])).toEqual([
      [
        'integrity-relocation-refused',
        "android-fips140: 1 relocation in the hashed ranges of a type the module's reverter does not handle (R_AARCH64_PREL32): it BUG()s at load before hashing",
        ['R_AARCH64_PREL32 .text+0x0'],
      ],
    ]);
    expect(execFileSync('readelf', ['-rW', join(dir, 'fips140-refused.ko')], { encoding: 'utf8' })).toMatch(/^0000000000000000 +\S+ R_AARCH64_PREL32 /m);
  });
});

describe("RHEL's .vmlinuz-<ver>.hmac", () => {
  it('the HMAC-SHA512 of vmlinuz is the line sha512hmac wrote', async () => {
    const { status, report } = await verify(['--rhel-hmac', join(dir, 'boot', 'vmlinuz-6.1.0-fixture')]);
    expect(report.findings).toEqual([]);
    expect(status).toBe(0);
    expect(report.integrity[0]!.items[0]!.what).toContain('which names /boot/vmlinuz-6.1.0-fixture');
  });

  it('one byte of vmlinuz changed: the HMAC does not agree', async () => {
    const boot = join(dir, 'boot-changed');
    mkdirSync(boot);
    copyFileSync(join(dir, 'boot', '.vmlinuz-6.1.0-fixture.hmac'), join(boot, '.vmlinuz-6.1.0-fixture.hmac'));
    const bytes = readFileSync(join(dir, 'boot', 'vmlinuz-6.1.0-fixture'));
    bytes[1000] = bytes[1000]! ^ 1;
    writeFileSync(join(boot, 'vmlinuz-6.1.0-fixture'), bytes);
    const { status, report } = await verify(['--rhel-hmac', join(boot, 'vmlinuz-6.1.0-fixture')]);
    expect(status).toBe(1);
    expect(report.findings.map((f) => [f.id, f.symbol])).toEqual([['integrity-mismatch', 'rhel-hmac']]);
  });
});

describe("Amazon's placeholder ABI between vmlinux and fips140.ko", () => {
  it('every placeholder the kernel has is filled by the module, and every one the module fills is there', async () => {
    const { status, report } = await verify(['--linked', join(dir, 'abi-vmlinux'), '--fips140-abi', join(dir, 'abi-module.ko')]);
    expect(report.findings).toEqual([]);
    expect(status).toBe(0);
    expect(report.placeholders).toMatchObject({ matched: 3, unfilled: [], missing: [] });
  });

  it('a newer kernel that added one placeholder and dropped another: a NULL call, and a module the loader refuses', async () => {
    const { status, report } = await verify(['--linked', join(dir, 'abi-vmlinux-newer'), '--fips140-abi', join(dir, 'abi-module.ko')]);
    expect(status).toBe(1);
    expect(report.findings.map((f) => [f.severity, f.id, f.sites.map((x) => x.symbol)])).toEqual([
      ['link', 'placeholder-missing', ['__fips140_fn_ptr_crypto_aes_encrypt']],
      ['runtime', 'placeholder-unfilled', ['__fips140_fn_ptr_crypto_sha512_update']],
    ]);
    // nm agrees on the kernel's side.
    const nm = execFileSync('nm', [join(dir, 'abi-vmlinux-newer')], { encoding: 'utf8' });
    expect(nm).toContain(' B __fips140_fn_ptr_crypto_sha512_update\n');
    expect(nm).not.toContain('__fips140_fn_ptr_crypto_aes_encrypt');
  });

  it('in JUnit: one failing case holding both findings; the attestation FAILED on the linked vmlinux', async () => {
    const args = ['verify', '--linked', join(dir, 'abi-vmlinux-newer'), '--fips140-abi', join(dir, 'abi-module.ko'), '--now', '2026-12-03'];
    const junit = parseJunit((await runCli([...args, '--format', 'junit'])).stdout);
    expect([junit.tests, junit.failures]).toEqual([1, 1]);
    expect(junit.suites[0]!.cases.map((c) => [c.name, c.failure?.message])).toEqual([['placeholder ABI', '2 findings: placeholder-missing, placeholder-unfilled']]);
    const statement = JSON.parse((await runCli([...args, '--format', 'intoto'])).stdout);
    expect(statementErrors(statement)).toEqual([]);
    expect([statement.subject[0].name, statement.predicate.verificationResult]).toEqual(['abi-vmlinux-newer', 'FAILED']);
  });

  it('check, before the relink: the placeholder the newer kernel added is unfilled, the one it dropped an undefined symbol', async () => {
    const { report } = await checkJson([join(dir, 'abi-module.ko'), '--vmlinux', join(dir, 'abi-vmlinux-newer'), '--type-source', 'none', '--fail-on', 'never']);
    const relevant = report.findings.filter((f) => f.id === 'placeholder-unfilled' || f.id === 'undefined-symbol');
    expect(relevant.map((f) => [f.severity, f.id, f.symbol ?? f.sites.map((x) => x.symbol).join(',')])).toEqual([
      ['link', 'undefined-symbol', '__fips140_fn_ptr_crypto_aes_encrypt'],
      ['runtime', 'placeholder-unfilled', '__fips140_fn_ptr_crypto_sha512_update'],
    ]);
  });
});
