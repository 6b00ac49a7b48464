/**
 * Severities, most severe first. They separate what fails the link (or the module load),
 * what links and then breaks at run time, what warns in the build, and what needs a human.
 */
export const SEVERITIES = ['link', 'runtime', 'warning', 'review', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const SEVERITY_TITLES: Readonly<Record<Severity, string>> = {
  link: 'fails the link or the module load',
  runtime: 'links, then breaks at run time',
  warning: 'warns in the build',
  review: 'needs a human',
  info: 'for information',
};

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

/** True when `s` is at least as severe as `threshold`. */
export function atLeast(s: Severity, threshold: Severity): boolean {
  return severityRank(s) <= severityRank(threshold);
}
