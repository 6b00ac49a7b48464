export { FINDING_KINDS, FINDING_IDS, docPage, type FindingId, type FindingKind } from './kinds.js';
export { SEVERITIES, SEVERITY_TITLES, atLeast, severityRank, type Severity } from './severity.js';
export type { Finding, Evidence, Candidate } from './finding.js';
