import { spawnSync } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export interface LinkerVerdict {
  readonly ok: boolean;
  /** "undefined <sym>" and "multiple <sym>" lines, sorted and unique. */
  readonly errors: readonly string[];
  readonly log: string;
}

/** Collects what GNU ld says about undefined references and multiple definitions. */
export function linkerErrors(log: string): string[] {
  const out = new Set<string>();
  for (const m of log.matchAll(/undefined reference to `([^']+)'/g)) out.add(`undefined ${m[1]}`);
  for (const m of log.matchAll(/multiple definition of `([^']+)'/g)) out.add(`multiple ${m[1]}`);
  return [...out].sort();
}

/**
 * Relinks a fixture kernel's vmlinux with `frozen` in place of `member`, with the same ld
 * command fixtures/generate.sh uses: the real linker is the oracle for link failures.
 */
export function relinkFixture(buildDir: string, frozen: string, member: string): LinkerVerdict {
  const members = execFileSync('ar', ['t', 'vmlinux.a'], { cwd: buildDir, encoding: 'utf8' }).trim().split('\n');
  if (!members.includes(member)) throw new Error(`${member} is not a member of ${buildDir}/vmlinux.a`);
  const inputs = members.map((m) => (m === member ? resolve(frozen) : m));
  const dir = mkdtempSync(join(tmpdir(), 'relinkable-oracle-'));
  try {
    const r = spawnSync(
      'ld',
      ['-m', 'elf_x86_64', '-z', 'noexecstack', '--no-warn-rwx-segments', '-T', 'arch/x86/kernel/vmlinux.lds', '-o', join(dir, 'vmlinux'),
        '--whole-archive', ...inputs, '--no-whole-archive', '--start-group', 'arch/x86/lib/lib.a', '--end-group'],
      { cwd: buildDir, encoding: 'utf8' },
    );
    const log = `${r.stdout}${r.stderr}`;
    return { ok: r.status === 0, errors: linkerErrors(log), log };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
