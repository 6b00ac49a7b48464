import { EM_X86_64 } from '../../src/facts/architecture.js';
import type { FrozenObject } from '../../src/facts/frozen-object.js';
import type { ObjectConventions } from '../../src/facts/object-conventions.js';

/**
 * Plain facts for unit tests of checks and detectors: a frozen x86-64 object and its
 * conventions with nothing in them, for a test to fill in only what it is about.
 */

export const EMPTY_CONVENTIONS: ObjectConventions = {
  architecture: 'x86_64',
  compiler: { producers: [], comment: [] },
  sections: [],
  properties: undefined,
  functions: [],
  indirectTargets: [],
  importRelocations: {},
  fixedCanaryReads: 0,
  alternatives: undefined,
  extable: undefined,
  orcHeader: undefined,
  btf: undefined,
  btfIds: [],
  btfSets: [],
  noreturnCalls: [],
  noEndbr: [],
};

/** A frozen object with the given facts and nothing else (no sections, symbols, DWARF or module info). */
export function plainFrozenObject(parts: Partial<FrozenObject> = {}): FrozenObject {
  return {
    path: 'frozen.o',
    origin: 'object',
    sha256: '',
    size: 0,
    machine: EM_X86_64,
    is64: true,
    littleEndian: true,
    sections: [],
    isModule: false,
    moduleInfo: undefined,
    definitions: new Map(),
    imports: new Map(),
    exports: new Map(),
    compileUnits: [],
    compiledAgainst: undefined,
    producer: undefined,
    conventions: EMPTY_CONVENTIONS,
    ...parts,
  };
}
