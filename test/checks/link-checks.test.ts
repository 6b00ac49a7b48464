import { describe, expect, it } from 'vitest';
import { plainFrozenObject } from '../support/plain-facts.js';
import type { Check, CheckInputs } from '../../src/checks/check.js';
import { duplicateDefinitionCheck } from '../../src/checks/link/duplicate-definition.js';
import { replacedObjectCheck } from '../../src/checks/link/replaced-object.js';
import { undefinedSymbolCheck } from '../../src/checks/link/undefined-symbol.js';
import type { ExportedSymbol, ExportTable } from '../../src/facts/kernel-exports.js';
import type { FrozenObject } from '../../src/facts/frozen-object.js';
import type { KernelSymbols } from '../../src/facts/kernel-symbols.js';
import type { ModuleInfo } from '../../src/facts/module.js';
import type { Replacement } from '../../src/facts/replacement.js';
import type { LinkedSymbol } from '../../src/facts/symbols.js';
import { messageOf, type Finding } from '../../src/findings/index.js';
import { LinkModel, type LinkMode } from '../../src/model/link.js';
import { InterfaceComparison } from '../../src/model/interface-comparison.js';
import { EM_X86_64 } from '../../src/facts/architecture.js';

/**
 * The link checks run from plain data: a new kernel that is an object literal answering the
 * KernelSymbols port, frozen objects written out by hand, and a LinkModel over them. Nothing
 * is read from disk, and no class is faked.
 */

function frozenObject(path: string, parts: Partial<Pick<FrozenObject, 'definitions' | 'imports' | 'isModule' | 'moduleInfo'>>): FrozenObject {
  return plainFrozenObject({ path, ...parts });
}

const SECTIONS = ['', '.text', '.data'];

/** A new kernel whose vmlinux defines `globals` and `locals` and exports `exports`. */
function kernelSymbols(globals: readonly LinkedSymbol[], locals: readonly LinkedSymbol[] = [], exports: readonly ExportedSymbol[] = []): KernelSymbols {
  const byName = new Map(globals.map((s) => [s.name, s]));
  const exported = new Map(exports.map((e) => [e.name, e]));
  const table: ExportTable = {
    get: (name) => exported.get(name),
    has: (name) => exported.has(name),
    names: () => exported.keys(),
    ofModule: (module) => [...exported.values()].filter((e) => e.module === module),
    size: exported.size,
  };
  return {
    vmlinuxFile: 'new/vmlinux',
    global: (name) => byName.get(name),
    globals: () => byName,
    locals: (name) => locals.filter((s) => s.name === name),
    whereDefined: (sym) => ({ file: 'new/vmlinux', section: SECTIONS[sym.shndx], location: `address 0x${sym.value.toString(16)}` }),
    sectionName: (index) => SECTIONS[index],
    hasSection: (name) => SECTIONS.includes(name),
    exports: () => ({ map: table, source: 'Module.symvers', file: 'new/Module.symvers' }),
    libraryProvider: () => undefined,
    moduleObjectsDefining: () => [],
    isBuildTree: false,
    moduleInfoOf: () => undefined,
  };
}

function link(mode: LinkMode, frozen: readonly FrozenObject[], kernel: KernelSymbols, replacements: readonly Replacement[] = []): LinkModel {
  return new LinkModel(mode, mode === 'module' && frozen.some((o) => o.isModule) ? 'as-is' : 'relinked', frozen, kernel, new Map(replacements.map((r) => [r.frozen, r])));
}

/** Runs a check on the inputs it declares, and on nothing else. */
function run(check: Check, inputs: Partial<CheckInputs>): Finding[] {
  expect(check.needs.filter((input) => !(input in inputs))).toEqual([]);
  return check.run(inputs as CheckInputs);
}

const summary = (findings: readonly Finding[]) => findings.map((f) => ({ id: f.id, severity: f.severity, symbol: f.symbol, message: messageOf(f) }));

describe('link checks from plain data', () => {
  it('undefined-symbol: a likely rename, a symbol made static, and a weak reference that resolves to 0', () => {
    const driver = frozenObject('frozen/rng_driver.o', {
      imports: new Map([
        ['buf_alloc', { name: 'buf_alloc', kind: 'function', kindSource: 'dwarf', weak: false, sites: [{ section: '.text', offset: 0x12n, function: 'gen', relocation: 'R_X86_64_PLT32' }] }],
        ['helper_count', { name: 'helper_count', kind: 'data', kindSource: 'dwarf', weak: false, sites: [] }],
        ['optional_hook', { name: 'optional_hook', kind: 'function', kindSource: 'relocation', weak: true, sites: [] }],
      ]),
    });
    const kernel = kernelSymbols(
      [{ name: 'buf_alloc_noprof', value: 0xffffffff81000100n, size: 64, binding: 'global', type: 'func', shndx: 1 }],
      [{ name: 'helper_count', value: 0xffffffff82000010n, size: 4, binding: 'local', type: 'object', shndx: 2 }],
    );
    // No type source of the new kernel (--type-source none): candidates are ranked by name.
    const interfaces = new InterfaceComparison([driver], [], () => undefined, EM_X86_64, () => []);
    const findings = run(undefinedSymbolCheck, { link: link('built-in', [driver], kernel), kernel, interfaces });

    expect(summary(findings)).toEqual([
      { id: 'undefined-symbol', severity: 'link', symbol: 'buf_alloc', message: 'buf_alloc is not defined in the new kernel' },
      { id: 'undefined-symbol', severity: 'link', symbol: 'helper_count', message: 'helper_count is not defined in the new kernel (it still exists, but only as a static symbol)' },
      { id: 'unresolved-weak-reference', severity: 'runtime', symbol: 'optional_hook', message: 'weak reference to optional_hook is not defined in the new kernel: it links, and the address resolves to 0' },
    ]);
    expect(findings[0]!.data).toEqual({ name: 'buf_alloc', linkMode: 'built-in', staticDefinitions: 0, onlyInReplaced: undefined });
    expect([findings[0]!.before, findings[0]!.after]).toEqual(['function buf_alloc (declared in its DWARF)', 'not found; probably renamed to buf_alloc_noprof']);
    expect(findings[0]!.evidence).toEqual([{ label: 'reference', file: 'frozen/rng_driver.o', section: '.text', offset: '0x12', symbol: 'gen', detail: 'R_X86_64_PLT32' }]);
    expect(findings[1]!.evidence[1]).toEqual({
      label: 'new kernel',
      file: 'new/vmlinux',
      section: '.data',
      symbol: 'helper_count',
      location: 'address 0xffffffff82000010',
      detail: 'exists only as a local (static) object',
    });
  });

  it('duplicate-definition: a strong global the new vmlinux defines too', () => {
    const driver = frozenObject('frozen/rng_driver.o', {
      definitions: new Map([['rng_debug', { name: 'rng_debug', kind: 'data', binding: 'global', section: '.data', size: 4 }]]),
    });
    const kernel = kernelSymbols([{ name: 'rng_debug', value: 0xffffffff82000000n, size: 4, binding: 'global', type: 'object', shndx: 2 }]);
    const findings = run(duplicateDefinitionCheck, { link: link('built-in', [driver], kernel), kernel });

    expect(summary(findings)).toEqual([
      { id: 'duplicate-definition', severity: 'link', symbol: 'rng_debug', message: 'rng_debug is defined by the frozen object and by the new vmlinux: multiple definition' },
    ]);
    expect(findings[0]!.evidence).toEqual([
      { label: 'frozen definition', file: 'frozen/rng_driver.o', section: '.data', symbol: 'rng_debug' },
      { label: 'also defined by', file: 'new/vmlinux', section: '.data', symbol: 'rng_debug', location: 'address 0xffffffff82000000', detail: 'OBJECT GLOBAL, 4 bytes' },
    ]);
  });

  it('module-now-builtin: modules.builtin lists the module the frozen .ko would replace', () => {
    const moduleInfo: ModuleInfo = {
      loadable: true,
      builtinModule: undefined,
      fields: [['name', 'rng_mod']],
      name: 'rng_mod',
      license: 'GPL',
      vermagic: undefined,
      importedNamespaces: [],
      versions: [],
      thisModuleSize: undefined,
    };
    const module = frozenObject('frozen/rng_mod.ko', { isModule: true, moduleInfo });
    const kernel = kernelSymbols([]);
    const builtIn = { how: 'modules.builtin', file: 'new/modules.builtin', line: 7, entry: 'kernel/drivers/char/rng_mod.ko' } as const;
    const replacement: Replacement = { found: false, frozen: module, reason: 'no module rng_mod in the new kernel', candidates: [], builtIn };
    const findings = run(replacedObjectCheck, { link: link('module', [module], kernel, [replacement]) });

    expect(summary(findings)).toEqual([
      {
        id: 'module-now-builtin',
        severity: 'runtime',
        symbol: 'rng_mod',
        message:
          'the new kernel builds kernel/drivers/char/rng_mod.ko into vmlinux: the frozen module would load beside the built-in copy (registrations collide), it cannot replace it',
      },
    ]);
    expect(findings[0]!.evidence).toEqual([{ label: 'new kernel', file: 'new/modules.builtin', location: 'line 7', detail: 'kernel/drivers/char/rng_mod.ko' }]);
  });
});
