import { createTwoFilesPatch } from 'diff';

/** A unified diff of two declarations, frozen object first. */
export function declarationDiff(before: string, after: string): string {
  const patch = createTwoFilesPatch('frozen object', 'new kernel', `${before}\n`, `${after}\n`, undefined, undefined, { context: 3 });
  // Drop the "=====" banner; keep ---/+++ and the hunks.
  return patch.split('\n').filter((l) => !/^=+$/.test(l)).join('\n').trimEnd();
}
