import { finding, type Evidence, type Finding, type Site } from '../../findings/index.js';
import type { Change } from '../../graph/changes.js';
import { definition } from '../../model/cdecl.js';
import { EXPOSURE_RANK, type TypeChange } from '../../model/interface-comparison.js';
import { defineCheck } from '../check.js';
import { frozenSide, kernelSide, reachSites } from '../support/declaration-evidence.js';

const LAYOUT_CHANGES = new Set<Change['kind']>(['kind', 'size', 'int-width', 'signedness', 'float-width', 'array-length', 'member-offset', 'member-bitfield', 'member-removed', 'member-added', 'declaration-only']);

/**
 * A struct or union the frozen object meets whose layout differs in the new kernel, ranked
 * by how the object meets it: owned storage and by-value use first (run-time breaks), then
 * types reached through a pointer of a signature it calls, then the deeper closure (both for
 * a human: they break only if the code reads what moved). One finding per type; each
 * function or variable it is reached from is a site.
 */
export const layoutChangedCheck = defineCheck({
  name: 'layouts',
  produces: ['layout-changed'],
  needs: ['interfaces'],
  run({ interfaces }) {
    const findings: Finding[] = [];
    for (const change of interfaces.typeChanges()) {
      const node = change.source.graph.node(change.delta.after);
      if (node.kind !== 'struct' && node.kind !== 'union') continue;
      const changes = change.delta.changes.filter((c) => LAYOUT_CHANGES.has(c.kind));
      // Members added in padding, the size and every old member where they were: code built
      // against the old layout reads and writes what it did.
      if (changes.length === 0 || changes.every((c) => c.kind === 'member-added')) continue;
      if (loaderRefusesFirst(change, node.name, changes)) continue;
      findings.push(layoutFinding(change, changes, reachSites(change.object.path, interfaces.reachesOf(change))));
    }
    return findings;
  },
});

/**
 * A module's own struct module (__this_module) of another size: the loader refuses the .ko
 * before anything reads a field, and module-struct-size says so at link severity. With the
 * same size and moved members the loader accepts it, and only this finding tells.
 */
function loaderRefusesFirst(change: TypeChange, name: string | undefined, changes: readonly Change[]): boolean {
  return (
    name === 'module' &&
    change.object.isModule &&
    change.owners.length > 0 &&
    change.owners.every((o) => o.variable === '__this_module') &&
    changes.some((c) => c.kind === 'size' && !c.path)
  );
}

function layoutFinding(change: TypeChange, changes: readonly Change[], sites: readonly Site[]): Finding {
  const { delta } = change;
  const before = definition(change.frozenGraph, delta.before);
  const after = definition(change.source.graph, delta.after);
  const evidence: Evidence[] = [];
  for (const o of change.owners) {
    evidence.push({ label: 'owned storage', file: change.object.path, symbol: o.variable, detail: o.scope ? `static in ${o.scope}` : 'defined by the object' });
  }
  evidence.push(frozenSide(change.object.path, change.frozenGraph, delta.before), kernelSide(change.source, delta.after));
  return finding('layout-changed', { name: delta.name, changes, exposure: change.exposure }, {
    // Owned storage and by-value use are read with the new layout for certain; through a
    // pointer, only if the object's code reads a member that moved, which the files do not say.
    severity: change.exposure === 'owned' || change.exposure === 'by-value' ? 'runtime' : 'review',
    object: change.object.path,
    symbol: delta.name,
    rank: EXPOSURE_RANK[change.exposure],
    before,
    after,
    declarations: true,
    evidence,
    sites,
  });
}
