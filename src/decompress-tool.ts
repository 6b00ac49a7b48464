import { spawn, spawnSync } from 'node:child_process';

/**
 * Decompression through the system's own tools: Node 20's zlib has neither xz nor zstd, and
 * the JavaScript zstd decoder we tried (fzstd) shifts its whole window for every block, so a
 * 4 KB section declaring 131 MB took 12.5 s, a 12 MB kernel image 13.2 s; the zstd tool (the
 * reference decoder) takes milliseconds and checks what fzstd did not (content size, checksum).
 * xz-utils is Priority: required on Debian and dpkg-deb itself reads xz and zstd.
 *
 * Callers word the error: they know the file and what the stream was.
 */

export type ToolCompression = 'xz' | 'zstd' | 'lz4';

const TOOLS: Record<ToolCompression, { command: string; args: string[]; package: string }> = {
  // --single-stream: the stream alone, without trailing padding.
  xz: { command: 'xz', args: ['-dc', '--single-stream'], package: 'xz-utils' },
  zstd: { command: 'zstd', args: ['-dc', '-q'], package: 'zstd' },
  lz4: { command: 'lz4', args: ['-dc', '-q'], package: 'lz4' },
};

export type ToolOutcome =
  | { readonly ok: true; readonly bytes: Buffer }
  /** `missing`: the tool is not installed; `too-long`: the output passed maxOutput; `refused`: the tool's own first line. */
  | { readonly ok: false; readonly problem: 'missing' | 'too-long' | 'refused'; readonly said: string };

/** What to tell the user when the tool itself is missing. */
export function missingTool(kind: ToolCompression): string {
  return `the ${TOOLS[kind].command} tool is needed to read it (Debian package ${TOOLS[kind].package})`;
}

const firstLine = (text: string) => text.trim().split('\n')[0] ?? '';

/** Decompresses `stream`; more than `maxOutput` bytes out stops the tool (spawnSync kills past maxBuffer). `extraArgs` go before the input (e.g. zstd's --memory). */
export function decompressWithTool(kind: ToolCompression, stream: Buffer, maxOutput: number, extraArgs: readonly string[] = []): ToolOutcome {
  const tool = TOOLS[kind];
  const run = spawnSync(tool.command, [...tool.args, ...extraArgs], { input: stream, maxBuffer: maxOutput, stdio: ['pipe', 'pipe', 'pipe'] });
  const err = run.error as NodeJS.ErrnoException | undefined;
  if (err?.code === 'ENOENT') return { ok: false, problem: 'missing', said: missingTool(kind) };
  if (err?.code === 'ENOBUFS') return { ok: false, problem: 'too-long', said: '' };
  if (err) return { ok: false, problem: 'refused', said: `${tool.command} failed: ${err.message}` };
  if (run.status !== 0) return { ok: false, problem: 'refused', said: `${tool.command}: ${firstLine(run.stderr.toString('utf8')) || `exit ${run.status}`}` };
  return { ok: true, bytes: run.stdout };
}

/** The same without blocking the event loop: the scan unpacks packages while it checks. */
export function decompressWithToolAsync(kind: ToolCompression, stream: Buffer, maxOutput: number): Promise<ToolOutcome> {
  const tool = TOOLS[kind];
  return new Promise((resolve) => {
    const child = spawn(tool.command, tool.args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let size = 0;
    let said = '';
    let settled = false;
    const settle = (outcome: ToolOutcome) => {
      if (!settled) resolve(outcome);
      settled = true;
    };
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxOutput) {
        child.kill();
        settle({ ok: false, problem: 'too-long', said: '' });
      } else out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => (said += chunk.toString('utf8')));
    child.on('error', (err: NodeJS.ErrnoException) =>
      settle(err.code === 'ENOENT' ? { ok: false, problem: 'missing', said: missingTool(kind) } : { ok: false, problem: 'refused', said: `${tool.command} failed: ${err.message}` }),
    );
    child.on('close', (status) =>
      settle(status === 0 ? { ok: true, bytes: Buffer.concat(out) } : { ok: false, problem: 'refused', said: `${tool.command}: ${firstLine(said) || `exit ${status}`}` }),
    );
    // A tool that exits early closes its stdin: that is its error to report, not ours.
    child.stdin.on('error', () => undefined);
    child.stdin.end(stream);
  });
}
