import type { ObjectConventions } from '../facts/object-conventions.js';
import { ownTypesOfSplit } from '../btf/split.js';

/**
 * An object's conventions as an ABI snapshot stores them (the `build` field, format 2;
 * docs/snapshot-format.md). The format owns this shape: the reader's ObjectConventions may
 * change (a field renamed, a fact added) while snapshots already certified still read, and
 * the conversions below are the one place where the two meet. Absent facts are left out of
 * the JSON, as JSON.stringify leaves out undefined.
 */
export interface SnapshotConventions {
  architecture: string;
  compiler: { producers: { producer: string; units: string[] }[]; comment: string[] };
  sections: { name: string; size: number; flags: string; relocations: number }[];
  properties?: { ibt: boolean; shstk: boolean; bti: boolean; pac: boolean };
  functions: {
    name: string;
    binding: string;
    section: string;
    offset: number;
    size: number;
    entry: string;
    paddingBefore: number;
    prefixSymbol: boolean;
    cfiHash?: string;
    ftraceCall?: string;
  }[];
  indirectTargets: { function: string; from: { section: string; offset: number; symbol?: string; member?: string; relocation: string } }[];
  importRelocations: Record<string, Record<string, number>>;
  fixedCanaryReads: number;
  alternatives?: { entrySize?: number; features: { feature: number; flags: string[]; count: number; example: string }[] };
  extable?: { layout: string; entries: number; types: { type: number; count: number; example: string }[]; handlers: { handler: string; count: number }[] };
  orcHeader?: string;
  btf?: { split: string; distilledBase?: string };
  btfIds: { kind: string; name: string; symbol: string; id: number }[];
  btfSets: { kind: string; name: string; count: number; flags?: number }[];
  noreturnCalls: string[];
  noEndbr: string[];
}

/** What `extract` writes: every fact, in the order the format lists them. */
export function toSnapshotConventions(c: ObjectConventions): SnapshotConventions {
  return {
    architecture: c.architecture,
    compiler: { producers: c.compiler.producers.map((p) => ({ producer: p.producer, units: [...p.units] })), comment: [...c.compiler.comment] },
    sections: c.sections.map((s) => ({ name: s.name, size: s.size, flags: s.flags, relocations: s.relocations })),
    properties: c.properties && { ibt: c.properties.ibt, shstk: c.properties.shstk, bti: c.properties.bti, pac: c.properties.pac },
    functions: c.functions.map((f) => ({
      name: f.name,
      binding: f.binding,
      section: f.section,
      offset: f.offset,
      size: f.size,
      entry: f.entry,
      paddingBefore: f.paddingBefore,
      prefixSymbol: f.prefixSymbol,
      cfiHash: f.cfiHash,
      ftraceCall: f.ftraceCall,
    })),
    indirectTargets: c.indirectTargets.map((t) => ({
      function: t.function,
      from: { section: t.from.section, offset: t.from.offset, symbol: t.from.symbol, member: t.from.member, relocation: t.from.relocation },
    })),
    importRelocations: Object.fromEntries(Object.entries(c.importRelocations).map(([name, types]) => [name, { ...types }])),
    fixedCanaryReads: c.fixedCanaryReads,
    alternatives: c.alternatives && {
      entrySize: c.alternatives.entrySize,
      features: c.alternatives.features.map((f) => ({ feature: f.feature, flags: [...f.flags], count: f.count, example: f.example })),
    },
    extable: c.extable && {
      layout: c.extable.layout,
      entries: c.extable.entries,
      types: c.extable.types.map((t) => ({ type: t.type, count: t.count, example: t.example })),
      handlers: c.extable.handlers.map((h) => ({ handler: h.handler, count: h.count })),
    },
    orcHeader: c.orcHeader,
    btf: c.btf && { split: c.btf.split, distilledBase: c.btf.distilledBase },
    btfIds: c.btfIds.map((b) => ({ kind: b.kind, name: b.name, symbol: b.symbol, id: b.id })),
    btfSets: c.btfSets.map((b) => ({ kind: b.kind, name: b.name, count: b.count, flags: b.flags })),
    noreturnCalls: [...c.noreturnCalls],
    noEndbr: [...c.noEndbr],
  };
}

/** A snapshot's conventions as the checks read them; `s` has been validated against SNAPSHOT_CONVENTIONS_SCHEMA. */
export function fromSnapshotConventions(s: SnapshotConventions, file: string): ObjectConventions {
  return {
    architecture: s.architecture as ObjectConventions['architecture'],
    compiler: s.compiler,
    sections: s.sections,
    properties: s.properties,
    functions: s.functions.map((f) => ({
      name: f.name,
      binding: f.binding as ObjectConventions['functions'][number]['binding'],
      section: f.section,
      offset: f.offset,
      size: f.size,
      entry: f.entry as ObjectConventions['functions'][number]['entry'],
      paddingBefore: f.paddingBefore,
      prefixSymbol: f.prefixSymbol,
      cfiHash: f.cfiHash,
      ftraceCall: f.ftraceCall,
    })),
    indirectTargets: s.indirectTargets.map((t) => ({
      function: t.function,
      from: { section: t.from.section, offset: t.from.offset, symbol: t.from.symbol, member: t.from.member, relocation: t.from.relocation },
    })),
    importRelocations: s.importRelocations,
    fixedCanaryReads: s.fixedCanaryReads,
    alternatives: s.alternatives && { entrySize: s.alternatives.entrySize, features: s.alternatives.features },
    extable: s.extable && { ...s.extable, layout: s.extable.layout as 'data' | 'handler' },
    orcHeader: s.orcHeader,
    btf: s.btf && { split: s.btf.split, distilledBase: s.btf.distilledBase, ownTypes: ownTypesOfSplit(s.btf.split, file) },
    btfIds: s.btfIds,
    btfSets: s.btfSets.map((b) => ({ kind: b.kind as 'set' | 'set8', name: b.name, count: b.count, flags: b.flags })),
    noreturnCalls: s.noreturnCalls,
    noEndbr: s.noEndbr,
  };
}
