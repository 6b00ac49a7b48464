import type { Report } from './report.js';

/**
 * Where relinkable's public pages are: the evidence formats that need an absolute URI (SARIF
 * helpUri, the attestation's verifier and policy) link there, the finding pages at the
 * report's tool version. `--docs-url` names another base (a mirror, an internal copy).
 */
export const PROJECT_URL = 'https://github.com/relinkable/relinkable';

export function defaultDocsUrl(version: string): string {
  return `${PROJECT_URL}/blob/v${version}/docs/findings/`;
}

/** A finding's page as an absolute URI, under `docsUrl` (ending in /). */
export function findingUrl(docsUrl: string, id: string): string {
  return `${docsUrl}${id}.md`;
}

/** A path of the report as a URI reference: a relative path stays relative, an absolute one becomes file:///… */
export function pathUri(path: string): string {
  const encoded = path.split('/').map(encodeURIComponent).join('/');
  return path.startsWith('/') ? `file://${encoded}` : encoded;
}

/** The frozen objects' file names, for titles. */
export function frozenNames(report: Report): string {
  return report.frozen.map((f) => f.path.slice(f.path.lastIndexOf('/') + 1)).join(', ');
}
