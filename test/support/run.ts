import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Writable } from 'node:stream';
import { main } from '../../src/cli/main.js';
import type { Report } from '../../src/report/report.js';
import { CLI, ROOT } from './paths.js';

export interface CliResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

class Capture extends Writable {
  text = '';
  isTTY = false;
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** Runs the CLI in this process (no build needed). */
export async function runCli(args: string[]): Promise<CliResult> {
  const stdout = new Capture();
  const stderr = new Capture();
  const status = await main(args, { stdout, stderr });
  return { status, stdout: stdout.text, stderr: stderr.text };
}

export async function checkJson(args: string[]): Promise<{ status: number; report: Report }> {
  const r = await runCli(['check', ...args, '--format', 'json']);
  if (r.stderr) throw new Error(`unexpected stderr: ${r.stderr}`);
  return { status: r.status, report: JSON.parse(r.stdout) as Report };
}

/** Runs the built binary as a user would (npm test builds it first). */
export function runBinary(args: string[], env: NodeJS.ProcessEnv = {}): CliResult {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build (npm test does)`);
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** id, severity and symbol of each finding, and the symbols of its sites: the shape most assertions compare. */
export function summary(report: Report): string[] {
  return report.findings.map((f) => `${f.severity} ${f.id} ${f.symbol ?? '-'}${f.sites.length ? ` at ${f.sites.map((s) => s.symbol).join(', ')}` : ''}`);
}

/** The finding of this id that lists `symbol` among its sites (or is about it), and that site. */
export function findingAt(report: Report, id: string, symbol: string): { finding: Report['findings'][number]; site: Report['findings'][number]['sites'][number] | undefined } | undefined {
  for (const f of report.findings) {
    if (f.id !== id) continue;
    const site = f.sites.find((s) => s.symbol === symbol);
    if (site || (f.sites.length === 0 && f.symbol === symbol)) return { finding: f, site };
  }
  return undefined;
}
