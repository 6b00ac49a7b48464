import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BTF_KIND, Btf, BtfTypeGraph, matchDistilledBase, readModuleBtf, relocateSplit, validateDistilledBase } from '../../src/btf/index.js';
import { ElfFile } from '../../src/elf/index.js';
import { InputError } from '../../src/errors.js';
import { ELF_FIXTURES } from '../support/paths.js';
import { bpftoolRaw, firstDifference, parseRaw, recordsOf } from './bpftool.js';
import { BtfBuilder } from './builder.js';
import { loadBtf, treeFile } from './load.js';

/**
 * .BTF.base is absent from our corpus (Debian builds 6.12 without distilled bases; pahole
 * here is 1.24), so the distilled bases are written with the builder, in the format libbpf's
 * btf__distill_base() writes, and matched against the real tree 6.12.117 vmlinux BTF.
 */

interface Distilled {
  base: Btf;
  split: Btf;
  splitBytes: Buffer;
  baseBytes: Buffer;
  ids: Record<string, number>;
}

/** A module's distilled base and split BTF; `tweak` changes what the distilled base claims. */
function module(tweak: { listHeadSize?: number; rsSize?: number; intEncoding?: number; extra?: [string, number] } = {}): Distilled {
  const d = new BtfBuilder();
  const int = d.int('int', 4, tweak.intEncoding ?? 1);
  const listHead = d.struct('list_head', tweak.listHeadSize ?? 16, []);
  const moduleFwd = d.fwd('module');
  const rs = d.struct('ratelimit_state', tweak.rsSize ?? 32, []);
  const pidType = d.enum('pid_type', 4, []);
  const perfCtx = d.enum('perf_callchain_context', 8, []); // an ENUM64 in the real base
  const dbl = d.float('double', 8);
  const extra = tweak.extra ? d.struct(tweak.extra[0], tweak.extra[1], []) : undefined;
  const baseBytes = d.build();
  const base = Btf.parse(baseBytes, 'mod.ko', undefined, { section: '.BTF.base' });
  const s = new BtfBuilder({ typeCount: base.typeCount, stringLength: base.strings.total, lookup: (name) => (name === 'list_head' ? base.nameOff(listHead) : undefined) });
  const ownerPtr = s.ptr(moduleFwd);
  const rsPtr = s.ptr(rs);
  const listArray = s.array(listHead, int, 2);
  const dev = s.struct('my_dev', 64, [
    ['list_head', listHead, 0], // a member named like a base type shares its string
    ['spare', listArray, 128],
    ['owner', ownerPtr, 384],
    ['rs', rsPtr, 448],
    ...(extra ? ([['extra', extra, 0]] as [string, number, number][]) : []),
  ]);
  const devPtr = s.ptr(dev);
  const proto = s.proto(int, [['dev', devPtr], ['pid', pidType], ['ctx', perfCtx], ['scale', dbl]]);
  s.func('my_probe', proto, 1);
  const splitBytes = s.build();
  const split = Btf.parse(splitBytes, 'mod.ko', base);
  return { base, split, splitBytes, baseBytes, ids: { int, listHead, moduleFwd, rs, pidType, perfCtx, dbl, dev, ...(extra ? { extra } : {}) } };
}

const real = (): Btf => loadBtf(treeFile('6.12.117', 'vmlinux'));

describe('matching a distilled base against the real vmlinux BTF', () => {
  it('finds every type of a well-formed distilled base, with its real id', () => {
    const vmlinux = real();
    const m = module();
    validateDistilledBase(m.base);
    const matches = matchDistilledBase(m.base, vmlinux, m.split);
    expect(matches.map((x) => [x.kind, x.name, x.status, x.embedded])).toEqual([
      ['INT', 'int', 'found', false],
      ['STRUCT', 'list_head', 'found', true],
      ['FWD', 'module', 'found', false],
      ['STRUCT', 'ratelimit_state', 'found', false],
      ['ENUM', 'pid_type', 'found', false],
      ['ENUM', 'perf_callchain_context', 'found', false],
      ['FLOAT', 'double', 'found', false],
    ]);
    for (const x of matches) {
      expect(vmlinux.name(x.realId!)).toBe(x.name);
      expect(x.sizeMatches === undefined || x.sizeMatches).toBe(true);
    }
    expect(vmlinux.kind(matches[2]!.realId!)).toBe(BTF_KIND.STRUCT); // the FWD resolves to the definition
    expect(vmlinux.kind(matches[5]!.realId!)).toBe(BTF_KIND.ENUM64);
  });

  it('says what differs: a size an embedding needs, a size that does not matter, a missing type, an encoding', () => {
    const vmlinux = real();
    const wrongList = module({ listHeadSize: 24 });
    const embedded = matchDistilledBase(wrongList.base, vmlinux, wrongList.split);
    expect(embedded[1]).toMatchObject({ name: 'list_head', status: 'size-differs', embedded: true, sizeMatches: false, candidates: vmlinux.idsNamed('list_head', BTF_KIND.STRUCT) });
    const pointedTo = module({ rsSize: 40 });
    expect(matchDistilledBase(pointedTo.base, vmlinux, pointedTo.split)[3]).toMatchObject({ name: 'ratelimit_state', status: 'found', embedded: false, sizeMatches: false });
    const missing = module({ extra: ['no_such_struct', 8] });
    expect(matchDistilledBase(missing.base, vmlinux, missing.split)[7]).toMatchObject({ name: 'no_such_struct', status: 'missing', candidates: [] });
    const unsignedInt = module({ intEncoding: 0 });
    expect(matchDistilledBase(unsignedInt.base, vmlinux, unsignedInt.split)[0]).toMatchObject({ name: 'int', status: 'missing' });
  });

  it('uses the size to choose among same-named structs, and reports a tie as ambiguous (real duplicates in vmlinux)', () => {
    const vmlinux = real();
    const [small, large] = vmlinux.idsNamed('dma_chan', BTF_KIND.STRUCT);
    const pick = (name: string, size: number) => {
      const m = module({ extra: [name, size] });
      return matchDistilledBase(m.base, vmlinux, m.split)[7]!;
    };
    expect(pick('dma_chan', 16)).toMatchObject({ status: 'found', realId: small });
    expect(pick('dma_chan', 104)).toMatchObject({ status: 'found', realId: large });
    expect(pick('dma_chan', 20)).toMatchObject({ status: 'size-differs' });
    expect(pick('perf_aux_event', 16)).toMatchObject({ status: 'ambiguous', realId: undefined });
    expect(pick('perf_aux_event', 32)).toMatchObject({ status: 'found' });
  });

  it('rejects a distilled base with kinds or anonymous types libbpf would not accept', () => {
    const b = new BtfBuilder();
    b.ptr(b.int('int', 4, 1));
    const bad = Btf.parse(b.build(), 'mod.ko', undefined, { section: '.BTF.base' });
    expect(() => validateDistilledBase(bad)).toThrow(InputError);
    expect(() => validateDistilledBase(bad)).toThrow(/^mod\.ko: type \[2\] PTR at \.BTF\.base\+0x28: a distilled base holds only/);
  });
});

describe('relocating the split BTF onto vmlinux', () => {
  const dir = mkdtempSync(join(tmpdir(), 'relinkable-distilled-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('maps base ids and names to vmlinux\'s and moves own ids and strings after it (bpftool reads the result)', () => {
    const vmlinux = real();
    const m = module();
    const relocated = relocateSplit(m.split, vmlinux);
    expect(relocated.startId).toBe(vmlinux.typeCount);
    expect(relocated.ownCount).toBe(m.split.ownCount);
    const g = new BtfTypeGraph(relocated);
    const dev = g.node(g.typeByName('struct', 'my_dev')[0]!);
    expect(dev.kind === 'struct' && dev.members.map((x) => [x.name, g.locate(x.type)])).toEqual([
      ['list_head', `BTF id ${vmlinux.idsNamed('list_head', BTF_KIND.STRUCT)[0]} (vmlinux)`],
      ['spare', `BTF id ${relocated.startId + 2} (mod.ko)`],
      ['owner', `BTF id ${relocated.startId} (mod.ko)`],
      ['rs', `BTF id ${relocated.startId + 1} (mod.ko)`],
    ]);
    const owner = g.node(relocated.startId);
    expect(owner.kind === 'pointer' && g.node(owner.target)).toMatchObject({ kind: 'struct', name: 'module', size: 1024 });
    const probe = g.node(g.functionByName('my_probe')!.type);
    expect(probe.kind === 'function' && probe.params.map((p) => g.node(p.type).kind)).toEqual(['pointer', 'enum', 'enum', 'float']);

    // The relocated bytes are valid split BTF on vmlinux for bpftool too.
    const path = join(dir, 'relocated.btf');
    writeFileSync(path, relocated.bytes);
    expect(firstDifference(recordsOf(relocated), parseRaw(bpftoolRaw(path, treeFile('6.12.117', 'vmlinux'))))).toBeUndefined();
  });

  it('fails as an InputError naming the distilled type that does not relocate', () => {
    const m = module({ listHeadSize: 24 });
    expect(() => relocateSplit(m.split, real())).toThrow(/^mod\.ko: distilled base type \[2\] STRUCT 'list_head' of size 24 at \.BTF\.base\+0x28: size-differs in .*vmlinux \(candidates: \[\d+\]\)$/);
  });

  it('readModuleBtf reads .BTF.base and .BTF from a module ELF and relocates', () => {
    const m = module();
    const basePath = join(dir, 'base.btf');
    const splitPath = join(dir, 'split.btf');
    writeFileSync(basePath, m.baseBytes);
    writeFileSync(splitPath, m.splitBytes);
    const ko = join(dir, 'mod.ko');
    execFileSync('objcopy', ['--add-section', `.BTF.base=${basePath}`, '--add-section', `.BTF=${splitPath}`, join(ELF_FIXTURES, 'x86_64.o'), ko]);
    const elf = ElfFile.open(ko);
    const read = readModuleBtf(elf, real())!;
    elf.close();
    expect(read.distilled!.ownCount).toBe(7);
    expect(read.split.base).toBe(read.distilled);
    expect(read.matches!.every((x) => x.status === 'found')).toBe(true);
    expect(read.onVmlinux!.name(read.onVmlinux!.startId + 3)).toBe('my_dev');

    const plain = ElfFile.open(treeFile('6.12.117', 'crypto/gcm.ko'));
    const direct = readModuleBtf(plain, real())!;
    plain.close();
    expect(direct.distilled).toBeUndefined();
    expect(direct.onVmlinux).toBe(direct.split);
  });
});
