export { FINDING_KINDS, FINDING_IDS, docPage, isDecisive, isWaivable, renderMessage, type FindingData, type FindingId, type FindingKind } from './kinds.js';
export { SEVERITIES, SEVERITY_TITLES, atLeast, severityRank, type Severity } from './severity.js';
export { finding, messageOf, type Finding, type FindingFields, type Evidence, type Candidate, type Site } from './finding.js';
