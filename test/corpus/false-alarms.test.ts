import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtTree, debianKernel, debianModule, debianSymvers, debianVmlinux } from '../support/corpus.js';
import { checkJson, runCli } from '../support/run.js';
import { readFrozenObject } from '../../src/object/read.js';

/**
 * False alarms and misses on real Debian bytes (issue 9), each pinned to what the kernels'
 * sources say is true.
 */

describe("BTF ids of a module's own kfuncs: 6.1.170 nf_conntrack.ko", () => {
  const NF_CONNTRACK = () => debianModule('6.1.170', 'net/netfilter/nf_conntrack.ko');
  const KFUNCS = ['bpf_ct_change_status', 'bpf_ct_change_timeout', 'bpf_ct_insert_entry', 'bpf_ct_release', 'bpf_ct_set_status', 'bpf_ct_set_timeout', 'bpf_skb_ct_alloc', 'bpf_skb_ct_lookup', 'bpf_xdp_ct_alloc', 'bpf_xdp_ct_lookup'];

  it('names ten functions in .BTF_ids that it defines itself (nm: T), and two structs of vmlinux', () => {
    const obj = readFrozenObject(NF_CONNTRACK());
    const ids = obj.conventions.btfIds;
    expect(ids.filter((id) => id.kind === 'func').map((id) => id.name).sort()).toEqual(KFUNCS);
    for (const name of KFUNCS) expect(obj.definitions.get(name)).toMatchObject({ kind: 'function', binding: 'global', section: '.text' });
    expect(ids.filter((id) => id.kind !== 'func').map((id) => `${id.kind} ${id.name} = ${id.id}`)).toEqual(['struct nf_conn = 58450', 'struct nf_conn___init = 98203']);
  });

  it.each([
    ['6.1.192', '[39635]', '[77422]'],
    ['6.12.117', '[96168]', '[97697]'],
  ])('against %s: no finding for its own kfuncs (12 before, 10 of them its own); the two vmlinux structs it would load renumbered remain', async (version, nfConn, nfConnInit) => {
    // The BTF-id check reads .BTF_ids and vmlinux BTF whatever the type source; without the
    // interface comparison (nf_conntrack imports ~700 symbols) the test takes a second.
    const { report } = await checkJson([NF_CONNTRACK(), '--kernel', debianKernel(version), '--type-source', 'none']);
    // One finding (renumbered), the two ids its sites.
    const unresolved = report.findings.filter((f) => f.id === 'btf-id-unresolved');
    expect(unresolved).toHaveLength(1);
    expect(unresolved[0]!.sites.map((s) => [s.symbol, s.detail!.replace(/;.*/, '')])).toEqual([
      ['__BTF_ID__struct__nf_conn__750189', `struct nf_conn: [58450] → ${nfConn}`],
      ['__BTF_ID__struct__nf_conn___init__751190', `struct nf_conn___init: [98203] → ${nfConnInit}`],
    ]);
  });
});

describe('rename candidates ranked by prototype: 6.1.170 lrw.ko against 6.12.117', async () => {
  const { report } = await checkJson([debianModule('6.1.170', 'crypto/lrw.ko'), '--kernel', debianKernel('6.12.117')]);
  const undefinedSymbol = (name: string) => report.findings.find((f) => f.id === 'undefined-symbol' && f.symbol === name)!;

  it('strscpy: sized_strscpy (the function the 6.12 strscpy macro calls, same prototype) first, nla_strscpy and ucs2_strscpy after', () => {
    const f = undefinedSymbol('strscpy');
    expect(f.candidates).toEqual([
      { name: 'sized_strscpy', score: 0.933, reason: 'adds the prefix sized_; same prototype ssize_t (char *, const char *, size_t)' },
      { name: 'nla_strscpy', score: 0.842, reason: 'adds the prefix nla_; but its prototype differs: parameter 2 is const struct nlattr *, not const char *' },
      { name: 'ucs2_strscpy', score: 0.805, reason: 'adds the prefix ucs2_; but its prototype differs: parameter 1 is ucs2_char_t *, not char *' },
    ]);
    expect(f.after).toBe('not found; probably renamed to sized_strscpy');
  });

  it('kmalloc_trace: __kmalloc_cache_noprof, the one export with its prototype (kmalloc_trace became kmalloc_trace_noprof, then __kmalloc_cache_noprof)', () => {
    const f = undefinedSymbol('kmalloc_trace');
    expect(f.candidates).toEqual([{ name: '__kmalloc_cache_noprof', score: 0.694, reason: 'shares 1 of 2 name parts; same prototype void *(struct kmem_cache *, gfp_t, size_t)' }]);
    expect(f.after).toBe('not found; closest name __kmalloc_cache_noprof');
  });
});

describe('a vmlinux of one release with a Module.symvers or .config of another is an input error naming both', () => {
  const jitter = () => debianModule('6.1.170', 'crypto/jitterentropy_rng.ko');
  const config = (version: string, abi: string) => join(debianKernel(version), 'usr', 'src', `linux-headers-${abi}`, '.config');
  const ONE_KERNEL = 'give the vmlinux, Module.symvers and .config of one kernel build';

  it('Debian 6.1.192 with the Module.symvers of 6.12.117', async () => {
    const r = await runCli(['check', jitter(), '--kernel', debianKernel('6.1.192'), '--symvers', debianSymvers('6.12.117')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      `relinkable: error: ${debianSymvers('6.12.117')}: belongs to kernel 6.12.117+deb12-amd64 (its directory linux-headers-6.12.117+deb12-amd64), but ${debianVmlinux('6.1.192')} is 6.1.0-56-amd64 (Debian 6.1.192-2): ${ONE_KERNEL}\n`,
    );
  });

  it('Debian 6.1.192 with the .config of 6.1.170 (the same ABI series, another build)', async () => {
    const r = await runCli(['check', jitter(), '--kernel', debianKernel('6.1.192'), '--config', config('6.1.170', '6.1.0-47-amd64')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`relinkable: error: ${config('6.1.170', '6.1.0-47-amd64')}: belongs to kernel 6.1.170 (its header), but ${debianVmlinux('6.1.192')} is 6.1.0-56-amd64 (Debian 6.1.192-2): ${ONE_KERNEL}\n`);
  });

  it("the vmlinux of 6.12.117 with 6.1.192's Module.symvers, given file by file", async () => {
    const r = await runCli(['check', jitter(), '--vmlinux', debianVmlinux('6.12.117'), '--symvers', debianSymvers('6.1.192')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      `relinkable: error: ${debianSymvers('6.1.192')}: belongs to kernel 6.1.0-56-amd64 (its directory linux-headers-6.1.0-56-amd64), but ${debianVmlinux('6.12.117')} is 6.12.117+deb12-amd64 (Debian 6.12.117-1~deb12u1): ${ONE_KERNEL}\n`,
    );
  });

  it("a build directory's vmlinux with another tree's Module.symvers (its include/config/kernel.release says 6.1.170)", async () => {
    const frozen = join(builtTree('6.1.170'), 'crypto', 'jitterentropy-kcapi.o');
    const symvers = join(builtTree('6.1.170'), 'Module.symvers');
    const r = await runCli(['check', frozen, '--kernel', builtTree('6.1.192'), '--symvers', symvers]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      `relinkable: error: ${symvers}: belongs to kernel 6.1.170 (${join(builtTree('6.1.170'), 'include', 'config', 'kernel.release')}), but ${join(builtTree('6.1.192'), 'vmlinux')} is 6.1.192: ${ONE_KERNEL}\n`,
    );
  });

  it('the parts of one kernel pass: Debian 6.1.192 and 6.12.117, and the 6.1.192 build directory', async () => {
    for (const kernel of [debianKernel('6.1.192'), debianKernel('6.12.117')]) expect((await checkJson([jitter(), '--kernel', kernel])).report.kernel.config).not.toBeNull();
    const frozen = join(builtTree('6.1.170'), 'crypto', 'jitterentropy-kcapi.o');
    expect((await checkJson([frozen, '--kernel', builtTree('6.1.192')])).report.kernel.release).toBe('6.1.192');
  });
});

describe('6.1.170 crypto modules relinked against 6.1.192 (same stable series): what a maintainer would call false alarms', () => {
  const crypto = (name: string) => debianModule('6.1.170', `crypto/${name}.ko`);
  const relinked = async (name: string) => (await checkJson([crypto(name), '--kernel', debianKernel('6.1.192'), '--relink'])).report;

  it('af_alg.ko exports what the new kernel\'s af_alg module exports: the module it replaces, not a duplicate (18 findings before)', async () => {
    const report = await relinked('af_alg');
    expect(report.frozen[0]!.replaces.found).toBe(false); // 6.1.192's af_alg.ko is not in the corpus: only Module.symvers names it
    expect(report.findings.filter((f) => f.id === 'duplicate-definition')).toEqual([]);
  });

  it('aegis128.ko calls memset, an assembler function: no prototype change against pahole\'s void (void) or the GNU as unit', async () => {
    const report = await relinked('aegis128');
    expect(report.findings.filter((f) => f.id === 'prototype-changed')).toEqual([]);
    expect(report.coverage.functions.notCompared).toContainEqual({ object: report.frozen[0]!.path, name: 'memset', why: 'not found in vmlinux BTF or vmlinux DWARF' });
  });

  it('algif_aead.ko: struct sock moved sk_timer into an anonymous union at the same offset and added a member in padding: no layout change', async () => {
    const report = await relinked('algif_aead');
    expect(report.findings.filter((f) => f.id === 'layout-changed' && f.symbol === 'struct sock')).toEqual([]);
    expect(report.findings.filter((f) => f.severity === 'link' || f.severity === 'runtime')).toEqual([]);
  });

  it('struct task_struct reached through current_task: its bitfields moved, which aegis128 may never read — for a human, not a run-time break', async () => {
    const report = await relinked('aegis128');
    const task = report.findings.find((f) => f.id === 'layout-changed' && f.symbol === 'struct task_struct')!;
    expect([task.severity, task.rank]).toEqual(['review', 2]);
    expect(task.message).toMatch(/^struct task_struct changed: in_execve: offset 2344:1 → 2344:2; .*\(one pointer away from what the frozen object owns or calls: it breaks if the object reads a member that moved\)$/);
  });
});

describe('crypto_user.ko relinked against 6.1.192: enum skb_drop_reason grew a reason before its count', () => {
  it('SKB_DROP_REASON_MAX 65 → 66 alone is for a human, not a run-time break', async () => {
    const { report } = await checkJson([debianModule('6.1.170', 'crypto/crypto_user.ko'), '--kernel', debianKernel('6.1.192'), '--relink']);
    const e = report.findings.find((f) => f.id === 'enum-changed' && f.symbol === 'enum skb_drop_reason')!;
    expect([e.severity, e.message]).toEqual(['review', 'enum skb_drop_reason: SKB_DROP_REASON_MAX = 65 → 66; the frozen object uses the old values as constants']);
    expect(report.findings.filter((f) => f.severity === 'link' || f.severity === 'runtime')).toEqual([]);
  });
});

describe('outside crypto, relinked against 6.1.192: nf_conntrack.ko and kvm.ko', () => {
  const relinked = async (path: string) => (await checkJson([debianModule('6.1.170', path), '--kernel', debianKernel('6.1.192'), '--relink'])).report;
  const severe = (r: Awaited<ReturnType<typeof relinked>>) => r.findings.filter((f) => f.severity === 'link' || f.severity === 'runtime').map((f) => `${f.severity} ${f.id} ${f.symbol}`);

  it('nf_conntrack: only struct nf_hook_ops, owned storage 40 → 56 bytes, is a run-time break', async () => {
    const r = await relinked('net/netfilter/nf_conntrack.ko');
    expect(severe(r)).toEqual(['runtime layout-changed struct nf_hook_ops']);
    // init_net is met through its address: struct net's moved members are for a human.
    expect(r.findings.find((f) => f.id === 'variable-type-changed' && f.symbol === 'init_net')?.severity).toBe('review');
    // extern const int sysctl_vals[] against the kernel's 12 elements: no change.
    expect(r.findings.filter((f) => f.symbol === 'sysctl_vals')).toEqual([]);
    // Relinked, resolve_btfids fills the ids in again: struct nf_conn renumbered is no finding.
    expect(r.findings.filter((f) => f.id === 'btf-id-unresolved')).toEqual([]);
  });

  it('kvm: struct kvm_x86_ops (owned, a member removed) and enum cpuhp_state (a state removed) are real; enum x86_intercept_stage, only declared in 6.1.192, is for a human', async () => {
    const r = await relinked('arch/x86/kvm/kvm.ko');
    expect(severe(r)).toEqual(['runtime layout-changed struct kvm_x86_ops', 'runtime enum-changed enum cpuhp_state']);
    expect(r.findings.find((f) => f.id === 'enum-changed' && f.symbol === 'enum x86_intercept_stage')?.severity).toBe('review');
  });
});
