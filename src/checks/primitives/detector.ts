import type { CatalogueEntry } from '../../catalogue/catalogue.js';
import { finding, type Evidence, type Finding, type FindingData, type FindingId, type Severity, type Site } from '../../findings/index.js';
import type { ObjectConventions } from '../../facts/object-conventions.js';
import { isAssembler, mainProducer } from '../../facts/compiler.js';
import type { ConfigOption, KernelConventions, OriginConventions } from '../../facts/kernel-conventions.js';
import type { FrozenObject } from '../../facts/frozen-object.js';
import type { Replacement } from '../../facts/replacement.js';
import type { FrozenUse, LinkMode } from '../../facts/relink.js';
import type { Infer, Schema } from '../../schema.js';

/** The relink a frozen object takes part in, as far as a detector asks. */
export interface RelinkFacts {
  /** Into vmlinux, or as a module. */
  readonly mode: LinkMode;
  /** Relinked by the new tree's kbuild (modpost regenerates the module's metadata), or a .ko loaded as it is. */
  readonly use: FrozenUse;
  /** What the frozen object replaces in the new kernel, when that was looked for. */
  readonly replacement: Replacement | undefined;
  /** The other frozen objects relinked with it. */
  readonly others: readonly FrozenObject[];
}

/**
 * What a detector sees: one frozen object with the conventions it was built with, the relink it takes part
 * in, the new kernel's build conventions, and the kernel it came from when given. All of it
 * plain data or the conventions port: a test builds one from literals.
 */
export interface DetectorContext {
  readonly frozen: FrozenObject;
  readonly conventions: ObjectConventions;
  readonly relink: RelinkFacts;
  readonly kernel: KernelConventions;
  readonly origin: OriginConventions | undefined;
}

/**
 * One kind of evidence about build primitives. Catalogue entries name a detector and give
 * it parameters (validated against `parameters` when the catalogue loads); the detector
 * returns findings of the kinds it declares, each tagged with the entry's id.
 */
export interface Detector<S extends Schema = Schema> {
  readonly name: string;
  readonly produces: readonly FindingId[];
  readonly parameters: S;
  run(entry: CatalogueEntry<Infer<S>>, ctx: DetectorContext): Finding[];
}

/** A detector as the engine holds it: parameters already validated against its schema by the catalogue loader. */
export interface RegisteredDetector {
  readonly name: string;
  readonly produces: readonly FindingId[];
  readonly parameters: Schema;
  run(entry: CatalogueEntry, ctx: DetectorContext): Finding[];
}

export function defineDetector<const S extends Schema>(d: Detector<S>): RegisteredDetector {
  return d as unknown as RegisteredDetector;
}

export interface PrimitiveFindingInput<K extends FindingId> {
  readonly id: K;
  /** What the message template of `id` renders. */
  readonly data: FindingData<K>;
  readonly severity?: Severity;
  readonly symbol?: string | undefined;
  readonly before?: string | undefined;
  readonly after?: string | undefined;
  readonly evidence: readonly Evidence[];
  readonly sites?: readonly Site[];
  readonly rank?: number;
}

/** A finding of a catalogue entry: the entry's severity unless the detector states another, and the entry id. */
export function primitiveFinding<K extends FindingId>(entry: CatalogueEntry, ctx: DetectorContext, f: PrimitiveFindingInput<K>): Finding {
  return finding(f.id, f.data, {
    severity: f.severity ?? entry.severity,
    object: ctx.frozen.path,
    symbol: f.symbol,
    before: f.before,
    after: f.after,
    evidence: [...f.evidence, catalogueEvidence(entry)],
    sites: f.sites,
    rank: f.rank,
    signature: entry.id,
  });
}

function catalogueEvidence(entry: CatalogueEntry): Evidence {
  const change = entry.changes[0]!;
  return {
    label: 'catalogue',
    file: entry.source,
    detail: `${entry.title} (${entry.changes.map((c) => `${c.version}${c.commit ? ` ${c.commit}` : ''}`).join(', ') || change.version})`,
  };
}

/** Evidence: an option of the new kernel's .config. */
export function configEvidence(ctx: DetectorContext, option: ConfigOption): Evidence {
  return { label: 'new kernel', file: ctx.kernel.configFile, detail: option.value === 'n' ? `# CONFIG_${option.name} is not set` : `CONFIG_${option.name}=${option.value}` };
}

/** Evidence: a fact of the frozen object. */
export function frozenEvidence(ctx: DetectorContext, e: Omit<Evidence, 'label' | 'file'>): Evidence {
  return { label: 'frozen object', file: ctx.frozen.path, ...e };
}

/** The frozen object's main compiler producer: not the modpost .mod.c unit, not assembler units. */
export const frozenProducer = mainProducer;

/** Only assembler units: compiler identity and flags do not apply. */
export function assembledOnly(build: ObjectConventions): boolean {
  return build.compiler.producers.length > 0 && build.compiler.producers.every((p) => isAssembler(p.producer));
}
