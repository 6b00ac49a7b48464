import { vermagicOptions } from '../../facts/module.js';
import { object } from '../../schema.js';
import { defineDetector, frozenEvidence, primitiveFinding } from './detector.js';
import type { Finding } from '../../findings/index.js';

/**
 * A .ko as the module loader reads it: .gnu.linkonce.this_module must be exactly
 * sizeof(struct module) of the running kernel, and vermagic must match the kernel's — all
 * of it, or (when the module carries CRCs, kernel/module/version.c same_magic) everything
 * after the release. Relinking the frozen .o through modpost regenerates both; loading the
 * frozen .ko as it is does not.
 */
export const moduleFormat = defineDetector({
  name: 'module-format',
  produces: ['module-struct-size', 'vermagic-mismatch'],
  parameters: object({}),
  run(entry, ctx) {
    const info = ctx.frozen.moduleInfo;
    if (!ctx.frozen.isModule || !info) return [];
    const out: Finding[] = [];
    const reference = ctx.kernel.reference(ctx.frozen);

    if (info.thisModuleSize !== undefined) {
      const struct = ctx.kernel.struct('module');
      const size = struct?.size ?? reference?.thisModuleSize;
      const where = struct
        ? { label: 'new kernel', file: struct.source.file, location: struct.source.what, detail: `struct module: ${struct.size} bytes` }
        : reference?.thisModuleSize !== undefined
          ? { label: 'reference module', file: reference.path, section: '.gnu.linkonce.this_module', detail: `${reference.thisModuleSize} bytes` }
          : undefined;
      if (size !== undefined && where && size !== info.thisModuleSize) {
        out.push(
          primitiveFinding(entry, ctx, {
            id: 'module-struct-size',
            symbol: '__this_module',
            data: { frozen: info.thisModuleSize, kernel: size },
            before: `struct module: ${info.thisModuleSize} bytes`,
            after: `struct module: ${size} bytes`,
            evidence: [frozenEvidence(ctx, { section: '.gnu.linkonce.this_module', detail: `${info.thisModuleSize} bytes` }), where],
          }),
        );
      }
    }

    if (info.vermagic !== undefined) {
      const computed = ctx.kernel.vermagic(ctx.conventions.architecture);
      const theirs = reference?.vermagic ?? computed?.text;
      if (theirs !== undefined) {
        const hasCrcs = info.versions.length > 0;
        const differs = hasCrcs ? vermagicOptions(info.vermagic) !== vermagicOptions(theirs) : info.vermagic !== theirs;
        if (differs) {
          out.push(
            primitiveFinding(entry, ctx, {
              id: 'vermagic-mismatch',
              symbol: 'vermagic',
              data: { case: hasCrcs ? 'options' : 'whole', frozen: info.vermagic, kernel: theirs },
              before: info.vermagic,
              after: theirs,
              evidence: [
                frozenEvidence(ctx, { section: '.modinfo', detail: `vermagic=${info.vermagic}` }),
                reference?.vermagic
                  ? { label: 'reference module', file: reference.path, section: '.modinfo', detail: `vermagic=${reference.vermagic}` }
                  : { label: 'new kernel', file: computed!.source.file, detail: `${computed!.source.what}: ${theirs}` },
              ],
            }),
          );
        }
      }
    }
    return out;
  },
});
