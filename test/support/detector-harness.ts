import { EMPTY_CONVENTIONS, plainFrozenObject } from './plain-facts.js';
import { bundledCatalogueDirectory, loadCatalogue, type Catalogue, type CatalogueEntry } from '../../src/catalogue/catalogue.js';
import type { RegisteredDetector, RelinkFacts } from '../../src/checks/primitives/detector.js';
import { DETECTORS } from '../../src/checks/primitives/index.js';
import type { ObjectConventions } from '../../src/facts/object-conventions.js';
import type { KernelConventions, OriginConventions } from '../../src/facts/kernel-conventions.js';
import type { FrozenImport, FrozenObject } from '../../src/facts/frozen-object.js';
import { messageOf, type Finding } from '../../src/findings/index.js';

/**
 * A RuleTester for the build-primitive detectors: one detector runs against one catalogue
 * entry (given, or the bundled one by id) in a world made of plain data — a partial
 * ObjectConventions, an object literal answering the parts of the new kernel's conventions the
 * detector asks (asking for any other part fails the test, naming it), a partial frozen
 * object and relink. It returns the findings with their messages rendered, as a report
 * shows them.
 */

export interface DetectorCase {
  /** A catalogue entry, or the id of a bundled one. */
  readonly entry: string | CatalogueEntry;
  /** The frozen object's facts; what is not given is empty (an x86-64 .o with no symbols). */
  readonly frozen?: Partial<FrozenObject>;
  /** The conventions it was built with, over `frozen.conventions` when that is given; what is not given is empty. */
  readonly conventions?: Partial<ObjectConventions>;
  /** What the new kernel answers; nothing else may be asked. */
  readonly kernel?: Partial<KernelConventions>;
  /** The kernel the object was built in (--built-with), when there is one. */
  readonly origin?: Partial<OriginConventions>;
  /** The relink; by default built-in, replacing nothing, alone. */
  readonly relink?: Partial<RelinkFacts>;
}

/** A finding as a report shows it: with its message rendered from its data. */
export type RenderedFinding = Finding & { readonly message: string };

let bundled: Catalogue | undefined;

/** A bundled catalogue entry by id. */
export function bundledEntry(id: string): CatalogueEntry {
  bundled ??= loadCatalogue(bundledCatalogueDirectory(), DETECTORS);
  const entry = bundled.entries.find((e) => e.id === id);
  if (!entry) throw new Error(`no bundled catalogue entry ${id}`);
  return entry;
}


/** Functions a frozen object calls, each from one site. */
export function importsOf(...names: string[]): ReadonlyMap<string, FrozenImport> {
  return new Map(
    names.map((name) => [name, { name, kind: 'function', kindSource: 'dwarf', weak: false, sites: [{ section: '.text', offset: 0n, function: 'caller', relocation: 'R_X86_64_PLT32' }] }]),
  );
}

/** Answers from `given`; a question it does not answer fails, naming it. */
function only<T extends object>(what: string, given: Partial<T>): T {
  return new Proxy(given, {
    get(target, key) {
      if (typeof key === 'symbol' || key in target) return Reflect.get(target, key);
      throw new Error(`the detector asked ${what}.${key}, which the test does not give`);
    },
  }) as T;
}

/** Runs one detector on one entry, as the build-primitive check does, and renders each finding's message. */
export function runDetector(detector: RegisteredDetector, c: DetectorCase): RenderedFinding[] {
  const entry = typeof c.entry === 'string' ? bundledEntry(c.entry) : c.entry;
  if (entry.detector !== detector.name) throw new Error(`entry ${entry.id} is for detector ${entry.detector}, not ${detector.name}`);
  const conventions: ObjectConventions = { ...EMPTY_CONVENTIONS, ...c.frozen?.conventions, ...c.conventions };
  const frozen: FrozenObject = plainFrozenObject({ ...c.frozen, conventions });
  const findings = detector.run(entry, {
    frozen,
    conventions,
    relink: { mode: 'built-in', use: 'relinked', replacement: undefined, others: [], ...c.relink },
    kernel: only<KernelConventions>('kernel', c.kernel ?? {}),
    origin: c.origin && only<OriginConventions>('origin', c.origin),
  });
  const stray = findings.find((f) => !detector.produces.includes(f.id));
  if (stray) throw new Error(`detector ${detector.name} reported ${stray.id}, which it does not declare`);
  return findings.map((f) => ({ ...f, message: messageOf(f) }));
}
