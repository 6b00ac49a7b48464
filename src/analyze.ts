import { InputError, UsageError } from './errors.js';
import { machineName } from './elf/constants.js';
import type { Finding } from './findings/index.js';
import { runChecks } from './checks/index.js';
import { NewKernel } from './kernel/kernel.js';
import { locateKernel, type LocateOptions } from './kernel/locate.js';
import { readFrozenObject, type FrozenObject } from './model/frozen.js';
import { LinkModel, type LinkMode } from './model/link.js';
import { findReplacement, type Replacement } from './model/replacement.js';

export interface CheckOptions extends LocateOptions {
  /** What each frozen object replaces, in the order the objects were given. */
  replaces?: readonly string[] | undefined;
}

export interface Analysis {
  readonly frozen: readonly FrozenObject[];
  readonly kernel: NewKernel;
  readonly mode: LinkMode;
  readonly replacements: ReadonlyMap<FrozenObject, Replacement>;
  readonly findings: readonly Finding[];
}

/** bytes → readers → model → checks: everything `check` does before rendering. */
export async function analyze(objectPaths: readonly string[], options: CheckOptions): Promise<Analysis> {
  if (objectPaths.length === 0) throw new UsageError('no frozen objects given');
  const replaces = options.replaces ?? [];
  if (replaces.length > objectPaths.length) {
    throw new UsageError(`--replaces given ${replaces.length} times for ${objectPaths.length} object(s)`);
  }
  const kernel = new NewKernel(locateKernel(options));
  const frozen = objectPaths.map((p) => readFrozenObject(p));
  for (const obj of frozen) {
    if (obj.machine !== kernel.machine) {
      throw new InputError(
        obj.path,
        `wrong architecture: a ${machineName(obj.machine)} object, but the new kernel (${kernel.artifacts.vmlinux}) is ${machineName(kernel.machine)}`,
      );
    }
  }
  const modules = frozen.filter((o) => o.isModule);
  if (modules.length > 0 && modules.length < frozen.length) {
    throw new UsageError('give either modules (.ko) or objects (.o) to relink together, not both');
  }

  const replacements = new Map<FrozenObject, Replacement>();
  frozen.forEach((obj, i) => replacements.set(obj, findReplacement(obj, kernel, replaces[i])));

  const targetsModule = [...replacements.values()].some((r) => r.found && r.target.kind === 'module');
  const mode: LinkMode = modules.length > 0 || targetsModule ? 'module' : 'built-in';
  await Promise.all([...replacements.values()].map((r) => (r.found ? r.prepare() : undefined)));
  const model = new LinkModel(mode, frozen, kernel, replacements);
  return { frozen, kernel, mode, replacements, findings: runChecks(model) };
}
