import { createHash } from 'node:crypto';
import { pathUri, PROJECT_URL } from './links.js';
import type { Report } from './report.js';

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const VSA_PREDICATE = 'https://slsa.dev/verification_summary/v1';

/**
 * The report as an unsigned in-toto Statement v1 whose predicate is a SLSA Verification
 * Summary (VSA v1): relinkable, the verifier, checked the subjects — the frozen objects, by
 * sha256 — against a policy (the build-primitive catalogue, the waivers and --fail-on, by
 * digest) for one kernel, and says PASSED or FAILED (the gate). A VSA rather than the in-toto
 * test-result predicate: it names the policy by digest and is what admission controllers
 * (cosign verify-attestation, Kyverno, the SLSA verifier) already read. The kernel the
 * objects were judged against is an extension field (a URI-named field, as the VSA's
 * parsing rules allow). Sign it with `cosign attest --type https://slsa.dev/verification_summary/v1`
 * or in-toto's tooling (docs/evidence.md).
 */
export function renderIntoto(report: Report): string {
  const policy = {
    catalogue: { version: report.catalogue.version, sha256: report.catalogue.digest },
    waivers: report.waivers ? { path: report.waivers.path, sha256: report.waivers.sha256 } : null,
    failOn: report.gate.failOn,
  };
  const vmlinux = report.inputs.find((i) => i.role === 'vmlinux');
  const statement = {
    _type: STATEMENT_TYPE,
    subject: report.frozen.map((f) => ({ name: f.path.slice(f.path.lastIndexOf('/') + 1), digest: { sha256: f.sha256 } })),
    predicateType: VSA_PREDICATE,
    predicate: {
      verifier: { id: PROJECT_URL, version: { relinkable: report.tool.version, ...(report.tool.commit ? { 'relinkable-commit': report.tool.commit } : {}), node: report.tool.node } },
      ...(report.time ? { timeVerified: report.time.at } : {}),
      resourceUri: pathUri(report.frozen[0]!.path),
      policy: {
        uri: `${PROJECT_URL}/blob/v${report.tool.version}/docs/evidence.md#the-policy`,
        digest: { sha256: createHash('sha256').update(JSON.stringify(policy)).digest('hex') },
        annotations: policy,
      },
      verificationResult: report.gate.result === 'passed' ? 'PASSED' : 'FAILED',
      verifiedLevels: report.gate.result === 'passed' ? [report.use === 'as-is' ? 'RELINKABLE_LOADS_AS_IS' : 'RELINKABLE_RELINKS'] : ['FAILED'],
      [`${PROJECT_URL}/kernel`]: {
        release: report.kernel.release,
        vmlinux: { path: report.kernel.vmlinux.path, buildId: report.kernel.vmlinux.buildId, sha256: vmlinux?.sha256 ?? null },
        use: report.use,
        verdict: report.verdict,
      },
    },
  };
  return `${JSON.stringify(statement, null, 2)}\n`;
}
