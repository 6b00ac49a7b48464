import { vermagicOptions } from '../../facts/module.js';
import { catalogueVersion, compareSeries } from '../../facts/kernel-version.js';
import { object } from '../../schema.js';
import { configEvidence, defineDetector, frozenEvidence, primitiveFinding, type DetectorContext } from './detector.js';
import type { Finding } from '../../findings/index.js';

/**
 * A .ko as the module loader reads it: .gnu.linkonce.this_module must be exactly
 * sizeof(struct module) of the running kernel, and vermagic must match the kernel's — all
 * of it, or (when the module carries CRCs, kernel/module/version.c same_magic) everything
 * after the release. Relinking the frozen .o through modpost regenerates both, so only a .ko
 * loaded as it is is judged.
 */
export const moduleFormat = defineDetector({
  name: 'module-format',
  produces: ['module-struct-size', 'vermagic-mismatch', 'modversions-missing'],
  parameters: object({}),
  run(entry, ctx) {
    const info = ctx.frozen.moduleInfo;
    if (!ctx.frozen.isModule || !info || ctx.relink.use !== 'as-is') return [];
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
    out.push(...missingVersions(entry, ctx));
    return out;
  },
});

/** The kernel that first reads the extended modversions tables (kernel/module/version.c). */
const EXTENDED_MODVERSIONS_SINCE = catalogueVersion('v6.14');

/**
 * A kernel with CONFIG_MODVERSIONS refuses a module that has no CRC table it reads
 * (check_version: "no versions for imported symbols" unless forced): one without any, or one
 * with only the extended tables on a kernel from before them.
 */
function missingVersions(entry: Parameters<typeof moduleFormat.run>[0], ctx: DetectorContext): Finding[] {
  const info = ctx.frozen.moduleInfo!;
  const modversions = ctx.kernel.option('MODVERSIONS');
  if (modversions?.value !== 'y' || info.versionTables === undefined || ctx.frozen.imports.size === 0) return [];
  const version = ctx.kernel.version();
  const readsExtended = ctx.kernel.option('EXTENDED_MODVERSIONS') !== undefined || (version !== undefined && compareSeries(version, EXTENDED_MODVERSIONS_SINCE) >= 0);
  const tables = info.versionTables;
  const readable = tables.includes('basic') || (tables.includes('extended') && readsExtended);
  if (readable) return [];
  return [
    primitiveFinding(entry, ctx, {
      id: 'modversions-missing',
      symbol: tables.length ? '__version_ext_crcs' : '__versions',
      data: { case: tables.length ? 'extended-only' : 'none', release: version?.text },
      before: tables.length ? 'extended modversions only' : 'no modversions tables',
      after: 'CONFIG_MODVERSIONS=y',
      evidence: [frozenEvidence(ctx, { detail: tables.length ? '__version_ext_crcs, __version_ext_names; no __versions' : 'no __versions section' }), configEvidence(ctx, modversions)],
    }),
  ];
}
