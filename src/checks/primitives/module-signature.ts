import type { Evidence, Finding, Severity } from '../../findings/index.js';
import type { ConfigOption, SignatureConsequence } from '../../facts/kernel-conventions.js';
import { signerText } from '../../facts/module.js';
import { object } from '../../schema.js';
import { configEvidence, defineDetector, frozenEvidence, primitiveFinding, type DetectorContext } from './detector.js';

/**
 * The signature a .ko carries, against the keys the new vmlinux holds built in: kernel/module/signing.c
 * verifies it with the system (and secondary) keyring; with CONFIG_MODULE_SIG_FORCE, or under
 * lockdown (forced, or in EFI Secure Boot, which Debian enables), a module it cannot verify is
 * refused, otherwise it loads and taints the kernel. Relinked, the new build signs the new .ko.
 */
export const moduleSignature = defineDetector({
  name: 'module-signature',
  produces: ['module-signature-rejected'],
  parameters: object({}),
  run(entry, ctx): Finding[] {
    const info = ctx.frozen.moduleInfo;
    if (!ctx.frozen.isModule || !info || ctx.relink.use !== 'as-is') return [];
    if (ctx.kernel.configFile !== undefined && ctx.kernel.option('MODULE_SIG')?.value !== 'y') return [];
    const { consequence, severity, options } = consequenceOf(ctx);
    const signature = info.signature;
    const keys = ctx.kernel.builtinKeys();
    const keyEvidence: Evidence = keys
      ? { label: 'new kernel', file: keys.source.file, symbol: keys.source.what, detail: keys.keys.map((k) => k.subject).join('; ') || 'no certificates' }
      : { label: 'new kernel', file: ctx.kernel.vmlinuxFile, detail: 'no system_certificate_list: no built-in keys' };
    const report = (data: Parameters<typeof primitiveFinding<'module-signature-rejected'>>[2]['data'], detail: string, after: string) =>
      primitiveFinding(entry, ctx, {
        id: 'module-signature-rejected',
        data,
        severity,
        before: detail,
        after,
        evidence: [frozenEvidence(ctx, { detail }), keyEvidence, ...options],
      });
    if (signature === undefined) return [report({ case: 'unsigned', consequence }, 'no signature appended', 'unsigned')];
    if (!signature.readable) return [report({ case: 'unreadable', problem: signature.problem, consequence }, `signature: ${signature.problem}`, 'unreadable')];
    const signers = signature.signers.map((s) => ({ s, key: keys ? ctx.kernel.signerKey(s) : ({ found: false } as const) }));
    // The kernel accepts a module when a signer it can find verifies (crypto/asymmetric_keys/pkcs7_trust.c).
    if (signers.some(({ key }) => key.found && key.verifies !== false)) return [];
    const known = signers.find(({ key }) => key.found);
    if (known?.key.found) {
      return [report({ case: 'bad-signature', signer: known.key.key.subject, consequence }, `signed by ${known.key.key.subject}`, 'does not verify')];
    }
    const names = signature.signers.map((s) => signerText(s.id));
    return [report({ case: 'unknown-signer', signers: names, keys: keys?.keys.length ?? 0, consequence }, `signed by ${names.join(', ') || 'no signer'}`, 'no built-in key')];
  },
});

function consequenceOf(ctx: DetectorContext): { consequence: SignatureConsequence; severity: Severity; options: Evidence[] } {
  if (ctx.kernel.configFile === undefined) return { consequence: 'unknown', severity: 'review', options: [] };
  const set = (name: string): ConfigOption | undefined => {
    const o = ctx.kernel.option(name);
    return o?.value === 'y' ? o : undefined;
  };
  const force = set('MODULE_SIG_FORCE') ?? set('LOCK_DOWN_KERNEL_FORCE_INTEGRITY') ?? set('LOCK_DOWN_KERNEL_FORCE_CONFIDENTIALITY');
  if (force) return { consequence: 'refused', severity: 'link', options: [configEvidence(ctx, force)] };
  const secureBoot = set('SECURITY_LOCKDOWN_LSM') && set('LOCK_DOWN_IN_EFI_SECURE_BOOT');
  if (secureBoot) return { consequence: 'refused-under-secure-boot', severity: 'review', options: [configEvidence(ctx, secureBoot)] };
  return { consequence: 'tainted', severity: 'info', options: [configEvidence(ctx, ctx.kernel.option('MODULE_SIG')!)] };
}
