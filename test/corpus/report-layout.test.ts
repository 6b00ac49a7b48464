import { describe, expect, it } from 'vitest';
import { debianKernel, debianModule, debianSymvers, debianVmlinux } from '../support/corpus.js';
import { checkJson, runCli } from '../support/run.js';

/** The report a person reads (issue 9): the decisive fact first, one finding per root cause with its sites, each input named once. */

const JITTER_61 = () => debianModule('6.1.170', 'crypto/jitterentropy_rng.ko');
const AF_ALG_61 = () => debianModule('6.1.170', 'crypto/af_alg.ko');
const NF_CONNTRACK_61 = () => debianModule('6.1.170', 'net/netfilter/nf_conntrack.ko');

describe('Debian 6.1.170 jitterentropy_rng.ko against 6.12.117, which builds it in', async () => {
  const args = [JITTER_61(), '--kernel', debianKernel('6.12.117')];
  const { report } = await checkJson(args);
  const text = (await runCli(['check', ...args, '--no-color'])).stdout.split('\n');

  it('the first finding is module-now-builtin, marked decisive, although it is of run-time severity', () => {
    expect(report.findings[0]).toMatchObject({ id: 'module-now-builtin', severity: 'runtime', decisive: true, symbol: 'jitterentropy_rng' });
    expect(report.findings.filter((f) => f.decisive)).toHaveLength(1);
    // The rest stay sorted by severity.
    expect(report.findings[1]!.severity).toBe('link');
  });

  it('the text report opens with it, under the verdict, and its severity section points back to it', () => {
    expect(text.slice(0, 5)).toEqual([
      'relinkable 0.1.0: WILL NOT LINK',
      '',
      'DECISIVE (1)',
      '  module-now-builtin  jitterentropy_rng',
      '    the new kernel builds kernel/crypto/jitterentropy_rng.ko into vmlinux: the frozen module would load beside the built-in copy (registrations collide), it cannot replace it',
    ]);
    expect(text).toContain('    new kernel: usr/lib/debug/lib/modules/6.12.117+deb12-amd64/modules.builtin line 44 (kernel/crypto/jitterentropy_rng.ko)');
    const runtime = text.indexOf('LINKS, THEN BREAKS AT RUN TIME (11)');
    expect(text.slice(runtime + 1)).toContain('  module-now-builtin  jitterentropy_rng  (shown first, above)');
    expect(text.filter((l) => l.startsWith('  module-now-builtin'))).toHaveLength(2);
  });
});

describe('Debian 6.1.170 af_alg.ko relinked against 6.1.192: one finding per root cause, its sites beneath it', async () => {
  const args = [AF_ALG_61(), '--kernel', debianKernel('6.1.192'), '--type-source', 'btf', '--relink'];
  const { report } = await checkJson(args);
  const text = (await runCli(['check', ...args, '--no-color'])).stdout;
  const shape = report.findings.map((f) => `${f.severity} ${f.id} ${f.symbol ?? '-'} ${f.sites.length}`);

  it('25 findings where format 4 had 57 (39 CRCs in 7, each changed struct with every root it is reached from)', () => {
    expect(shape).toEqual([
      'review layout-changed struct net 26',
      'review layout-changed struct netns_mpls 26',
      'review layout-changed struct task_struct 17',
      'review layout-changed struct xfrm_policy_hthresh 26',
      'review layout-changed struct backing_dev_info 1',
      'review layout-changed struct bdi_writeback 2',
      'review layout-changed struct device 18',
      'review layout-changed struct key 12',
      'review layout-changed struct key_tag 12',
      'review layout-changed struct keyring_index_key 12',
      'review layout-changed struct lru_gen_mm_state 11',
      'review layout-changed struct lru_gen_struct 11',
      'review layout-changed struct mem_cgroup_per_node 11',
      'review layout-changed struct mm_struct 20',
      'review layout-changed struct net_device 12',
      'review layout-changed struct psi_group 10',
      'review layout-changed struct user_struct 20',
      'review modversions-crc-changed kmalloc_caches 1',
      'review replacement-not-found - 0',
      'info modversions-crc-changed - 5',
      'info modversions-crc-changed struct mm_struct 4',
      'info modversions-crc-changed struct net 2',
      'info modversions-crc-changed struct sock 22',
      'info modversions-crc-changed struct task_struct 1',
      'info modversions-crc-changed struct user_struct 4',
    ]);
    expect(report.summary).toEqual({ link: 0, runtime: 0, warning: 0, review: 19, info: 6 });
    // Every CRC that changed is a site of exactly one finding: 39 of them.
    const crcs = report.findings.filter((f) => f.id === 'modversions-crc-changed').flatMap((f) => f.sites.map((s) => s.symbol));
    expect(crcs).toHaveLength(39);
    expect(new Set(crcs).size).toBe(39);
  });

  it('struct sock under 22 imports: one CRC finding that says which feel it, each import with its CRCs and evidence', () => {
    const sock = report.findings.find((f) => f.id === 'modversions-crc-changed' && f.symbol === 'struct sock')!;
    expect(sock.message).toBe(
      "the kernel's own checksums for 22 imports changed; relinked, modpost writes the new ones: explained by struct sock (mptcp_retransmit_timer added at 408, +1 more): a caller can feel it through 9 of them, for the other 13 it is deeper in the closure",
    );
    const lock = sock.sites.find((s) => s.symbol === 'lock_sock_nested')!;
    expect(lock.detail).toBe('0x5bc4900f → 0x645c2937; a caller feels it');
    expect(lock.evidence).toEqual([
      { label: 'frozen module', file: AF_ALG_61(), section: '__versions', symbol: 'lock_sock_nested', detail: 'CRC 0x5bc4900f' },
      { label: 'new kernel export', file: debianSymvers('6.1.192'), location: expect.stringMatching(/^line \d+$/), symbol: 'lock_sock_nested', detail: 'EXPORT_SYMBOL from vmlinux, CRC 0x645c2937' },
    ]);
    expect([sock.before, sock.after]).toEqual([null, null]);
  });

  it('struct net: one finding, the 26 functions and variables it is reached from beneath it, most direct first', () => {
    const net = report.findings.find((f) => f.id === 'layout-changed' && f.symbol === 'struct net')!;
    expect(net.sites.slice(0, 3).map((s) => [s.symbol, s.detail])).toEqual([
      ['sk_alloc', '(param 1) ->'],
      ['alg_family', 'create -> (param 1) ->'],
      ['lock_sock_nested', '(param 1) -> __sk_common.skc_net.net ->'],
    ]);
    expect(net.evidence.map((e) => e.label)).toEqual(['frozen object', 'new kernel']);
  });

  it('the text report: 205 lines where format 4 printed 413, three sites with their way and the rest named beneath each finding', () => {
    expect(text.split('\n')).toHaveLength(206);
    expect(text).toContain(
      '  layout-changed  struct net  (26 sites)\n',
    );
    expect(text).toContain(
      '    at sk_alloc: (param 1) ->\n    at alg_family: create -> (param 1) ->\n    at lock_sock_nested: (param 1) -> __sk_common.skc_net.net ->\n    and 23 more: release_sock, security_sk_clone, security_sock_graft, sk_free, sock_init_data, sock_kfree_s, sock_kmalloc, sock_kzfree_s, alg_proto, alg_proto_ops, current_task, sock_no_connect and 11 more (--format json has each with its evidence)\n',
    );
    expect(text).toContain('  modversions-crc-changed  struct sock  (22 sites)\n');
  });

  it('the text report names each input once, in its header, and short below it; the JSON keeps the paths whole', () => {
    const lines = text.split('\n');
    const header = lines.findIndex((l) => l.startsWith('catalogue '));
    expect(lines.slice(0, header).filter((l) => l.includes(AF_ALG_61()))).toHaveLength(1);
    expect(lines).toContain(`kernel  ${debianKernel('6.1.192')}  debian, release 6.1.0-56-amd64`);
    expect(lines).toContain('        vmlinux         usr/lib/debug/boot/vmlinux-6.1.0-56-amd64');
    expect(lines).toContain('        Module.symvers  usr/src/linux-headers-6.1.0-56-amd64/Module.symvers');
    // Below the header no path is absolute: the object is af_alg.ko, the kernel's files their names
    // (the four struct changes one pointer away show their evidence; the deeper ones one line).
    expect(lines.slice(header).filter((l) => l.includes('/root/') || l.includes(debianKernel('6.1.192')) || l.includes(AF_ALG_61()))).toEqual([]);
    expect(lines.filter((l) => /^ {4}frozen object: af_alg\.ko \.debug_info DIE 0x[0-9a-f]+ in compile unit crypto\/af_alg\.c$/.test(l))).toHaveLength(4);
    expect(lines.filter((l) => /^ {4}new kernel: vmlinux BTF id \d+ \(vmlinux-6\.1\.0-56-amd64\) \(vmlinux BTF\)$/.test(l))).toHaveLength(4);
    // Nor is any finding tagged with the one frozen object.
    expect(lines.filter((l) => l.endsWith('[af_alg.ko]'))).toEqual([]);
    expect(report.findings[0]!.object).toBe(AF_ALG_61());
    expect(report.kernel.vmlinux.path).toBe(debianVmlinux('6.1.192'));
  });
});

describe('Debian 6.1.170 nf_conntrack.ko against 6.1.192 (as is): the report of issue 9', async () => {
  const args = [NF_CONNTRACK_61(), '--kernel', debianKernel('6.1.192')];
  const { report } = await checkJson(args);
  const text = (await runCli(['check', ...args, '--no-color'])).stdout;

  it('30 findings with 309 sites in 308 lines, where format 4 printed 83 findings in 655 lines', () => {
    expect(report.findings.map((f) => `${f.severity} ${f.id} ${f.symbol ?? '-'} ${f.sites.length}`)).toEqual([
      'link modversions-crc-changed - 53',
      'runtime layout-changed struct nf_hook_ops 4',
      'runtime btf-id-unresolved - 2',
      'warning split-btf-mismatch - 0',
      'review variable-type-changed init_net 0',
      'review layout-changed struct device 26',
      'review layout-changed struct key_tag 17',
      'review layout-changed struct net 31',
      'review layout-changed struct net_device 25',
      'review layout-changed struct netns_mpls 31',
      'review layout-changed struct task_struct 4',
      'review layout-changed struct xfrm_policy_hthresh 31',
      'review enum-changed enum nf_nat_manip_type 1',
      'review layout-changed struct Qdisc 11',
      'review layout-changed struct backing_dev_info 1',
      'review layout-changed struct bdi_writeback 1',
      'review layout-changed struct bpf_prog_aux 2',
      'review layout-changed struct fwnode_handle 21',
      'review layout-changed struct key 13',
      'review layout-changed struct keyring_index_key 13',
      'review layout-changed struct lru_gen_mm_state 3',
      'review layout-changed struct lru_gen_struct 3',
      'review layout-changed struct mem_cgroup_per_node 3',
      'review layout-changed struct mm_struct 4',
      'review layout-changed struct nh_grp_entry 1',
      'review layout-changed struct psi_group 2',
      'review layout-changed struct tcf_block 2',
      'review layout-changed struct user_struct 4',
      'review module-signature-rejected - 0',
      'review replacement-not-found - 0',
    ]);
    expect(report.findings.reduce((n, f) => n + f.sites.length, 0)).toBe(309);
    // (jiffies, which no unit of vmlinux defines, is compared with its declaration: no "not compared" line)
    // (one line more than before the report said which kind of kernel input it had: "input: full kernel …")
    expect(text.split('\n')).toHaveLength(309);
  });

  it('the 53 changed CRCs are one load refusal, each import saying what moved its CRC', () => {
    const crc = report.findings[0]!;
    expect(crc.message).toBe(
      "the loader refuses the module: it disagrees about version of 53 symbols (their CRCs in __versions are not the new kernel's); what moved each CRC is given with each of them",
    );
    expect(crc.sites.find((s) => s.symbol === 'nf_register_net_hooks')!.detail).toMatch(/^0x[0-9a-f]{8} → 0x[0-9a-f]{8}; a caller feels struct net \(/);
  });

  it('struct nf_hook_ops (40 → 56 bytes), owned: its two owners and the two functions it is passed to', () => {
    const ops = report.findings.find((f) => f.symbol === 'struct nf_hook_ops')!;
    expect([ops.severity, ops.rank]).toEqual(['runtime', 0]);
    expect(ops.sites.map((s) => [s.symbol, s.detail])).toEqual([
      ['ipv4_conntrack_ops', 'of this type'],
      ['ipv6_conntrack_ops', 'of this type'],
      ['nf_register_net_hooks', '(param 2) ->'],
      ['nf_unregister_net_hooks', '(param 2) ->'],
    ]);
  });

  it('the two BTF ids renumbered in the new vmlinux BTF are one finding', () => {
    const ids = report.findings.find((f) => f.id === 'btf-id-unresolved')!;
    expect(ids.message).toBe(
      '2 BTF ids of the frozen module have other numbers in the new kernel (struct nf_conn and struct nf_conn___init): the module loaded as it is refers to other types (relinking runs resolve_btfids again)',
    );
  });
});
