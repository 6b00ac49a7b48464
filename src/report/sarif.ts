import { FINDING_KINDS, type FindingId, type Severity } from '../findings/index.js';
import { findingUrl, pathUri, PROJECT_URL } from './links.js';
import type { Report, ReportFinding } from './report.js';

/** SARIF's levels for relinkable's severities: what fails the link or breaks at run time is an error. */
export const LEVEL: Readonly<Record<Severity, 'error' | 'warning' | 'note'>> = { link: 'error', runtime: 'error', warning: 'warning', review: 'note', info: 'note' };

/**
 * The report as SARIF 2.1.0 (OASIS), the format code-scanning services read: one rule per
 * finding id that occurs (its title, its page as helpUri), one result per finding, located at
 * the frozen object (artifact), its symbol (logical location) and the sections its evidence
 * names; a waived finding carries an accepted external suppression with the waiver's
 * justification. test/evidence/formats.test.ts validates it against the official schema.
 */
export const SARIF_SCHEMA = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';

export function renderSarif(report: Report, options: { readonly docsUrl: string }): string {
  const ids = [...new Set(report.findings.map((f) => f.id))].sort();
  const ruleIndex = new Map(ids.map((id, i) => [id, i]));
  const artifacts = report.frozen.map((f) => f.path);
  const sarif = {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'relinkable',
            version: report.tool.version,
            semanticVersion: report.tool.version,
            informationUri: PROJECT_URL,
            rules: ids.map((id) => sarifRule(id, options.docsUrl)),
          },
        },
        invocations: [
          {
            executionSuccessful: true,
            ...(report.time ? { endTimeUtc: report.time.at } : {}),
            properties: { verdict: report.verdict, use: report.use, mode: report.mode, gate: report.gate },
          },
        ],
        artifacts: report.frozen.map((f) => ({ location: { uri: pathUri(f.path) }, length: f.size, hashes: { 'sha-256': f.sha256 } })),
        results: report.findings.map((f) => sarifResult(f, ruleIndex.get(f.id)!, artifacts.indexOf(f.object))),
        properties: { kernel: { release: report.kernel.release, vmlinux: report.kernel.vmlinux }, catalogue: report.catalogue },
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}

export function sarifRule(id: FindingId, docsUrl: string) {
  const kind = FINDING_KINDS[id];
  return {
    id,
    name: id.replace(/(^|-)([a-z])/g, (_m, _d: string, c: string) => c.toUpperCase()),
    shortDescription: { text: kind.title },
    helpUri: findingUrl(docsUrl, id),
    help: { text: `${kind.title}: see ${findingUrl(docsUrl, id)}` },
    defaultConfiguration: { level: LEVEL[kind.severity] },
    properties: { area: kind.area, severity: kind.severity },
  };
}

export function sarifResult(f: ReportFinding, ruleIndex: number, artifactIndex: number) {
  const evidence = [...f.evidence, ...f.sites.flatMap((s) => s.evidence)];
  const sections = [...new Set(evidence.filter((e) => e.file === f.object && e.section).map((e) => e.section!))];
  const logical = [f.symbol, ...f.sites.map((s) => s.symbol)].filter((s): s is string => s !== null);
  return {
    ruleId: f.id,
    ruleIndex,
    level: LEVEL[f.severity],
    message: { text: f.message },
    locations: [
      {
        // A region with startLine: GitHub code scanning shows a result only with one (the
        // SARIF SDK's GH1003); an object file has no lines, so the alert is at the file.
        physicalLocation: { artifactLocation: { uri: pathUri(f.object), ...(artifactIndex >= 0 ? { index: artifactIndex } : {}) }, region: { startLine: 1 } },
        ...(logical.length ? { logicalLocations: [...new Set(logical)].map((name) => ({ name })) } : {}),
        ...(sections.length ? { properties: { sections } } : {}),
      },
    ],
    partialFingerprints: { 'relinkable/finding': `${f.id}:${f.symbol ?? ''}:${f.object.slice(f.object.lastIndexOf('/') + 1)}` },
    ...(f.waived
      ? { suppressions: [{ kind: 'external', status: 'accepted', justification: `${f.waived.justification} (approved by ${f.waived.approver}, until ${f.waived.expires}; waivers line ${f.waived.line})` }] }
      : {}),
    properties: { severity: f.severity, title: f.title, before: f.before, after: f.after, evidence: f.evidence, sites: f.sites, docs: f.docs },
  };
}
