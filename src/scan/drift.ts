import { BtfInterface } from '../btf/btf-interface.js';
import type { NewKernel } from '../kernel/kernel.js';
import { callLayout, compareCalls } from '../model/abi.js';
import { ClosureComparison, type PairCache, type Root } from '../model/compare.js';

/**
 * What a frozen object could feel between two consecutive releases of a series, from the
 * kernels alone (the evidence for a "stable-ish ABI" within an LTS series): exports removed,
 * exported functions whose calls are laid out differently (model/abi.ts: registers, stack
 * slots, widths), named structs and unions reachable from the exported functions whose
 * layout changed (model/compare.ts, the closure every check compares, up to its pointer
 * depth), and build-primitive options of .config that changed.
 */

export interface Drift {
  readonly from: string;
  readonly to: string;
  readonly exports: { readonly before: number; readonly after: number; readonly removed: readonly string[]; readonly crcChanged: number };
  /** Exported functions both kernels' BTF describe, those whose call layout differs, and those left out because BTF has several functions of that name. */
  readonly prototypes: { readonly compared: number; readonly changed: readonly string[]; readonly ambiguous: number };
  /** Named aggregates reachable from the exported functions whose layout changed. */
  readonly layouts: readonly string[];
  /** Build-primitive options whose value changed ("CONFIG_X86_KERNEL_IBT: n → y"). */
  readonly primitives: readonly string[];
}

/**
 * The .config options behind the build primitives of signatures/ and docs/primitives (the
 * conventions every object linked into a kernel must share). Old and new names both: an
 * option renamed between releases shows as one off and one on.
 */
const PRIMITIVE_OPTIONS = [
  'X86_KERNEL_IBT', 'CALL_PADDING', 'FUNCTION_ALIGNMENT', 'FUNCTION_PADDING_BYTES', 'RETPOLINE', 'MITIGATION_RETPOLINE', 'RETHUNK', 'MITIGATION_RETHUNK',
  'CALL_DEPTH_TRACKING', 'MITIGATION_CALL_DEPTH_TRACKING', 'SLS', 'MITIGATION_SLS', 'CPU_SRSO', 'MITIGATION_SRSO', 'CPU_UNRET_ENTRY', 'MITIGATION_UNRET_ENTRY',
  'STACKPROTECTOR', 'STACKPROTECTOR_STRONG', 'CFI_CLANG', 'FINEIBT', 'UNWINDER_ORC', 'FUNCTION_TRACER', 'DYNAMIC_FTRACE', 'DYNAMIC_FTRACE_WITH_REGS',
  'DYNAMIC_FTRACE_WITH_ARGS', 'DYNAMIC_FTRACE_WITH_DIRECT_CALLS', 'MODVERSIONS', 'MODULE_SIG', 'MODULE_SIG_FORCE', 'DEBUG_INFO_BTF_MODULES',
  'KASAN', 'UBSAN', 'KCOV', 'GCOV_KERNEL', 'PAGE_TABLE_ISOLATION', 'MITIGATION_PAGE_TABLE_ISOLATION', 'X86_USER_SHADOW_STACK', 'GCC_PLUGIN_STACKLEAK',
  'CC_VERSION_TEXT', 'GCC_VERSION',
];

export function kernelDrift(a: NewKernel, b: NewKernel): Drift {
  const ea = a.exports().map;
  const eb = b.exports().map;
  const removed: string[] = [];
  let crcChanged = 0;
  const common: string[] = [];
  for (const name of ea.names()) {
    const e = ea.get(name)!;
    const f = eb.get(name);
    if (!f) removed.push(e.name);
    else {
      common.push(e.name);
      if (e.crc !== undefined && f.crc !== undefined && e.crc !== f.crc) crcChanged++;
    }
  }
  const ga = a.btf();
  const gb = b.btf();
  const changed: string[] = [];
  const roots: Root[] = [];
  let compared = 0;
  let ambiguous = 0;
  if (ga && gb) {
    const sa = new BtfInterface(ga);
    const sb = new BtfInterface(gb);
    for (const name of common.sort()) {
      // Static functions of other units may share an export's name: BTF cannot tell which is the export's then.
      if (ga.functionsByName(name).length > 1 || gb.functionsByName(name).length > 1) {
        ambiguous++;
        continue;
      }
      const fa = sa.functionNamed(name);
      const fb = sb.functionNamed(name);
      if (!fa || !fb) continue;
      compared++;
      const la = callLayout(ga, fa.type, a.machine);
      const lb = callLayout(gb, fb.type, b.machine);
      if (la && lb && compareCalls(la, lb).length > 0) changed.push(name);
      roots.push({ label: name, before: fa.type, after: fb.type, owned: false });
    }
  }
  const cache: PairCache = new Map();
  const deltas = ga && gb ? new ClosureComparison(ga, gb, cache).run(roots) : [];
  const layouts = [...new Set(deltas.filter((d) => /^(struct|union) [A-Za-z_]\w*$/.test(d.name)).map((d) => d.name))].sort();
  const ca = a.config();
  const cb = b.config();
  const primitives: string[] = [];
  for (const option of PRIMITIVE_OPTIONS) {
    const va = ca?.get(option);
    const vb = cb?.get(option);
    if (va !== vb) primitives.push(`CONFIG_${option}: ${va ?? '?'} → ${vb ?? '?'}`);
  }
  return {
    from: a.release() ?? a.artifacts.vmlinux,
    to: b.release() ?? b.artifacts.vmlinux,
    exports: { before: ea.size, after: eb.size, removed: removed.sort(), crcChanged },
    prototypes: { compared, changed, ambiguous },
    layouts,
    primitives,
  };
}

const few = (xs: readonly string[], n = 4) => (xs.length === 0 ? '0' : `${xs.length}: ${xs.slice(0, n).join(', ')}${xs.length > n ? ', …' : ''}`);

export function renderDriftMarkdown(rows: readonly Drift[]): string {
  const lines = [
    '| from → to | exports | removed | CRCs changed | exported prototypes changed (machine level) | layouts changed, reachable from exports | build-primitive options changed |',
    '| --- | ---: | --- | ---: | --- | --- | --- |',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.from} → ${r.to} | ${r.exports.before} → ${r.exports.after} | ${few(r.exports.removed)} | ${r.exports.crcChanged} | ${few(r.prototypes.changed)} of ${r.prototypes.compared}${r.prototypes.ambiguous ? ` (${r.prototypes.ambiguous} names BTF has several functions of, left out)` : ''} | ${few(r.layouts)} | ${r.primitives.length ? r.primitives.join('; ') : 'none'} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
