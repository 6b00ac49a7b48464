export { FINDING_KINDS, FINDING_IDS, docPage, renderMessage, type FindingData, type FindingId, type FindingKind } from './kinds.js';
export { SEVERITIES, SEVERITY_TITLES, atLeast, severityRank, type Severity } from './severity.js';
export { finding, messageOf, type Finding, type FindingFields, type Evidence, type Candidate } from './finding.js';
