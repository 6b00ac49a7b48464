import type { CatalogueEntry } from '../../catalogue/catalogue.js';
import type { Evidence, Finding, FindingId, Severity } from '../../findings/index.js';
import type { BuildFacts } from '../../facts/build-facts.js';
import type { FrozenObject } from '../../facts/frozen-object.js';
import { isAssembler, mainProducer } from '../../facts/compiler.js';
import type { KernelBuild, OriginKernel } from '../../kernel/conventions.js';
import type { LinkModel } from '../../model/link.js';
import type { Infer, Schema } from '../../schema.js';

/** What a detector sees: one frozen object with its build facts, the new kernel, and the kernel it came from when given. */
export interface DetectorContext {
  readonly frozen: FrozenObject;
  readonly build: BuildFacts;
  readonly kernel: KernelBuild;
  readonly origin: OriginKernel | undefined;
  readonly model: LinkModel;
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

export interface PrimitiveFindingInput {
  readonly id: FindingId;
  readonly severity?: Severity;
  readonly symbol?: string | undefined;
  readonly message: string;
  readonly before?: string | undefined;
  readonly after?: string | undefined;
  readonly evidence: readonly Evidence[];
  readonly rank?: number;
}

/** A finding of a catalogue entry: the entry's severity unless the detector states another, and the entry id. */
export function primitiveFinding(entry: CatalogueEntry, ctx: DetectorContext, f: PrimitiveFindingInput): Finding {
  return {
    id: f.id,
    severity: f.severity ?? entry.severity,
    object: ctx.frozen.path,
    symbol: f.symbol,
    message: f.message,
    before: f.before,
    after: f.after,
    evidence: [...f.evidence, catalogueEvidence(entry)],
    rank: f.rank,
    signature: entry.id,
  };
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
export function configEvidence(ctx: DetectorContext, option: { name: string; value: string }): Evidence {
  return { label: 'new kernel', file: ctx.kernel.configFile, detail: option.value === 'n' ? `# CONFIG_${option.name} is not set` : `CONFIG_${option.name}=${option.value}` };
}

/** Evidence: a fact of the frozen object. */
export function frozenEvidence(ctx: DetectorContext, e: Omit<Evidence, 'label' | 'file'>): Evidence {
  return { label: 'frozen object', file: ctx.frozen.path, ...e };
}

/** The frozen object's main compiler producer: not the modpost .mod.c unit, not assembler units. */
export const frozenProducer = mainProducer;

/** Only assembler units: compiler identity and flags do not apply. */
export function assembledOnly(build: BuildFacts): boolean {
  return build.compiler.producers.length > 0 && build.compiler.producers.every((p) => isAssembler(p.producer));
}

export { someNames } from '../../findings/prose.js';
