import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { VerifyReport } from '../../src/report/verify.js';
import { ELF_FIXTURES } from '../support/paths.js';
import { runCli } from '../support/run.js';

/**
 * i386 and AArch64: fixtures/elf/relink.c linked with the real ld against relink_other.c
 * (fixtures/elf/generate.sh builds both objects), then verified; the oracle for the count of
 * relocated fields is readelf.
 */
const scratch = mkdtempSync(join(tmpdir(), 'relinkable-relocation-values-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const LINKERS = {
  i386: { ld: 'ld', args: ['-m', 'elf_i386', '-Ttext=0xc1000000'] },
  aarch64: { ld: 'aarch64-linux-gnu-ld', args: ['-Ttext=0xffff800010000000'] },
} as const;

function link(arch: keyof typeof LINKERS): string {
  const out = join(scratch, `${arch}.out`);
  const { ld, args } = LINKERS[arch];
  execFileSync(ld, [...args, '-e', 'relink_entry', join(ELF_FIXTURES, `${arch}-relink.o`), join(ELF_FIXTURES, `${arch}-relink_other.o`), '-o', out]);
  return out;
}

async function verifyJson(object: string, linked: string): Promise<{ status: number; report: VerifyReport }> {
  const r = await runCli(['verify', object, '--linked', linked, '--format', 'json']);
  if (r.stderr) throw new Error(`unexpected stderr: ${r.stderr}`);
  return { status: r.status, report: JSON.parse(r.stdout) as VerifyReport };
}

/** readelf -r: the entries of each relocation section, and the first .text relocation's offset and type. */
function readelfRelocations(object: string): { total: number; firstText: { offset: number; type: string } } {
  const text = execFileSync('readelf', ['-rW', object], { encoding: 'utf8' });
  const total = [...text.matchAll(/contains (\d+) entr/g)].reduce((n, m) => n + Number(m[1]), 0);
  const rel = /Relocation section '\.rela?\.text'[^\n]*\n[^\n]*\n([0-9a-f]+)\s+[0-9a-f]+\s+(R_\w+)/.exec(text)!;
  return { total, firstText: { offset: Number.parseInt(rel[1]!, 16), type: rel[2]! } };
}

describe.each(['i386', 'aarch64'] as const)('%s: relocations applied with the linked addresses', (arch) => {
  const object = join(ELF_FIXTURES, `${arch}-relink.o`);

  it('the linked bytes are the object\'s with every relocation applied', async () => {
    const { status, report } = await verifyJson(object, link(arch));
    expect(report.findings).toEqual([]);
    expect(status).toBe(0);
    expect(report.objects[0]!.relocatedFields).toBe(readelfRelocations(object).total);
  });

  it('a relocated field changed after the link is that field, named with its relocation', async () => {
    const linked = link(arch);
    const copy = join(scratch, `${arch}-changed.out`);
    copyFileSync(linked, copy);
    const { report: before } = await verifyJson(object, linked);
    const text = before.objects[0]!.sections.find((s) => s.name === '.text')!;
    const { firstText } = readelfRelocations(object);
    // The field's first byte, at its file offset: .text's address and offset from readelf -S.
    const header = /\]\s+\.text\s+PROGBITS\s+([0-9a-f]+)\s+([0-9a-f]+)/.exec(execFileSync('readelf', ['-SW', copy], { encoding: 'utf8' }))!;
    const at = Number(BigInt(`0x${header[2]}`) + BigInt(text.address!) - BigInt(`0x${header[1]}`)) + firstText.offset;
    const bytes = readFileSync(copy);
    bytes[at] = bytes[at]! ^ 0x04;
    writeFileSync(copy, bytes);
    const { status, report } = await verifyJson(object, copy);
    expect(status).toBe(1);
    expect(report.findings.map((f) => [f.id, (f.evidence[0] as { offset?: string }).offset])).toEqual([['certified-bytes-changed', `0x${firstText.offset.toString(16)}`]]);
    expect(report.findings[0]!.message).toContain(`(${firstText.type} `);
    expect(report.findings[0]!.message).toContain('holds another value in the linked file');
  });
});

describe('padding the linker put between two input sections of the object', () => {
  it('i386: the fill between relink.c\'s .text.unlikely and its .text, as objdump dumps those bytes', async () => {
    const linked = link('i386');
    const { report } = await verifyJson(join(ELF_FIXTURES, 'i386-relink.o'), linked);
    const padding = report.objects[0]!.padding;
    expect(padding.map((p) => [p.linkedSection, p.after, p.before, p.bytes])).toEqual([['.text', '.text.unlikely', '.text', 15]]);
    const start = BigInt(padding[0]!.address);
    const dump = execFileSync('objdump', ['-s', '-j', '.text', `--start-address=0x${start.toString(16)}`, `--stop-address=0x${(start + 15n).toString(16)}`, linked], { encoding: 'utf8' });
    const hex = [...dump.matchAll(/^ [0-9a-f]+ ((?:[0-9a-f]{2,8} ){1,4})/gm)].map((m) => m[1]!.replace(/ /g, '')).join('');
    expect(padding[0]!.fill).toBe(hex);
  });
});

/**
 * AArch64 linked as an arm64 vmlinux is (-shared -Bsymbolic --no-apply-dynamic-relocs): the
 * two function pointers of relink_table are 0 in the file; their values are the addends of
 * R_AARCH64_RELATIVE entries in .rela.dyn, which the kernel writes at boot.
 */
describe('AArch64 linked -shared --no-apply-dynamic-relocs, as an arm64 vmlinux', () => {
  const object = join(ELF_FIXTURES, 'aarch64-relink.o');
  const linkShared = (): string => {
    const out = join(scratch, 'aarch64-shared.out');
    execFileSync('aarch64-linux-gnu-ld', ['-shared', '-Bsymbolic', '--no-apply-dynamic-relocs', '-z', 'notext', '-Ttext=0xffff800010000000', '-e', 'relink_entry', object, join(ELF_FIXTURES, 'aarch64-relink_other.o'), '-o', out]);
    return out;
  };
  /** readelf's .rela.dyn: offset, and the byte offset of its addend in the file. */
  const dynamic = (linked: string) => {
    const section = /\.rela\.dyn\s+RELA\s+\S+\s+(\S+)/.exec(execFileSync('readelf', ['-SW', linked], { encoding: 'utf8' }))!;
    const entries = [...execFileSync('readelf', ['-rW', linked], { encoding: 'utf8' }).matchAll(/^([0-9a-f]{16})\s+\S+\s+(R_AARCH64_\w+)/gm)].map((m) => [m[1], m[2]]);
    return { entries, addendAt: (i: number) => Number.parseInt(section[1]!, 16) + i * 24 + 16 };
  };

  it('identical: every relocated field readelf lists, the table\'s pointers taken from .rela.dyn', async () => {
    const linked = linkShared();
    const { status, report } = await verifyJson(object, linked);
    expect([status, report.findings]).toEqual([0, []]);
    expect(report.objects[0]!.relocatedFields).toBe(readelfRelocations(object).total);
    const table = report.objects[0]!.sections.find((s) => s.name === '.rodata')!;
    const start = BigInt(table.address!);
    expect(dynamic(linked).entries).toEqual([
      [start.toString(16), 'R_AARCH64_RELATIVE'],
      [(start + 8n).toString(16), 'R_AARCH64_RELATIVE'],
    ]);
  });

  it('an addend of .rela.dyn changed after the link: the pointer of relink_table it writes at boot', async () => {
    const copy = join(scratch, 'aarch64-shared-changed.out');
    copyFileSync(linkShared(), copy);
    const bytes = readFileSync(copy);
    const at = dynamic(copy).addendAt(1);
    bytes.writeBigInt64LE(bytes.readBigInt64LE(at) + 4n, at);
    writeFileSync(copy, bytes);
    const { status, report } = await verifyJson(object, copy);
    expect(status).toBe(1);
    expect(report.findings.map((f) => [f.id, f.symbol, (f.evidence[0] as { section?: string; offset?: string }).section, (f.evidence[0] as { offset?: string }).offset])).toEqual([
      ['certified-bytes-changed', 'relink_table', '.rodata', '0x8'],
    ]);
  });
});
