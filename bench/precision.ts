// npm run precision: the gate's precision table (docs/accuracy.md). Every 6.1.170 crypto module
// of the corpus (kernel/crypto and kernel/arch/x86/crypto) checked against Debian 6.1.192 (the
// next release of its stable series) and 6.12.117 (the next major), as is and relinked:
// verdict counts, finding counts by id and severity, and every link- and runtime-severity
// finding against 6.1.192 with its message, for a human to judge. Writes a JSON file of every
// run and prints the Markdown tables.
import { readdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { analyze } from '../src/run/analyze.js';
import { buildReport, type Report } from '../src/report/report.js';
import { SEVERITIES, type Severity } from '../src/findings/index.js';
import type { FrozenUse } from '../src/facts/relink.js';

const CACHE = process.env.RELINKABLE_CACHE ?? join(homedir(), '.cache', 'relinkable');
const MODULES = join(CACHE, 'corpus', '6.1.170', 'usr/lib/debug/lib/modules/6.1.0-47-amd64/kernel');
const KERNELS = ['6.1.192', '6.12.117'];
const USES: FrozenUse[] = ['as-is', 'relinked'];
const out = process.argv[2] ?? join(CACHE, 'precision.json');

const modules = ['crypto', 'arch/x86/crypto'].flatMap((dir) =>
  readdirSync(join(MODULES, dir))
    .filter((f) => f.endsWith('.ko'))
    .sort()
    .map((f) => join(MODULES, dir, f)),
);

interface Run {
  readonly module: string;
  readonly kernel: string;
  readonly use: FrozenUse;
  readonly report: Report;
}

const started = Date.now();
// One check at a time per kernel and use: each reads the same few files, the OS caches them.
const limit = pLimit(1);
const runs: Run[] = await Promise.all(
  KERNELS.flatMap((kernel) =>
    USES.flatMap((use) =>
      modules.map((m) =>
        limit(async () => {
          const record = await analyze([m], { kernel: join(CACHE, 'corpus', kernel), use });
          return { module: m.slice(MODULES.length + 1), kernel, use, report: buildReport(record, 'precision') };
        }),
      ),
    ),
  ),
);
writeFileSync(out, JSON.stringify(runs.map((r) => ({ module: r.module, kernel: r.kernel, use: r.use, verdict: r.report.verdict, findings: r.report.findings.map((f) => ({ id: f.id, severity: f.severity, symbol: f.symbol, message: f.message })) })), null, 1));

const lines: string[] = [];
lines.push(`${modules.length} modules of 6.1.170 × ${KERNELS.length} kernels × ${USES.length} uses, ${((Date.now() - started) / 1000).toFixed(0)} s`, '');
lines.push('| against | use | relinkable | at risk | will not link | ' + SEVERITIES.join(' | ') + ' |');
lines.push('| --- | --- | ---: | ---: | ---: | ' + SEVERITIES.map(() => '---:').join(' | ') + ' |');
for (const kernel of KERNELS) {
  for (const use of USES) {
    const sel = runs.filter((r) => r.kernel === kernel && r.use === use);
    const verdicts = (v: string) => sel.filter((r) => r.report.verdict === v).length;
    const sev = (s: Severity) => sel.reduce((n, r) => n + r.report.summary[s], 0);
    lines.push(`| ${kernel} | ${use} | ${verdicts('relinkable')} | ${verdicts('at-risk')} | ${verdicts('will-not-link')} | ${SEVERITIES.map(sev).join(' | ')} |`);
  }
}
lines.push('', 'Findings by id and severity (modules with the finding / findings):', '');
for (const kernel of KERNELS) {
  for (const use of USES) {
    const sel = runs.filter((r) => r.kernel === kernel && r.use === use);
    const counts = new Map<string, { modules: Set<string>; n: number }>();
    for (const r of sel) {
      for (const f of r.report.findings) {
        const key = `${f.severity} ${f.id}`;
        const c = counts.get(key) ?? { modules: new Set(), n: 0 };
        c.modules.add(r.module);
        c.n++;
        counts.set(key, c);
      }
    }
    lines.push(`- ${kernel}, ${use}: ${[...counts].sort().map(([k, c]) => `${k} ${c.modules.size}/${c.n}`).join('; ') || 'none'}`);
  }
}
lines.push('', 'Link and runtime findings against 6.1.192:', '');
for (const r of runs.filter((r) => r.kernel === '6.1.192')) {
  for (const f of r.report.findings.filter((f) => f.severity === 'link' || f.severity === 'runtime')) {
    lines.push(`- ${r.use} ${r.module}: ${f.severity} ${f.id}${f.symbol ? ` ${f.symbol}` : ''}: ${f.message.slice(0, 240)}`);
  }
}
console.log(lines.join('\n'));
