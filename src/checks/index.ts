import type { Finding } from '../findings/index.js';
import { isDecisive, messageOf, severityRank } from '../findings/index.js';
import type { Check, CheckInputs } from './check.js';
import { SILENT_PROGRESS, type Progress } from '../facts/progress.js';
import { duplicateDefinitionCheck } from './link/duplicate-definition.js';
import { exportGplOnlyCheck } from './link/export-gpl-only.js';
import { exportNamespaceCheck } from './link/export-namespace.js';
import { modversionsCrcCheck } from './link/modversions-crc.js';
import { notExportedCheck } from './link/not-exported.js';
import { orphanedReferenceCheck } from './link/orphaned-reference.js';
import { replacedObjectCheck } from './link/replaced-object.js';
import { symbolTypeChangedCheck } from './link/symbol-type-changed.js';
import { undefinedSymbolCheck } from './link/undefined-symbol.js';
import { enumChangedCheck } from './interface/enum-changed.js';
import { layoutChangedCheck } from './interface/layout-changed.js';
import { prototypeChangedCheck } from './interface/prototype-changed.js';
import { variableTypeChangedCheck } from './interface/variable-type-changed.js';
import { primitivesCheck } from './primitives/index.js';
import { fips140PlaceholdersCheck } from './link/fips140-placeholders.js';

export const CHECKS: readonly Check[] = [
  replacedObjectCheck,
  undefinedSymbolCheck,
  notExportedCheck,
  exportGplOnlyCheck,
  exportNamespaceCheck,
  duplicateDefinitionCheck,
  symbolTypeChangedCheck,
  orphanedReferenceCheck,
  prototypeChangedCheck,
  layoutChangedCheck,
  enumChangedCheck,
  variableTypeChangedCheck,
  modversionsCrcCheck,
  primitivesCheck,
  fips140PlaceholdersCheck,
];

/** Findings without a rank sort after the ranked ones of their severity. */
const RANK_DEFAULT = 10;

/** Decisive findings first (module-now-builtin: the report opens with it), then by severity, rank, id, object, symbol, message. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    Number(isDecisive(b.id)) - Number(isDecisive(a.id)) ||
    severityRank(a.severity) - severityRank(b.severity) ||
    (a.rank ?? RANK_DEFAULT) - (b.rank ?? RANK_DEFAULT) ||
    cmp(a.id, b.id) ||
    cmp(a.object, b.object) ||
    cmp(a.symbol ?? '', b.symbol ?? '') ||
    cmp(messageOf(a), messageOf(b))
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Runs every check, each a step of `progress`; the result is sorted so that the same inputs give the same report. */
export function runChecks(inputs: CheckInputs, checks: readonly Check[] = CHECKS, progress: Progress = SILENT_PROGRESS): Finding[] {
  const findings = checks.flatMap((check) => {
    progress.step(`checking ${check.name}`);
    const produced = check.run(inputs);
    const stray = produced.find((f) => !check.produces.includes(f.id));
    if (stray) throw new Error(`check '${check.name}' reported ${stray.id}, which it does not declare`);
    return produced;
  });
  return findings.sort(compareFindings);
}
