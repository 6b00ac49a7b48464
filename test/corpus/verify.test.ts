import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VerifyReport } from '../../src/report/verify.js';
import { builtTree } from '../support/corpus.js';
import { ROOT } from '../support/paths.js';
import { runCli } from '../support/run.js';
import { evidenceBundle, parseJunit, sarifErrors, statementErrors } from '../support/evidence.js';

const ORACLE = join(ROOT, 'scripts', 'corpus', 'relink-oracle.sh');

/** The 6.1.170 crypto objects whose undefined symbols 6.1.192 all defines: they link into its tree. */
const LINKING = ['sha256_generic', 'sha512_generic', 'aes_generic', 'drbg', 'hmac'];

function frozen(name: string): string {
  return join(builtTree('6.1.170'), 'crypto', `${name}.o`);
}

async function verifyJson(args: string[]): Promise<{ status: number; report: VerifyReport }> {
  const r = await runCli(['verify', ...args, '--format', 'json']);
  if (r.stderr) throw new Error(`unexpected stderr: ${r.stderr}`);
  return { status: r.status, report: JSON.parse(r.stdout) as VerifyReport };
}

/**
 * readelf's count of the relocations of an object that apply to allocated sections the link
 * keeps: every `.rela*` section but the debug ones and those of the sections the report says
 * the script discards.
 */
function keptRelocations(object: string, discarded: readonly string[]): number {
  const text = execFileSync('readelf', ['-rW', object], { encoding: 'utf8' });
  let n = 0;
  for (const m of text.matchAll(/^Relocation section '\.rela(.+?)' at offset \S+ contains (\d+) entr/gm)) {
    const target = m[1]!;
    if (target.startsWith('.debug_') || discarded.includes(target)) continue;
    n += Number(m[2]);
  }
  return n;
}

describe('verify: frozen 6.1.170 objects relinked into the 6.1.192 tree by the real ld', () => {
  let kept: string;
  let vmlinux: string;
  let scratch: string;

  beforeAll(() => {
    const args = [builtTree('6.1.192'), ...LINKING.flatMap((o) => [frozen(o), `crypto/${o}.o`])];
    const r = spawnSync(ORACLE, args, { encoding: 'utf8', timeout: 600_000, env: { ...process.env, RELINKABLE_KEEP_TMP: '1' } });
    const dir = /relink-oracle: kept (\S+)/.exec(r.stderr)?.[1];
    if (dir) kept = dir;
    if (r.status !== 0 || !dir) throw new Error(`relink oracle failed (${r.status}): ${r.stderr.slice(-2000)}`);
    vmlinux = join(dir, 'build', 'vmlinux');
    scratch = mkdtempSync(join(tmpdir(), 'relinkable-verify-'));
  });

  afterAll(() => {
    if (kept) rmSync(kept, { recursive: true, force: true });
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('all five are identical modulo relocations: every relocated field readelf lists holds the computed value', async () => {
    const { status, report } = await verifyJson([...LINKING.map(frozen), '--linked', vmlinux]);
    expect(report.verdict).toBe('identical');
    expect(status).toBe(0);
    expect(report.findings).toEqual([]);
    expect(report.linked!.linkerScript).toBe(join(kept, 'build', 'arch', 'x86', 'kernel', 'vmlinux.lds'));
    const counts = report.objects.map((o) => {
      const discarded = o.sections.filter((s) => s.placement.startsWith('discarded')).map((s) => s.name);
      return [o.path.split('/').pop(), o.relocatedFields, keptRelocations(o.path, discarded)];
    });
    expect(counts).toEqual([
      ['sha256_generic.o', 33, 33],
      ['sha512_generic.o', 40, 40],
      ['aes_generic.o', 468, 468],
      ['drbg.o', 98, 98],
      ['hmac.o', 48, 48],
    ]);
    const sha256 = report.objects[0]!;
    expect(sha256.sections.map((s) => `${s.name} ${s.placement.split(':')[0]}`)).toEqual([
      '.text placed',
      '.data placed',
      '__ksymtab_strings merged by the linker (strings)',
      '___ksymtab_gpl+sha224_zero_message_hash placed',
      '___ksymtab_gpl+sha256_zero_message_hash placed',
      '___ksymtab+crypto_sha256_update placed',
      '___ksymtab+crypto_sha256_finup placed',
      '.initcall4.init placed',
      '.exit.text placed',
      '.init.text placed',
      '.modinfo discarded by *(.modinfo) (line 162)',
      '.exitcall.exit discarded by *(.exitcall.exit) (line 162)',
      '.discard.addressable discarded by *(.discard.*) (line 162)',
      '.rodata placed',
      ".note.gnu.property merged by the linker into the linked file's own GNU property note",
    ]);
    // Where the sections went agrees with the linked symbol table (nm): the .text of
    // sha256_generic.o starts at its first function, sha224_base_init.
    const nm = execFileSync('nm', [vmlinux], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const text = sha256.sections.find((s) => s.name === '.text')!;
    expect(nm).toContain(`${text.address!.slice(2)} t sha224_base_init\n`);
  });

  /** A copy of the relinked vmlinux with .text+0xb0 of sha256_generic.o (crypto_sha256_final+0xa) set to 0x90 by dd. */
  async function oneByteChanged(): Promise<{ copy: string; linkerScript: string; address: bigint; original: string }> {
    const copy = join(scratch, 'vmlinux');
    copyFileSync(vmlinux, copy);
    // readelf gives .text's address and file offset.
    const textHeader = /\]\s+\.text\s+PROGBITS\s+([0-9a-f]+)\s+([0-9a-f]+)/.exec(execFileSync('readelf', ['-SW', copy], { encoding: 'utf8' }))!;
    const { report: before } = await verifyJson([frozen('sha256_generic'), '--linked', vmlinux]);
    const address = BigInt(before.objects[0]!.sections.find((s) => s.name === '.text')!.address!) + 0xb0n;
    const fileOffset = Number(BigInt(`0x${textHeader[2]}`) + address - BigInt(`0x${textHeader[1]}`));
    const original = readFileSync(copy).subarray(fileOffset, fileOffset + 1).toString('hex');
    writeFileSync(join(scratch, 'byte'), Buffer.from([0x90]));
    execFileSync('dd', [`if=${join(scratch, 'byte')}`, `of=${copy}`, 'bs=1', `seek=${fileOffset}`, 'conv=notrunc', 'status=none']);
    return { copy, linkerScript: before.linked!.linkerScript!, address, original };
  }

  it('one byte of .text changed after the link (dd on a copy): exactly that byte, with its function', async () => {
    const { copy, linkerScript, address, original } = await oneByteChanged();
    const { status, report } = await verifyJson([frozen('sha256_generic'), '--linked', copy, '--linker-script', linkerScript]);
    expect(status).toBe(1);
    expect(report.verdict).toBe('differs');
    expect(report.findings.map((f) => [f.id, f.severity, f.symbol, f.before, f.after, f.message])).toEqual([
      [
        'certified-bytes-changed',
        'runtime',
        'crypto_sha256_final',
        original,
        '90',
        `1 byte at .text+0xb0 (crypto_sha256_final+0xa) differs in the linked file (.text 0x${address.toString(16)}), outside any relocated field: the certified bytes were changed`,
      ],
    ]);
    expect(report.objects[0]!.compared.find((c) => c.section === '.text')).toEqual({ section: '.text', bytes: 240, relocatedFields: 8, differingBytes: 1 });
  });

  it('the evidence formats: every file, valid SARIF and attestation, PASSED and FAILED, JUnit failing on the changed section alone', async () => {
    const sha256sum = (path: string) => execFileSync('sha256sum', [path], { encoding: 'utf8' }).split(' ')[0];
    const good = await evidenceBundle([frozen('sha256_generic'), frozen('hmac'), '--linked', vmlinux], '1764756000', 'verify');
    expect([good.status, Object.keys(good.files)]).toEqual([0, ['attestation.intoto.json', 'junit.xml', 'report.html', 'report.json', 'report.md', 'report.sarif', 'report.txt']]);
    const report = JSON.parse(good.files['report.json']!) as VerifyReport;
    expect(report.time).toEqual({ at: '2025-12-03T10:00:00Z', source: 'SOURCE_DATE_EPOCH' });
    // Every file the run read, hashed; sorted by name (the manifest keeps the order they were opened in).
    const byName = (rows: (string | null | undefined)[][]) => [...rows].sort((a, b) => a[1]!.localeCompare(b[1]!));
    expect(byName(report.inputs.map((i) => [i.role, i.path.split('/').pop()!, i.sha256]))).toEqual(
      byName([
        ['frozen object', 'sha256_generic.o', sha256sum(frozen('sha256_generic'))],
        ['frozen object', 'hmac.o', sha256sum(frozen('hmac'))],
        ['linked file', 'vmlinux', sha256sum(vmlinux)],
        ['linker script', 'vmlinux.lds', sha256sum(report.linked!.linkerScript!)],
      ]),
    );

    const statement = JSON.parse(good.files['attestation.intoto.json']!);
    expect(statementErrors(statement)).toEqual([]);
    expect(statement.subject).toEqual([{ name: 'vmlinux', digest: { sha256: sha256sum(vmlinux) } }]);
    expect([statement.predicate.verificationResult, statement.predicate.verifiedLevels]).toEqual(['PASSED', ['RELINKABLE_CERTIFIED_BYTES_IDENTICAL']]);
    expect(statement.predicate.policy.annotations.certified).toEqual([
      { name: 'sha256_generic.o', sha256: sha256sum(frozen('sha256_generic')) },
      { name: 'hmac.o', sha256: sha256sum(frozen('hmac')) },
    ]);
    const sarif = JSON.parse(good.files['report.sarif']!);
    expect(sarifErrors(sarif)).toEqual([]);
    expect(sarif.runs[0].results).toEqual([]);
    expect(sarif.runs[0].artifacts.map((a: { hashes: Record<string, string> }) => a.hashes['sha-256'])).toEqual([sha256sum(frozen('sha256_generic')), sha256sum(frozen('hmac')), sha256sum(vmlinux)]);
    const junit = parseJunit(good.files['junit.xml']!);
    expect([junit.failures, junit.suites.map((x) => [x.name.split('/').pop(), x.tests])]).toEqual([0, [['sha256_generic.o', 15], ['hmac.o', report.objects[1]!.sections.length]]]);
    expect(good.files['report.md']!.split('\n')[0]).toBe('# relinkable verify: IDENTICAL (modulo relocations) — sha256\\_generic.o, hmac.o in vmlinux');
    expect(good.files['report.md']).toContain(`| sha256 | ${sha256sum(vmlinux)} |`);

    const { copy, linkerScript } = await oneByteChanged();
    const bad = await evidenceBundle([frozen('sha256_generic'), '--linked', copy, '--linker-script', linkerScript], '1764756000', 'verify');
    expect(bad.status).toBe(1);
    const failed = JSON.parse(bad.files['attestation.intoto.json']!);
    expect(statementErrors(failed)).toEqual([]);
    expect([failed.subject[0].digest.sha256, failed.predicate.verificationResult]).toEqual([sha256sum(copy), 'FAILED']);
    const badJunit = parseJunit(bad.files['junit.xml']!);
    expect(badJunit.suites[0]!.cases.filter((c) => c.failure).map((c) => [c.classname, c.name, c.failure!.type])).toEqual([['sha256_generic.o', '.text', 'certified-bytes-changed']]);
    const badSarif = JSON.parse(bad.files['report.sarif']!);
    expect(sarifErrors(badSarif)).toEqual([]);
    expect(badSarif.runs[0].results.map((r: { ruleId: string; level: string }) => `${r.level} ${r.ruleId}`)).toEqual(['error certified-bytes-changed']);
    expect(bad.files['report.md']).toContain('| .text | 240 |');
  });

  it('6.1.170 gcm.o linked into gcm.ko by the tree\'s own ld -r command: the bytes as they are, every relocation entry its counterpart', async () => {
    const tree = builtTree('6.1.192');
    // cmd_crypto/gcm.ko := ld -r … -T scripts/module.lds -o crypto/gcm.ko crypto/gcm.o crypto/gcm.mod.o;  true
    const cmd = /^cmd_crypto\/gcm\.ko := (.*?);\s*true$/m.exec(readFileSync(join(tree, 'crypto', '.gcm.ko.cmd'), 'utf8'))![1]!.trim().split(/\s+/);
    const ko = join(scratch, 'gcm.ko');
    const map = join(scratch, 'gcm.map');
    const args = cmd.slice(1).map((a) => (a === 'crypto/gcm.ko' ? ko : a === 'crypto/gcm.o' ? frozen('gcm') : a));
    execFileSync(cmd[0]!, ['-Map', map, ...args], { cwd: tree });

    const { status, report } = await verifyJson([frozen('gcm'), '--linked', ko]);
    expect(report.findings).toEqual([]);
    expect(status).toBe(0);
    expect(report.linked!.kind).toBe('module');
    const o = report.objects[0]!;
    expect(o.relocatedFields).toBe(keptRelocations(frozen('gcm'), []));
    expect(o.relocatedFields).toBe(519);
    expect(o.sections.filter((s) => !s.placement.startsWith('placed')).map((s) => s.name)).toEqual(['.note.gnu.property']);
    expect(o.sections.find((s) => s.name === '.return_sites')!.placement).toBe('placed: the one place in .return_sites that holds its bytes with its 44 relocated fields');

    // With ld's map of the same link: every section placed by it, the same 519 entries matched.
    const byMap = await verifyJson([frozen('gcm'), '--linked', ko, '--map', map]);
    expect(byMap.report.findings).toEqual([]);
    expect(byMap.report.objects[0]!.relocatedFields).toBe(519);
    expect(byMap.report.objects[0]!.sections.filter((s) => s.placement !== 'placed: by the map file').map((s) => s.name)).toEqual(['.note.gnu.property']);
  });
});

/** A section's bytes and address as `objdump -s -j` dumps them. */
function objdumpSection(file: string, section: string): { address: bigint; bytes: Buffer } {
  const text = execFileSync('objdump', ['-s', '-j', section, file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  let address: bigint | undefined;
  const hexes: string[] = [];
  for (const m of text.matchAll(/^ ([0-9a-f]{8,16}) ((?:[0-9a-f]{2,8} ){1,4})/gm)) {
    address ??= BigInt(`0x${m[1]}`);
    hexes.push(m[2]!.replace(/ /g, ''));
  }
  return { address: address!, bytes: Buffer.from(hexes.join(''), 'hex') };
}

describe('verify: the boot-time patch sites inside 6.1.170 crypto objects relinked into the 6.12.117 tree', () => {
  let kept: string;
  let vmlinux: string;
  const objects = ['sha256_generic', 'aes_generic'];

  beforeAll(() => {
    const args = [builtTree('6.12.117'), ...objects.flatMap((o) => [frozen(o), `crypto/${o}.o`])];
    const r = spawnSync(ORACLE, args, { encoding: 'utf8', timeout: 600_000, env: { ...process.env, RELINKABLE_KEEP_TMP: '1' } });
    const dir = /relink-oracle: kept (\S+)/.exec(r.stderr)?.[1];
    if (dir) kept = dir;
    if (r.status !== 0 || !dir) throw new Error(`relink oracle failed (${r.status}): ${r.stderr.slice(-2000)}`);
    vmlinux = join(dir, 'build', 'vmlinux');
  });

  afterAll(() => {
    if (kept) rmSync(kept, { recursive: true, force: true });
  });

  it('identical, and every entry of the linked tables that falls in their .text, as objdump dumps the tables', async () => {
    const { status, report } = await verifyJson([...objects.map(frozen), '--linked', vmlinux]);
    expect(report.findings).toEqual([]);
    expect(status).toBe(0);
    expect(report.objects[0]!.patchTables).toEqual([
      '.altinstructions',
      '.retpoline_sites',
      '.return_sites',
      '.call_sites',
      '.ibt_endbr_seal',
      '.smp_locks',
      '__jump_table',
      '.static_call_sites',
    ]);
    // The oracle: objdump's dump of each table with its own output section, decoded as the
    // kernel reads it (s32 relative to the entry; alt_instr is 14 bytes in 6.12).
    const tables: [string, number][] = [['.altinstructions', 14], ['.retpoline_sites', 4], ['.return_sites', 4], ['.call_sites', 4], ['.ibt_endbr_seal', 4]];
    const dumped = tables.map(([name, size]) => ({ name, size, ...objdumpSection(vmlinux, name) }));
    for (const o of report.objects) {
      const text = o.sections.find((s) => s.name === '.text')!;
      const start = BigInt(text.address!);
      const end = start + BigInt(text.size);
      const expected: string[] = [];
      for (const t of dumped) {
        for (let at = 0; at + t.size <= t.bytes.length; at += t.size) {
          const site = BigInt.asUintN(64, t.address + BigInt(at) + BigInt(t.bytes.readInt32LE(at)));
          if (site >= start && site < end) expected.push(`${t.name} .text+0x${(site - start).toString(16)}`);
        }
      }
      const found = o.patchSites!.filter((s) => s.section === '.text' && tables.some(([n]) => n === s.table)).map((s) => `${s.table} .text+${s.offset}`);
      expect(found.sort()).toEqual(expected.sort());
      expect(found.length).toBeGreaterThan(0);
    }
    const sha256 = report.objects[0]!.patchSites!.map((s) => `${s.table} ${s.within}`);
    expect(sha256).toEqual([
      '.return_sites sha224_base_init+0x44',
      '.return_sites sha256_base_init+0x44',
      '.return_sites crypto_sha256_update+0xf',
      '.return_sites crypto_sha256_final+0x26',
      '.call_sites crypto_sha256_update+0x8',
      '.call_sites crypto_sha256_final+0x18',
      '.call_sites crypto_sha256_final+0x1f',
      '.call_sites crypto_sha256_finup+0x10',
    ]);
  });
});

describe("verify: the 6.12.117 tree's own built-in objects against its vmlinux (what a real build does to them)", () => {
  const tree = () => builtTree('6.12.117');
  const one = async (object: string) => (await verifyJson([join(tree(), object), '--linked', join(tree(), 'vmlinux')])).report;

  it('weak definitions that lost to another object\'s (init/main.c free_initmem; two core.c, each with its own .data..once): identical', async () => {
    for (const object of ['init/main.o', 'arch/x86/events/amd/core.o', 'kernel/events/core.o']) {
      const report = await one(object);
      expect([object, report.verdict, report.findings.map((f) => f.id)]).toEqual([object, 'identical', []]);
    }
  });

  it('init/version.o: its .data holds only the weak init_uts_ns that version-timestamp.o overrides: not placed, never guessed', async () => {
    const report = await one('init/version.o');
    expect(report.findings.map((f) => [f.id, f.message])).toEqual([
      ['section-unplaced', '.data (432 bytes) could not be placed in the linked file: none of its symbols is in the linked file, and no placed section refers to it; its bytes were not compared'],
    ]);
  });

  it('the bytes the build writes after the link: resolve_btfids fills .BTF_ids, sorttable clears main_extable_sort_needed and sorts __ex_table', async () => {
    const extable = await one('kernel/extable.o');
    expect(extable.findings.map((f) => [f.severity, f.id, f.symbol, f.message])).toEqual([
      ['review', 'certified-bytes-changed', 'main_extable_sort_needed', expect.stringContaining('scripts/sorttable clears main_extable_sort_needed once it has sorted __ex_table')],
    ]);
    const verifier = await one('kernel/bpf/verifier.o');
    expect(new Set(verifier.findings.map((f) => `${f.severity} ${f.id} ${(f.evidence[0] as { section?: string }).section}`))).toEqual(new Set(['review certified-bytes-changed .BTF_ids']));
    const traps = await one('arch/x86/kernel/traps.o');
    expect(traps.findings.map((f) => [f.id, f.symbol])).toEqual([['section-unplaced', '__ex_table']]);
    expect(traps.findings[0]!.message).toContain('scripts/sorttable sorts this table of vmlinux after the link');
  });
});

/**
 * An arm64 vmlinux is linked -shared with --no-apply-dynamic-relocs: every absolute address
 * field is 0 in the file and its value is the addend of an R_AARCH64_RELATIVE entry in
 * .rela.dyn; hidden and script-defined globals become locals; sorttable sorts the ftrace
 * call sites by those addends. Oracle: readelf's .rela.dyn.
 */
describe("verify: the 6.12.117 arm64 tree's own built-in objects against its self-relocating vmlinux", () => {
  const tree = () => builtTree('6.12.117-arm64');
  /** readelf's R_AARCH64_RELATIVE entries of the vmlinux: address and addend. */
  const relative = () =>
    [...execFileSync('readelf', ['-rW', join(tree(), 'vmlinux')], { encoding: 'utf8', maxBuffer: 1 << 28 }).matchAll(/^([0-9a-f]{16})\s+\S+\s+R_AARCH64_RELATIVE\s+(-?[0-9a-f]+)$/gm)].map((m) => ({
      address: BigInt(`0x${m[1]}`),
      addend: m[2]!.startsWith('-') ? -BigInt(`0x${m[2]!.slice(1)}`) : BigInt(`0x${m[2]}`),
    }));
  const nmValue = (name: string) => BigInt(`0x${execFileSync('nm', [join(tree(), 'vmlinux')], { encoding: 'utf8', maxBuffer: 1 << 28 }).match(new RegExp(`^([0-9a-f]+) \\S ${name}$`, 'm'))![1]}`);

  it('crypto/drbg.o: identical; the 4 pointers of its .rodata are zero in the file and are the .rela.dyn entries there', async () => {
    const { status, report } = await verifyJson([join(tree(), 'crypto', 'drbg.o'), '--linked', join(tree(), 'vmlinux')]);
    expect([status, report.verdict, report.findings]).toEqual([0, 'identical', []]);
    const drbg = report.objects[0]!;
    const rodata = drbg.sections.find((s) => s.name === '.rodata')!;
    expect(drbg.compared.find((c) => c.section === '.rodata')).toEqual({ section: '.rodata', bytes: 824, relocatedFields: 4, differingBytes: 0 });
    const start = BigInt(rodata.address!);
    const rodataRelocations = /^Relocation section '\.rela\.rodata' at offset \S+ contains (\d+) entr/m.exec(execFileSync('readelf', ['-rW', join(tree(), 'crypto', 'drbg.o')], { encoding: 'utf8' }))![1];
    expect(relative().filter((r) => r.address >= start && r.address < start + 824n)).toHaveLength(Number(rodataRelocations));
    expect(drbg.sections.find((s) => s.name === '__patchable_function_entries')!.placement).toBe('sorted into the linked __mcount_loc table by scripts/sorttable: each of its 14 entries found there');
  });

  it('the patch sites inside three objects are the entries of .altinstructions (objdump) and of the ftrace table (its .rela.dyn addends) that fall in them', async () => {
    const objects = ['crypto/drbg.o', 'crypto/scompress.o', 'lib/percpu_counter.o'];
    const { status, report } = await verifyJson([...objects.map((o) => join(tree(), o)), '--linked', join(tree(), 'vmlinux')]);
    expect([status, report.verdict]).toEqual([0, 'identical']);
    expect(report.objects[0]!.patchTables).toEqual(['.altinstructions', '__jump_table', '__mcount_loc']);
    // The oracle: objdump's .altinstructions, 12-byte entries whose first s32 is relative to
    // itself; the ftrace call sites are the addends readelf lists in __start_mcount_loc..__stop_mcount_loc.
    const alt = objdumpSection(join(tree(), 'vmlinux'), '.altinstructions');
    const altSites: bigint[] = [];
    for (let at = 0; at + 12 <= alt.bytes.length; at += 12) altSites.push(BigInt.asUintN(64, alt.address + BigInt(at) + BigInt(alt.bytes.readInt32LE(at))));
    const start = nmValue('__start_mcount_loc');
    const stop = nmValue('__stop_mcount_loc');
    const ftraceSites = relative()
      .filter((e) => e.address >= start && e.address < stop && e.addend !== 0n)
      .map((e) => BigInt.asUintN(64, e.addend));
    const counts: Record<string, number>[] = [];
    for (const o of report.objects) {
      const ranges = o.sections.filter((x) => x.address !== null && x.size > 0).map((x) => ({ name: x.name, start: BigInt(x.address!), end: BigInt(x.address!) + BigInt(x.size) }));
      const inObject = (site: bigint) => ranges.find((r) => site >= r.start && site < r.end);
      const expected = [
        ...altSites.filter(inObject).map((a) => `.altinstructions ${inObject(a)!.name}+0x${(a - inObject(a)!.start).toString(16)}`),
        ...ftraceSites.filter(inObject).map((a) => `__mcount_loc ${inObject(a)!.name}+0x${(a - inObject(a)!.start).toString(16)}`),
      ];
      expect(o.patchSites!.map((x) => `${x.table} ${x.section}+${x.offset}`).sort()).toEqual(expected.sort());
      counts.push(Object.fromEntries(['.altinstructions', '__mcount_loc'].map((t) => [t, o.patchSites!.filter((x) => x.table === t).length])));
    }
    expect(counts).toEqual([
      { '.altinstructions': 0, __mcount_loc: 14 },
      { '.altinstructions': 1, __mcount_loc: 13 },
      { '.altinstructions': 7, __mcount_loc: 0 },
    ]);
    // An ftrace site is the two NOPs -fpatchable-function-entry=4,2 puts before the function's symbol.
    expect(report.objects[0]!.patchSites!.slice(0, 3).map((x) => `${x.section}+${x.offset} ${x.within}`)).toEqual([
      '.text+0x0 drbg_kcapi_set_entropy-0x8',
      '.text+0x70 drbg_fini_hash_kernel-0x8',
      '.text+0xd0 drbg_kcapi_init-0x8',
    ]);
    // The capability's name is the build's: the generated header's define for 51.
    const header = readFileSync(join(tree(), 'arch', 'arm64', 'include', 'generated', 'asm', 'cpucap-defs.h'), 'utf8');
    const cap51 = /^#define (ARM64_\w+)\s+51$/m.exec(header)![1];
    expect(cap51).toBe('ARM64_HAS_VIRT_HOST_EXTN');
    expect(report.inputs.filter((i) => i.role === 'cpucaps header').map((i) => i.path.split('/').pop())).toEqual(['cpucap-defs.h']);
    expect(report.objects[2]!.patchSites![0]).toEqual({
      table: '.altinstructions',
      section: '.text',
      offset: '0x3a8',
      address: '0xffff80008024f1f8',
      within: 'percpu_counter_sync+0x48',
      writes: `4 bytes: replaced by a 4-byte alternative when the CPU has capability 51 (${cap51})`,
    });
  });

  it('a frozen drbg.o whose first ftrace entry was changed (addend 0 → 4): that entry is in neither place nor the sorted table, so the table is unplaced', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'relinkable-verify-arm64-'));
    try {
      const bytes = readFileSync(join(tree(), 'crypto', 'drbg.o'));
      // The first entry of .rela__patchable_function_entries (readelf: offset 0x1cf38): r_addend is its third word.
      const rela = /\.rela__patchable_function_entries\s+RELA\s+\S+\s+(\S+)/.exec(execFileSync('readelf', ['-SW', join(tree(), 'crypto', 'drbg.o')], { encoding: 'utf8' }))![1]!;
      const addendAt = Number.parseInt(rela, 16) + 16;
      expect(bytes.readBigInt64LE(addendAt)).toBe(0n);
      bytes.writeBigInt64LE(4n, addendAt);
      const copy = join(dir, 'drbg.o');
      writeFileSync(copy, bytes);
      const { status, report } = await verifyJson([copy, '--linked', join(tree(), 'vmlinux')]);
      expect([status, report.verdict]).toEqual([1, 'differs']);
      expect(report.findings.map((f) => [f.severity, f.id, f.message])).toEqual([
        [
          'review',
          'section-unplaced',
          '__patchable_function_entries (112 bytes) could not be placed in the linked file: 1 of its 14 entries are not in the linked __mcount_loc table (__start_mcount_loc..__stop_mcount_loc, which scripts/sorttable sorts after the link) (+0x0); its bytes were not compared',
        ],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('each module of the tree against its .ko: identical; scripts/module.lds, found above the .ko beside Module.symvers, says what ld -r discarded', async () => {
    const modules = execFileSync('find', ['.', '-name', '*.ko'], { cwd: tree(), encoding: 'utf8' }).trim().split('\n').sort();
    const verdicts: string[] = [];
    for (const ko of modules) {
      const { report } = await verifyJson([join(tree(), ko.replace(/\.ko$/, '.o')), '--linked', join(tree(), ko)]);
      expect(report.linked!.linkerScript).toBe(join(tree(), 'scripts', 'module.lds'));
      verdicts.push(`${ko} ${report.verdict} ${report.findings.length}`);
    }
    expect(verdicts).toEqual(modules.map((ko) => `${ko} identical 0`));
    expect(modules).toHaveLength(6);
    const nullKo = await verifyJson([join(tree(), 'crypto', 'crypto_null.o'), '--linked', join(tree(), 'crypto', 'crypto_null.ko')]);
    expect(nullKo.report.objects[0]!.sections.filter((x) => x.placement.startsWith('discarded')).map((x) => `${x.name}: ${x.placement}`)).toEqual([
      '.export_symbol: discarded by *(.export_symbol) (line 5)',
      '.discard.addressable: discarded by *(.discard.*) (line 4)',
    ]);
  });

  it('all 607 objects of vmlinux.a: identical but for the build steps that write after the link, as on x86-64; the zeroed ftrace entries are readelf\'s', async () => {
    const objects = execFileSync('ar', ['t', 'vmlinux.a'], { cwd: tree(), encoding: 'utf8' }).trim().split('\n');
    const r = await runCli(['verify', ...objects.map((o) => join(tree(), o)), '--linked', join(tree(), 'vmlinux'), '--format', 'json']);
    expect([r.status, r.stderr]).toEqual([1, '']);
    const report = JSON.parse(r.stdout) as VerifyReport;
    expect(report.objects).toHaveLength(607);
    const kinds = new Map<string, Set<string>>();
    for (const f of report.findings) {
      const what = f.message.includes('resolve_btfids') ? 'resolve_btfids' : f.message.includes('sorttable clears') ? 'sorttable' : `${f.id} ${f.message}`;
      const object = f.object!.slice(tree().length + 1);
      kinds.set(object, (kinds.get(object) ?? new Set()).add(what));
    }
    const btfIds = ['arena', 'arraymap', 'bloom_filter', 'bpf_task_storage', 'btf', 'crypto', 'hashtab', 'helpers', 'link_iter', 'lpm_trie', 'map_iter', 'prog_iter', 'queue_stack_maps', 'ringbuf', 'verifier'];
    expect(Object.fromEntries([...kinds].map(([o, k]) => [o, [...k]]))).toEqual({
      ...Object.fromEntries(btfIds.map((o) => [`kernel/bpf/${o}.o`, ['resolve_btfids']])),
      'kernel/kallsyms.o': ['resolve_btfids'],
      'kernel/extable.o': ['sorttable'],
      'init/version.o': ['section-unplaced .data (432 bytes) could not be placed in the linked file: none of its symbols is in the linked file, and no placed section refers to it; its bytes were not compared'],
    });
    // Every ftrace call-site table is found in the sorted one; the entries of weak functions
    // that lost are the entries sorttable zeroed: as many as readelf shows with addend 0.
    const start = nmValue('__start_mcount_loc');
    const stop = nmValue('__stop_mcount_loc');
    const zeroed = relative().filter((e) => e.address >= start && e.address < stop && e.addend === 0n).length;
    const tables = report.objects.flatMap((o) => o.sections.filter((s) => s.name === '__patchable_function_entries'));
    // A table whose entries sorting left in one run is found there by the search; every other is judged entry by entry.
    expect(new Set(tables.map((s) => s.placement.replace(/\d+/g, 'N').replace(/ \(.*\)$/, '')))).toEqual(
      new Set([
        'placed: the one place in .init.data that holds its bytes with its N relocated fields',
        'sorted into the linked __mcount_loc table by scripts/sorttable: each of its N entries found there',
        'sorted into the linked __mcount_loc table by scripts/sorttable: each of its N entries found there; N more zeroed, of weak functions another definition overrides',
      ]),
    );
    expect(tables.reduce((n, s) => n + Number(/; (\d+) more zeroed/.exec(s.placement)?.[1] ?? 0), 0)).toBe(zeroed);
    expect(zeroed).toBeGreaterThan(0);
  });
});
